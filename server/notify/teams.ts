import { headline, post, targetOf, type Notifier } from './notifier.ts';

/**
 * A Microsoft Teams incoming webhook (`teams:https://…`, a Workflows
 * "webhook request" trigger): an Adaptive Card with the headline, the facts
 * and a button to the alert.
 */
export function createTeamsNotifier(): Notifier {
  return {
    kind: 'teams',
    notConfigured: () => null,
    async send(n, signal) {
      const a = n.alert;
      await post(
        targetOf(n),
        {
          type: 'message',
          attachments: [
            {
              contentType: 'application/vnd.microsoft.card.adaptive',
              content: {
                $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                type: 'AdaptiveCard',
                version: '1.4',
                body: [
                  { type: 'TextBlock', text: headline(n), weight: 'Bolder', size: 'Medium', wrap: true, color: n.reason === 'resolved' ? 'Good' : a.level === 'CRITICAL' ? 'Attention' : 'Warning' },
                  { type: 'TextBlock', text: a.message, wrap: true },
                  {
                    type: 'FactSet',
                    facts: [
                      { title: 'Host', value: a.host },
                      { title: 'Metric', value: a.metric },
                      { title: 'Value', value: String(a.value) },
                      { title: 'Threshold', value: `${a.operator} ${a.threshold}` },
                      { title: 'Started', value: new Date(a.startedAt).toISOString() },
                    ],
                  },
                ],
                actions: [{ type: 'Action.OpenUrl', title: 'Open in glasswatch', url: n.link }],
              },
            },
          ],
        },
        signal,
      );
    },
  };
}
