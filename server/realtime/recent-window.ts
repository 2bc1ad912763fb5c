/**
 * The last hour of every host's samples, in memory, columnar. Snapshots for
 * new and reconnecting viewers and `/api/metrics/current` read from here, so
 * a connect costs no database query. Refilled from the database at start-up.
 *
 * Per host: one ring of timestamps sized to the host's own tick, and one
 * column per metric the host ever sent (NaN where a tick had no value).
 * Samples usually arrive newest-last; a late batch (an agent's backlog) is
 * merged into place.
 */
import { OVERVIEW_METRICS, OVERVIEW_STEP_MS, type MetricsEvent, type SeriesByHost, type TsMs } from '../../shared/events.ts';
import type { MetricName, MetricValues } from '../../shared/catalog.ts';

type Points = Array<[TsMs, number | null]>;

/** Metrics per host the window keeps at most (a scrape target is limited to 500 series, a push host likewise). */
const MAX_COLUMNS = 2_000;

class HostRing {
  ts: Float64Array;
  columns = new Map<MetricName, Float64Array>();
  /** Physical index of the oldest tick. */
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.ts = new Float64Array(capacity);
  }

  private phys(i: number): number {
    const p = this.head + i;
    return p >= this.capacity ? p - this.capacity : p;
  }

  newestTs(): number {
    return this.size === 0 ? Number.NEGATIVE_INFINITY : this.ts[this.phys(this.size - 1)]!;
  }

  private column(name: MetricName): Float64Array | undefined {
    let col = this.columns.get(name);
    if (!col && this.columns.size < MAX_COLUMNS) {
      col = new Float64Array(this.capacity).fill(Number.NaN);
      this.columns.set(name, col);
    }
    return col;
  }

  private write(p: number, values: MetricValues) {
    for (const col of this.columns.values()) col[p] = Number.NaN;
    for (const name in values) {
      const v = values[name];
      if (v == null || !Number.isFinite(v)) continue;
      const col = this.column(name);
      if (col) col[p] = v;
    }
  }

  private append(e: MetricsEvent) {
    let p: number;
    if (this.size < this.capacity) p = this.phys(this.size++);
    else {
      p = this.head;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    this.ts[p] = e.ts;
    this.write(p, e.values);
  }

  /** Adds ticks; equal timestamps merge their values. Older ticks are merged into place. */
  add(events: readonly MetricsEvent[]) {
    let inOrder = true;
    let last = this.newestTs();
    for (const e of events) {
      if (e.ts <= last) inOrder = false;
      last = Math.max(last, e.ts);
    }
    if (inOrder) {
      for (const e of events) this.append(e);
      return;
    }
    // Rare (a backlog replay): rebuild in time order, newest `capacity` ticks kept.
    const merged = new Map<number, MetricValues>();
    for (let i = 0; i < this.size; i++) merged.set(this.ts[this.phys(i)]!, this.valuesAt(this.phys(i)));
    for (const e of events) merged.set(e.ts, { ...merged.get(e.ts), ...e.values });
    const order = [...merged.keys()].sort((a, b) => a - b).slice(-this.capacity);
    this.head = 0;
    this.size = 0;
    for (const ts of order) this.append({ host: '', ts, values: merged.get(ts)! });
  }

  private valuesAt(p: number): MetricValues {
    const out: MetricValues = {};
    for (const [name, col] of this.columns) if (!Number.isNaN(col[p]!)) out[name] = col[p]!;
    return out;
  }

  /** Physical positions of ticks with ts ≥ sinceMs, oldest first. */
  positionsSince(sinceMs: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) {
      const p = this.phys(i);
      if (this.ts[p]! >= sinceMs) out.push(p);
    }
    return out;
  }

  points(name: MetricName, positions: readonly number[]): Points {
    const col = this.columns.get(name);
    const out: Points = [];
    if (!col) return out;
    for (const p of positions) {
      const v = col[p]!;
      out.push([this.ts[p]!, Number.isNaN(v) ? null : v]);
    }
    return out;
  }

  /** The newest value of each metric at or after `sinceMs`, and the newest tick's time. */
  latest(sinceMs: number): { ts: TsMs; values: MetricValues } | undefined {
    if (this.size === 0) return undefined;
    const values: MetricValues = {};
    for (const [name, col] of this.columns) {
      for (let i = this.size - 1; i >= 0; i--) {
        const p = this.phys(i);
        if (this.ts[p]! < sinceMs) break;
        if (!Number.isNaN(col[p]!)) {
          values[name] = col[p]!;
          break;
        }
      }
    }
    return { ts: this.newestTs(), values };
  }
}

