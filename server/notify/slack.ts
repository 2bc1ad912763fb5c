import { details, headline, LEVEL_COLOR, post, targetOf, type Notifier } from './notifier.ts';

/**
 * A Slack incoming webhook (`slack:https://hooks.slack.com/services/…`):
 * the headline as text (notifications, previews) and a coloured attachment
 * with the details and a button to the alert.
 */
export function createSlackNotifier(): Notifier {
  return {
    kind: 'slack',
    notConfigured: () => null,
    async send(n, signal) {
      const color = n.reason === 'resolved' ? '#22c55e' : LEVEL_COLOR[n.alert.level];
      await post(
        targetOf(n),
        {
          text: headline(n),
          attachments: [
            {
              color,
              fallback: headline(n),
              blocks: [
                { type: 'section', text: { type: 'mrkdwn', text: `*${headline(n)}*\n\`\`\`${details(n)}\`\`\`` } },
                { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in glasswatch' }, url: n.link }] },
              ],
            },
          ],
        },
        signal,
      );
    },
  };
}
