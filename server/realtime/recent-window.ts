/**
 * The last hour of every host's samples, in memory, columnar. Snapshots for
 * new and reconnecting viewers and `/api/metrics/current` read from here, so
 * a connect costs no database query. Refilled from the database at start-up.
 */
import { METRIC_NAMES, type MetricName, type MetricValues } from '../../shared/catalog.ts';
import type { MetricsEvent, SeriesByHost, TsMs } from '../../shared/events.ts';

const METRIC_INDEX = new Map(METRIC_NAMES.map((m, i) => [m, i]));

/** A fixed-capacity ring of ticks; values are NaN where a metric had none. */
class HostRing {
  readonly ts: Float64Array;
  readonly values: Float64Array[];
  private head = 0; // next write position
  size = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
    this.values = METRIC_NAMES.map(() => new Float64Array(capacity).fill(Number.NaN));
  }

  push(e: MetricsEvent) {
    // Out-of-order ticks (an agent's backfill) are rare; keep the ring sorted by ignoring older ones.
    if (this.size > 0 && e.ts <= this.newestTs()) return;
    const at = this.head;
    this.ts[at] = e.ts;
    for (let i = 0; i < METRIC_NAMES.length; i++) {
      const v = e.values[METRIC_NAMES[i]!];
      this.values[i]![at] = v == null ? Number.NaN : v;
    }
    this.head = (at + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
  }

  newestTs(): number {
    return this.ts[(this.head - 1 + this.capacity) % this.capacity]!;
  }

  /** Index positions of ticks with ts ≥ sinceMs, oldest first. */
  positionsSince(sinceMs: number): number[] {
    const out: number[] = [];
    const start = (this.head - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) {
      const p = (start + k) % this.capacity;
      if (this.ts[p]! >= sinceMs) out.push(p);
    }
    return out;
  }
}

export interface RecentWindow {
  push(e: MetricsEvent): void;
  /** Per host and metric, `[ts, value]` pairs with ts ≥ sinceMs. */
  series(sinceMs: TsMs): SeriesByHost;
  latest(host: string): MetricsEvent | undefined;
  lastSeen(host: string): TsMs | undefined;
  hosts(): string[];
}

export function createRecentWindow(opts: { windowMs: number; intervalMs: number }): RecentWindow {
  const capacity = Math.ceil(opts.windowMs / opts.intervalMs) + 16;
  const rings = new Map<string, HostRing>();
  const latest = new Map<string, MetricsEvent>();

  return {
    push(e) {
      let ring = rings.get(e.host);
      if (!ring) rings.set(e.host, (ring = new HostRing(capacity)));
      ring.push(e);
      const prev = latest.get(e.host);
      if (!prev || e.ts >= prev.ts) latest.set(e.host, e);
    },
    series(sinceMs) {
      const out: SeriesByHost = {};
      for (const [host, ring] of rings) {
        const positions = ring.positionsSince(sinceMs);
        const perMetric: Partial<Record<MetricName, Array<[TsMs, number | null]>>> = {};
        METRIC_NAMES.forEach((m, i) => {
          const col = ring.values[i]!;
          perMetric[m] = positions.map((p) => {
            const v = col[p]!;
            return [ring.ts[p]!, Number.isNaN(v) ? null : v];
          });
        });
        out[host] = perMetric;
      }
      return out;
    },
    latest: (host) => latest.get(host),
    lastSeen: (host) => latest.get(host)?.ts,
    hosts: () => [...rings.keys()],
  };
}

/** Regroups stored rows `(t, metricId, value)` into ticks, for refilling the window. */
export function rowsToEvents(host: string, rows: Array<{ t: number; m: number; v: number }>, metricName: (id: number) => MetricName | undefined): MetricsEvent[] {
  const events: MetricsEvent[] = [];
  let current: MetricsEvent | undefined;
  for (const row of rows) {
    if (!current || current.ts !== row.t) {
      current = { host, ts: row.t, values: {} as MetricValues };
      events.push(current);
    }
    const name = metricName(row.m);
    if (name && METRIC_INDEX.has(name)) current.values[name] = row.v;
  }
  return events;
}
