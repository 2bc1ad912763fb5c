import { LEVELS, type Alert, type AlertDetail, type Level } from '$shared/alerts.ts';
import { API, routeTo } from '$shared/routes.ts';
import { getJson } from './api.ts';
import { live } from './live.svelte.ts';
import { LoadState } from './load-state.svelte.ts';

export const ALERT_RANGES = [
  { key: '1h', label: '1 h', ms: 3_600_000 },
  { key: '24h', label: '24 h', ms: 86_400_000 },
  { key: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { key: '30d', label: '30 d', ms: 30 * 86_400_000 },
] as const;
export type AlertRangeKey = (typeof ALERT_RANGES)[number]['key'];

export const STATE_FILTERS = [
  { key: 'all', label: 'All states' },
  { key: 'open', label: 'Open' },
  { key: 'firing', label: 'Firing' },
  { key: 'acknowledged', label: 'Acknowledged' },
  { key: 'resolved', label: 'Resolved' },
] as const;
export type StateFilter = (typeof STATE_FILTERS)[number]['key'];

/** The most the API returns at once (`limit` of GET API.alerts). */
export const LIST_LIMIT = 1000;
const DEFAULTS = { state: 'all', range: '24h' } as const;

const isRange = (v: string | null): v is AlertRangeKey => ALERT_RANGES.some((r) => r.key === v);
const isState = (v: string | null): v is StateFilter => STATE_FILTERS.some((s) => s.key === v);
const isLevel = (v: string | null): v is Level => (LEVELS as readonly string[]).includes(v ?? '');

/**
 * The alerts page: filters (in the URL), the list they select, and the
 * selected alert's detail. Read when the filters change or on request; kept
 * current by `alert` events for the alerts it shows, never polled.
 */
export class AlertsView extends LoadState {
  state = $state<StateFilter>(DEFAULTS.state);
  level = $state<Level | null>(null);
  host = $state<string | null>(null);
  ruleId = $state<number | null>(null);
  range = $state<AlertRangeKey>(DEFAULTS.range);
  /** `?id=N`: the alert whose detail is open. */
  selectedId = $state<number | null>(null);

  alerts = $state.raw<Alert[]>([]);
  /** The API's limit was reached: older alerts of the range may be missing. */
  truncated = $state(false);
  /** Alerts that fired since the list was read and match the filters (shown as "N new"). */
  newSince = $state(0);
  #newIds = new Set<number>();
  #loadedAt = 0;

  /** Changes whenever a filter does (not the selection): the list is read again. */
  get filterKey(): string {
    return [this.state, this.level, this.host, this.ruleId, this.range].join('|');
  }

  readQuery(search: string): void {
    const q = new URLSearchParams(search);
    const state = q.get('state');
    const range = q.get('range');
    const level = q.get('level');
    const ruleId = Number(q.get('ruleId'));
    const id = Number(q.get('id'));
    this.state = isState(state) ? state : DEFAULTS.state;
    this.range = isRange(range) ? range : DEFAULTS.range;
    this.level = isLevel(level) ? level : null;
    this.host = q.get('host') || null;
    this.ruleId = Number.isInteger(ruleId) && ruleId > 0 ? ruleId : null;
    this.selectedId = Number.isInteger(id) && id > 0 ? id : null;
  }

  /** The URL of this view; defaults are left out, so `/alerts?id=N` stays exactly that. */
  toQuery(selectedId = this.selectedId): string {
    const q = new URLSearchParams();
    if (this.state !== DEFAULTS.state) q.set('state', this.state);
    if (this.level) q.set('level', this.level);
    if (this.host) q.set('host', this.host);
    if (this.ruleId !== null) q.set('ruleId', String(this.ruleId));
    if (this.range !== DEFAULTS.range) q.set('range', this.range);
    if (selectedId !== null) q.set('id', String(selectedId));
    const text = q.toString();
    return text ? `?${text}` : '';
  }

  load(): Promise<void> {
    return this.track('loading the alerts', async (signal) => {
      const { alerts } = await getJson<{ alerts: Alert[] }>(
        API.alerts,
        { state: this.state, level: this.level ?? undefined, host: this.host ?? undefined, ruleId: this.ruleId ?? undefined, limit: LIST_LIMIT },
        signal,
      );
      if (signal.aborted) return;
      this.#loadedAt = Date.now() + live.clockOffsetMs; // on the server's clock, like the alerts' times
      this.truncated = alerts.length >= LIST_LIMIT;
      this.alerts = alerts.filter((a) => this.#inRange(a, this.#loadedAt));
      this.#newIds.clear();
      this.newSince = 0;
    });
  }

  /** An `alert` event: replace a listed alert in place; count new ones that would be listed. */
  apply(alert: Alert): void {
    const i = this.alerts.findIndex((a) => a.id === alert.id);
    if (i >= 0) {
      this.alerts = this.alerts.map((a) => (a.id === alert.id ? alert : a));
    } else if (this.status === 'ready' && alert.state === 'firing' && alert.startedAt >= this.#loadedAt - 5_000 && this.#matches(alert)) {
      // An alert changes several times as it is notified: count it once.
      this.#newIds.add(alert.id);
      this.newSince = this.#newIds.size;
    }
  }

  /** Time range on the client (the API has no from/to): alerts that were open at some point in it. */
  #inRange(alert: Alert, now: number): boolean {
    const from = now - ALERT_RANGES.find((r) => r.key === this.range)!.ms;
    return alert.startedAt >= from || alert.resolvedAt === null || alert.resolvedAt >= from;
  }

  #matches(alert: Alert): boolean {
    const stateOk = this.state === 'all' || this.state === 'open' || this.state === 'firing';
    return (
      stateOk &&
      (this.level === null || alert.level === this.level) &&
      (this.host === null || alert.host === this.host) &&
      (this.ruleId === null || alert.ruleId === this.ruleId)
    );
  }
}

/** One alert's detail with its timeline; `alert` events update it at once, the timeline is re-read after. */
export class AlertDetailView extends LoadState {
  id = $state<number | null>(null);
  detail = $state.raw<AlertDetail | null>(null);
  #refresh: ReturnType<typeof setTimeout> | undefined;

  load(id: number, { quiet = false } = {}): Promise<void> {
    if (id !== this.id) this.detail = null;
    this.id = id;
    return this.track(
      'loading the alert',
      async (signal) => {
        const detail = await getJson<AlertDetail>(routeTo(API.alert, { id }), {}, signal);
        if (!signal.aborted) this.detail = detail;
      },
      { quiet },
    );
  }

  /** The alert changed on the server: show it now, re-read its timeline shortly (changes come in bursts). */
  apply(alert: Alert): void {
    if (!this.detail || alert.id !== this.detail.id) return;
    this.detail = { ...this.detail, ...alert };
    clearTimeout(this.#refresh);
    this.#refresh = setTimeout(() => {
      if (this.id === alert.id) void this.load(alert.id, { quiet: true });
    }, 400);
  }

  close(): void {
    this.cancel();
    clearTimeout(this.#refresh);
    this.id = null;
    this.detail = null;
    this.status = 'idle';
  }
}
