import { details, headline, type Notifier } from './notifier.ts';

/**
 * A JSON POST to the URL of a `webhook:<url>` channel. The body has a
 * Slack-compatible `text` plus the whole alert; any 2xx answer is delivered.
 */
export function createWebhookNotifier(): Notifier {
  return {
    kind: 'webhook',
    notConfigured: () => null,
    async send(n, signal) {
      const url = n.channel.slice('webhook:'.length);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'glasswatch' },
        body: JSON.stringify({ text: `*${headline(n)}*\n${details(n)}`, reason: n.reason, alert: n.alert, link: n.link }),
        signal,
        redirect: 'error',
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`webhook answered HTTP ${res.status}`);
    },
  };
}
