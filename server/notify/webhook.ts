import { details, headline, post, targetOf, type Notifier } from './notifier.ts';

/**
 * A JSON POST to the URL of a `webhook:<url>` channel. The body has a
 * Slack-compatible `text` plus the whole alert; any 2xx answer is delivered.
 */
export function createWebhookNotifier(): Notifier {
  return {
    kind: 'webhook',
    notConfigured: () => null,
    async send(n, signal) {
      await post(targetOf(n), { text: `*${headline(n)}*\n${details(n)}`, reason: n.reason, alert: n.alert, link: n.link }, signal);
    },
  };
}
