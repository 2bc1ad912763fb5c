import { compareAlerts, type Alert, type Level } from '$shared/alerts.ts';

/** Resolved alerts kept for the dashboard's "recently resolved" lines. */
const RESOLVED_KEPT = 20;

/**
 * Open alerts as the server has them: the snapshot's list, then every
 * `alert` event (insert or replace by id; resolved ones leave). The server
 * keeps at most one open alert per rule and host, so this stays small; the
 * resolved tail is capped. Nothing is polled.
 */
export class LiveAlerts {
  /** Firing and acknowledged alerts, most severe then newest first. */
  open = $state.raw<Alert[]>([]);
  /** Alerts this screen saw resolve, newest first (at most RESOLVED_KEPT). */
  recentlyResolved = $state.raw<Alert[]>([]);
  /** A snapshot arrived: `open` is the server's truth (until the next disconnect). */
  ready = $state(false);
  #listeners = new Set<(alert: Alert) => void>();

  counts = $derived.by(() => {
    const counts: Record<Level, number> = { CRITICAL: 0, WARNING: 0, INFO: 0 };
    for (const alert of this.open) counts[alert.level]++;
    return counts;
  });

  /** CRITICAL alerts nobody acknowledged yet, newest first: the banner and the title. */
  unacknowledgedCritical = $derived(
    this.open.filter((a) => a.level === 'CRITICAL' && a.state === 'firing').sort((a, b) => b.startedAt - a.startedAt),
  );

  applySnapshot(alerts: readonly Alert[]): void {
    const open = alerts.filter((a) => a.state !== 'resolved');
    const openIds = new Set(open.map((a) => a.id));
    this.open = open.sort(compareAlerts);
    this.recentlyResolved = this.recentlyResolved.filter((a) => !openIds.has(a.id));
    this.ready = true;
  }

  apply(alert: Alert): void {
    const rest = this.open.filter((a) => a.id !== alert.id);
    if (alert.state !== 'resolved') {
      this.open = [...rest, alert].sort(compareAlerts);
    } else if (rest.length !== this.open.length || this.recentlyResolved.some((a) => a.id === alert.id)) {
      this.open = rest;
      this.recentlyResolved = [alert, ...this.recentlyResolved.filter((a) => a.id !== alert.id)].slice(0, RESOLVED_KEPT);
    }
    for (const listener of this.#listeners) listener(alert);
  }

  /** Every `alert` event, for pages showing alerts of their own (history, detail). */
  subscribe(listener: (alert: Alert) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  openOfRule(ruleId: number): number {
    return this.open.filter((a) => a.ruleId === ruleId).length;
  }
}

export const liveAlerts = new LiveAlerts();
