import { headline, post, targetOf, type Notifier } from './notifier.ts';

export interface PagerDutySettings {
  /** PAGERDUTY_EVENTS_URL: the Events API v2 endpoint (default https://events.pagerduty.com/v2/enqueue). */
  eventsUrl: string;
}

const SEVERITY = { INFO: 'info', WARNING: 'warning', CRITICAL: 'critical' } as const;

/**
 * PagerDuty Events API v2 (`pagerduty:<routing key>`): a firing alert (and
 * its reminders) triggers an incident, its resolution resolves it; one
 * dedup key per glasswatch alert, so PagerDuty keeps one incident for it.
 */
export function createPagerDutyNotifier(settings: PagerDutySettings): Notifier {
  return {
    kind: 'pagerduty',
    notConfigured: () => null,
    async send(n, signal) {
      const a = n.alert;
      const dedupKey = `glasswatch-alert-${a.id}`;
      const event =
        n.reason === 'resolved'
          ? { routing_key: targetOf(n), event_action: 'resolve', dedup_key: dedupKey }
          : {
              routing_key: targetOf(n),
              event_action: 'trigger',
              dedup_key: dedupKey,
              payload: {
                summary: headline(n).slice(0, 1024),
                source: a.host,
                severity: SEVERITY[a.level],
                timestamp: new Date(a.startedAt).toISOString(),
                component: a.metric,
                class: a.ruleName,
                custom_details: { message: a.message, value: a.value, threshold: `${a.operator} ${a.threshold}`, rule: a.ruleName },
              },
              links: [{ href: n.link, text: 'Open in glasswatch' }],
              client: 'glasswatch',
              client_url: n.link,
            };
      await post(settings.eventsUrl, event, signal);
    },
  };
}
