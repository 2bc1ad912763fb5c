/**
 * Acknowledgements the wall announces: when someone takes a CRITICAL alert
 * (anywhere: another screen, REST, a phone), the takeover banner gives way to
 * a notice saying who took it, for a minute. At most a few, by id, and
 * dropped once old: bounded however many alerts stream by.
 */
import type { Alert } from '$shared/alerts.ts';
import { liveAlerts } from './alerts.svelte.ts';

/** How long a notice stays (server clock, from the acknowledgement). */
export const ACK_NOTICE_MS = 60_000;
const KEPT = 3;

class KioskAcks {
  /** Newest first. */
  list = $state.raw<Alert[]>([]);

  /** Listens to alert changes; returns the stop function. */
  listen(serverNow: () => number): () => void {
    return liveAlerts.subscribe((alert) => {
      const now = serverNow();
      const due = (a: Alert) => a.acknowledgedAt !== null && now - a.acknowledgedAt < ACK_NOTICE_MS;
      const others = this.list.filter((a) => a.id !== alert.id && due(a));
      const mine = this.list.find((a) => a.id === alert.id);
      if (alert.level === 'CRITICAL' && alert.state === 'acknowledged' && due(alert)) this.list = [alert, ...others].slice(0, KEPT);
      // Taken back (firing again): the banner returns and the notice goes. Resolved: the notice stays its minute.
      else this.list = alert.state !== 'firing' && mine ? [mine, ...others] : others;
    });
  }

  /** Notices still due at `now`. */
  visible(now: number): Alert[] {
    return this.list.filter((a) => a.acknowledgedAt !== null && now - a.acknowledgedAt < ACK_NOTICE_MS);
  }
}

export const kioskAcks = new KioskAcks();
