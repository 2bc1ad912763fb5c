import type { MetricName, MetricValues } from '$shared/catalog.ts';
import { OVERVIEW_METRICS } from '$shared/events.ts';
import type { SamplePoint } from './ring.ts';
import { Ring } from './ring.ts';

/** How rings are sized: the window they cover at the host's tick. */
export interface RingSizing {
  capacity: number;
  gapMs: number;
  windowMs: number;
}

const OVERVIEW = new Set<MetricName>(OVERVIEW_METRICS);
/** Computed by the server for every host: a silent host gets `host.up = 0` each tick, which is no sign of life. */
const UP: MetricName = 'host.up';

/**
 * Everything the client knows about one host: the latest values (reactive)
 * and one bounded ring per metric (not reactive: `version` says when they
 * changed, so charts redraw once per tick without deep proxies). A host on
 * screen in full keeps a ring of every metric; the others only those of the
 * fleet overview, so fifty hosts cost little.
 */
export class HostLive {
  readonly name: string;
  /** Latest value per metric; a metric missing from a tick keeps its last value. */
  latest = $state.raw<MetricValues>({});
  /** Server time of the newest sample carrying data (`host.up` alone does not count). */
  lastTs = $state<number | null>(null);
  /** Client time (Date.now()) when that sample arrived. */
  receivedAt = $state<number | null>(null);
  /** Bumped whenever a ring changes. */
  version = $state(0);
  #rings = new Map<MetricName, Ring>();
  /** Server time of each metric's latest value: a late sample does not replace a newer one. */
  #latestTs = new Map<MetricName, number>();
  #sizing: RingSizing;
  #full: boolean;

  constructor(name: string, sizing: RingSizing, full: boolean) {
    this.name = name;
    this.#sizing = sizing;
    this.#full = full;
  }

  /** The ring of one metric (created empty on first use). */
  ring(metric: MetricName): Ring {
    let ring = this.#rings.get(metric);
    if (!ring) {
      ring = new Ring(this.#sizing.capacity, { gapMs: this.#sizing.gapMs });
      this.#rings.set(metric, ring);
    }
    return ring;
  }

  /** Keep every metric's ring (the host is on screen), or only the overview's (the others are dropped). */
  setFull(full: boolean): void {
    if (full === this.#full) return;
    this.#full = full;
    if (!full) for (const metric of this.#rings.keys()) if (!OVERVIEW.has(metric)) this.#rings.delete(metric);
    this.version++;
  }

  /** Re-sizes every ring, e.g. when the server restarted with another tick. */
  resize(sizing: RingSizing): void {
    if (sizing.capacity === this.#sizing.capacity && sizing.gapMs === this.#sizing.gapMs) {
      this.#sizing = sizing;
      return;
    }
    this.#sizing = sizing;
    for (const [metric, ring] of this.#rings) this.#rings.set(metric, ring.resized(sizing.capacity, { gapMs: sizing.gapMs }));
    this.version++;
  }

  /**
   * Merges a window of series: a snapshot (after a reconnect: only what was
   * missed, plus overlap) or the host's window when it is opened.
   * `serverNow` is the server's clock then: old data counts as received long ago.
   */
  mergeSeries(series: Partial<Record<MetricName, ReadonlyArray<SamplePoint>>>, serverNow: number, receivedAt: number): void {
    const latest: MetricValues = { ...this.latest };
    let newest = this.lastTs ?? Number.NEGATIVE_INFINITY;
    for (const [metric, points] of Object.entries(series) as [MetricName, ReadonlyArray<SamplePoint>][]) {
      if (!points?.length) continue;
      if (this.#keeps(metric)) this.#trim(this.ring(metric)).merge(points);
      // The newest value (a source failing at the very end leaves its last good one).
      let i = points.length - 1;
      while (i > 0 && points[i]![1] === null) i--;
      const [ts, value] = points[i]!;
      if (ts >= (this.#latestTs.get(metric) ?? Number.NEGATIVE_INFINITY)) {
        latest[metric] = value;
        this.#latestTs.set(metric, ts);
      }
      if (metric !== UP && value !== null) newest = Math.max(newest, ts);
    }
    this.latest = latest;
    if (Number.isFinite(newest) && newest !== this.lastTs) {
      this.lastTs = newest;
      this.receivedAt = receivedAt - Math.max(0, serverNow - newest);
    }
    this.version++;
  }

  /** One tick (or a late one, merged into place). */
  append(ts: number, values: MetricValues, receivedAt: number): void {
    let latest: MetricValues | null = null;
    let data = false;
    for (const [metric, value] of Object.entries(values) as [MetricName, number | null | undefined][]) {
      if (value === undefined) continue;
      if (this.#keeps(metric)) this.#trim(this.ring(metric)).push(ts, value);
      if (ts >= (this.#latestTs.get(metric) ?? Number.NEGATIVE_INFINITY)) {
        (latest ??= { ...this.latest })[metric] = value;
        this.#latestTs.set(metric, ts);
      }
      if (metric !== UP) data = true;
    }
    if (latest) this.latest = latest;
    if (data && (this.lastTs === null || ts >= this.lastTs)) {
      this.lastTs = ts;
      this.receivedAt = receivedAt;
    }
    this.version++;
  }

  #keeps(metric: MetricName): boolean {
    return this.#full || OVERVIEW.has(metric);
  }

  /**
   * Drops what lies a window behind the ring's newest sample, before it
   * takes more: a full ring of stale samples would refuse a late one.
   */
  #trim(ring: Ring): Ring {
    const last = ring.lastTs();
    if (last !== null) ring.dropBefore(last - this.#sizing.windowMs);
    return ring;
  }
}