export interface RecentWindow {
  /** Adds ticks (any hosts, any order). */
  push(events: readonly MetricsEvent[]): void;
  /**
   * Per host and metric, `[ts, value]` pairs with ts ≥ sinceMs: hosts in
   * `full` (every host when undefined) with every metric; the others with
   * the overview metrics only, thinned to one point per OVERVIEW_STEP_MS.
   */
  series(sinceMs: TsMs, full?: ReadonlySet<string>): SeriesByHost;
  /** One host's series, every metric, ts ≥ sinceMs. */
  hostSeries(host: string, sinceMs: TsMs): Record<MetricName, Points> | undefined;
  /** The newest value of each metric that is no older than `maxAgeMs`. */
  current(host: string, maxAgeMs: number, now?: number): { ts: TsMs; values: MetricValues } | undefined;
  hosts(): string[];
}

export function createRecentWindow(opts: { windowMs: number; intervalOf(host: string): number }): RecentWindow {
  const rings = new Map<string, HostRing>();

  const ringOf = (host: string) => {
    let ring = rings.get(host);
    if (!ring) rings.set(host, (ring = new HostRing(Math.ceil(opts.windowMs / Math.max(250, opts.intervalOf(host))) + 16)));
    return ring;
  };

  function allSeries(ring: HostRing, sinceMs: number) {
    const positions = ring.positionsSince(sinceMs);
    const out: Record<MetricName, Points> = {};
    for (const name of ring.columns.keys()) out[name] = ring.points(name, positions);
    return out;
  }

  /**
   * Per overview metric, the newest value of each OVERVIEW_STEP_MS slot —
   * the newest that has one: a down host's last tick carries only host.up,
   * and its tile still wants its last numbers.
   */
  function overview(ring: HostRing, sinceMs: number) {
    const positions = ring.positionsSince(sinceMs);
    const out: Record<MetricName, Points> = {};
    for (const name of OVERVIEW_METRICS) {
      const col = ring.columns.get(name);
      if (!col) continue;
      const points: Points = [];
      let slot = Number.NaN;
      for (const p of positions) {
        const v = col[p]!;
        if (Number.isNaN(v)) continue;
        const ts = ring.ts[p]!;
        const s = Math.floor(ts / OVERVIEW_STEP_MS);
        if (s === slot) points[points.length - 1] = [ts, v];
        else points.push([ts, v]);
        slot = s;
      }
      out[name] = points;
    }
    return out;
  }

  return {
    push(events) {
      if (events.length === 1) return ringOf(events[0]!.host).add(events);
      const byHost = new Map<string, MetricsEvent[]>();
      for (const e of events) {
        const list = byHost.get(e.host);
        if (list) list.push(e);
        else byHost.set(e.host, [e]);
      }
      for (const [host, list] of byHost) ringOf(host).add(list.sort((a, b) => a.ts - b.ts));
    },
    series(sinceMs, full) {
      const out: SeriesByHost = {};
      for (const [host, ring] of rings) out[host] = !full || full.has(host) ? allSeries(ring, sinceMs) : overview(ring, sinceMs);
      return out;
    },
    hostSeries(host, sinceMs) {
      const ring = rings.get(host);
      return ring && allSeries(ring, sinceMs);
    },
    current(host, maxAgeMs, now = Date.now()) {
      return rings.get(host)?.latest(now - maxAgeMs);
    },
    hosts: () => [...rings.keys()],
  };
}
