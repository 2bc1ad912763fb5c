import type { MetricName, MetricValues } from '$shared/catalog.ts';
import type { SamplePoint } from './ring.ts';
import { Ring } from './ring.ts';

/** How rings are sized: the window they cover at the server's tick. */
export interface RingSizing {
  capacity: number;
  gapMs: number;
  windowMs: number;
}

/**
 * Everything the client knows about one host: the latest values (reactive)
 * and one bounded ring per metric (not reactive: `version` says when they
 * changed, so charts redraw once per tick without deep proxies).
 */
export class HostLive {
  readonly name: string;
  /** Latest value per metric; a metric missing from a tick keeps its last value. */
  latest = $state.raw<MetricValues>({});
  /** Server time of the newest sample. */
  lastTs = $state<number | null>(null);
  /** Client time (Date.now()) when the newest sample arrived. */
  receivedAt = $state<number | null>(null);
  /** Bumped whenever a ring changes. */
  version = $state(0);
  #rings = new Map<MetricName, Ring>();
  #sizing: RingSizing;

  constructor(name: string, sizing: RingSizing) {
    this.name = name;
    this.#sizing = sizing;
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
   * Merges a snapshot's series (after a reconnect: only what was missed, plus
   * overlap). `serverNow` is the snapshot's clock: old data counts as received long ago.
   */
  mergeSeries(series: Partial<Record<MetricName, ReadonlyArray<SamplePoint>>>, serverNow: number, receivedAt: number): void {
    const latest: MetricValues = { ...this.latest };
    let newest = this.lastTs ?? Number.NEGATIVE_INFINITY;
    for (const [metric, points] of Object.entries(series) as [MetricName, ReadonlyArray<SamplePoint>][]) {
      if (!points?.length) continue;
      const ring = this.ring(metric);
      ring.merge(points);
      const lastTs = ring.lastTs();
      if (lastTs !== null) {
        ring.dropBefore(lastTs - this.#sizing.windowMs);
        newest = Math.max(newest, lastTs);
      }
      latest[metric] = ring.lastValue();
    }
    this.latest = latest;
    if (Number.isFinite(newest) && newest !== this.lastTs) {
      this.lastTs = newest;
      this.receivedAt = receivedAt - Math.max(0, serverNow - newest);
    }
    this.version++;
  }

  /** Appends one tick. */
  append(ts: number, values: MetricValues, receivedAt: number): void {
    const cutoff = ts - this.#sizing.windowMs;
    for (const [metric, value] of Object.entries(values) as [MetricName, number | null | undefined][]) {
      if (value === undefined) continue;
      const ring = this.ring(metric);
      ring.push(ts, value);
      ring.dropBefore(cutoff);
    }
    this.latest = { ...this.latest, ...values };
    if (this.lastTs === null || ts > this.lastTs) this.lastTs = ts;
    this.receivedAt = receivedAt;
    this.version++;
  }
}
