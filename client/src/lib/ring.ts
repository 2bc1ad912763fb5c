/**
 * A bounded, time-ordered series of `(tsMs, value)` samples kept in two
 * fixed-size Float64Array columns. Memory is allocated once: a wall screen
 * running for weeks keeps a flat heap however many samples stream through.
 *
 * Invariants: timestamps strictly increase from oldest to newest (a late
 * sample is merged into place); a `null` value (the source had nothing that
 * tick) is stored as NaN.
 *
 * Plain TypeScript with no DOM or Svelte: unit-tested in Node.
 */

/** A sample as the server sends it: `[tsMs, value]`. */
export type SamplePoint = readonly [tsMs: number, value: number | null];

/** Columnar data on uPlot's terms: seconds on x, `null` where there is a gap. */
export type UplotColumns = [tsSec: number[], values: (number | null)[]];

export interface RingOptions {
  /**
   * Two samples further apart than this — and than 2.5 × the series' smallest
   * step, so slow sources are not cut into dots — get a `null` between them in
   * `toUplot()`, and charts show the hole. Default: never.
   */
  gapMs?: number;
}

export class Ring {
  #ts: Float64Array;
  #val: Float64Array;
  /** Physical index of the oldest sample. */
  #head = 0;
  #len = 0;
  readonly gapMs: number;
  // Output columns reused by every toUplot() call: they grow to capacity once, then are rewritten in place.
  #outX: number[] = [];
  #outY: (number | null)[] = [];
  /** Bumped by every change; toUplot() answers its last columns while it stays the same. */
  #version = 0;
  #outVersion = -1;

  constructor(capacity: number, options: RingOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`);
    this.#ts = new Float64Array(capacity);
    this.#val = new Float64Array(capacity);
    this.gapMs = options.gapMs ?? Number.POSITIVE_INFINITY;
  }

  get capacity(): number {
    return this.#ts.length;
  }

  get length(): number {
    return this.#len;
  }

  #phys(i: number): number {
    const p = this.#head + i;
    return p >= this.#ts.length ? p - this.#ts.length : p;
  }

  /** Timestamp of the i-th sample, oldest first. */
  tsAt(i: number): number {
    return this.#ts[this.#phys(i)]!;
  }

  /** Value of the i-th sample, oldest first; null for a gap. */
  valueAt(i: number): number | null {
    const v = this.#val[this.#phys(i)]!;
    return Number.isNaN(v) ? null : v;
  }

  firstTs(): number | null {
    return this.#len === 0 ? null : this.tsAt(0);
  }

  lastTs(): number | null {
    return this.#len === 0 ? null : this.tsAt(this.#len - 1);
  }

  lastValue(): number | null {
    return this.#len === 0 ? null : this.valueAt(this.#len - 1);
  }

  /** Whether any sample holds a value (not only gaps); looks from the newest back. */
  hasValue(): boolean {
    for (let i = this.#len - 1; i >= 0; i--) if (!Number.isNaN(this.#val[this.#phys(i)]!)) return true;
    return false;
  }

  /**
   * Adds a sample in time order. The newest end is the usual case: the
   * oldest is overwritten when full. An older sample (an agent replaying its
   * backlog behind live data) is merged into place by shifting the shorter
   * side of it one slot (a full ring drops its oldest): no allocation either
   * way. A timestamp the ring holds gets the new value. Returns false when
   * the sample is older than everything a full ring holds (it would fall off
   * at once).
   */
  push(tsMs: number, value: number | null | undefined): boolean {
    if (Number.isNaN(tsMs)) return false;
    this.#version++;
    const v = value == null || !Number.isFinite(value) ? Number.NaN : value;
    const n = this.#len;
    const cap = this.#ts.length;
    if (n === 0 || tsMs > this.#ts[this.#phys(n - 1)]!) {
      let p: number;
      if (n < cap) {
        p = this.#phys(n);
        this.#len++;
      } else {
        p = this.#head;
        this.#head = this.#head + 1 === cap ? 0 : this.#head + 1;
      }
      this.#ts[p] = tsMs;
      this.#val[p] = v;
      return true;
    }
    // Older than the newest: the first index holding tsMs or later.
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#ts[this.#phys(mid)]! < tsMs) lo = mid + 1;
      else hi = mid;
    }
    if (this.#ts[this.#phys(lo)] === tsMs) {
      this.#val[this.#phys(lo)] = v;
      return true;
    }
    if (n < cap && n - lo <= lo) {
      // Room, and fewer samples after lo: those move one slot newer.
      for (let i = n; i > lo; i--) this.#copy(i - 1, i);
      this.#len++;
    } else if (n < cap) {
      // Room, and fewer samples before lo: the head steps back and those move one slot older.
      this.#head = this.#head === 0 ? cap - 1 : this.#head - 1;
      this.#len++;
      for (let i = 0; i < lo; i++) this.#copy(i + 1, i);
    } else {
      // Full: the oldest falls off, samples before lo move one slot older.
      if (lo === 0) return false;
      lo--;
      for (let i = 0; i < lo; i++) this.#copy(i + 1, i);
    }
    const p = this.#phys(lo);
    this.#ts[p] = tsMs;
    this.#val[p] = v;
    return true;
  }

  #copy(from: number, to: number): void {
    const a = this.#phys(from);
    const b = this.#phys(to);
    this.#ts[b] = this.#ts[a]!;
    this.#val[b] = this.#val[a]!;
  }

  /** Drops every sample at or after `tsMs` (newest end). */
  truncateFrom(tsMs: number): void {
    this.#version++;
    while (this.#len > 0 && this.tsAt(this.#len - 1) >= tsMs) this.#len--;
  }

  /** Drops every sample before `tsMs` (oldest end). */
  dropBefore(tsMs: number): void {
    if (this.#len > 0 && this.#ts[this.#head]! < tsMs) this.#version++;
    while (this.#len > 0 && this.#ts[this.#head]! < tsMs) {
      this.#head = this.#head + 1 === this.#ts.length ? 0 : this.#head + 1;
      this.#len--;
    }
  }

  /**
   * Merges a run of samples (oldest first), e.g. a snapshot after a reconnect
   * or a host's window asked for when it is opened: the run's timestamps get
   * the run's values, and what arrived live meanwhile stays.
   */
  merge(points: ReadonlyArray<SamplePoint>): void {
    for (const [ts, value] of points) this.push(ts, value);
  }

  clear(): void {
    this.#version++;
    this.#head = 0;
    this.#len = 0;
  }

  /** A new ring of another capacity (and options) holding the newest samples of this one. */
  resized(capacity: number, options: RingOptions = { gapMs: this.gapMs }): Ring {
    const next = new Ring(capacity, options);
    for (let i = Math.max(0, this.#len - capacity); i < this.#len; i++) next.push(this.tsAt(i), this.valueAt(i));
    return next;
  }

  /**
   * The samples as uPlot columns: seconds, and `null` for missing values and
   * across holes (see `gapMs`). The returned arrays are reused
   * (rewritten by the next call after a change; the same, untouched, while
   * the ring has not changed): hand them to `setData` and let go.
   */
  toUplot(): UplotColumns {
    const xs = this.#outX;
    const ys = this.#outY;
    if (this.#outVersion === this.#version) return [xs, ys];
    this.#outVersion = this.#version;
    let minStepMs = Number.POSITIVE_INFINITY;
    for (let i = 1; i < this.#len; i++) minStepMs = Math.min(minStepMs, this.tsAt(i) - this.tsAt(i - 1));
    const gapMs = Number.isFinite(minStepMs) ? Math.max(this.gapMs, 2.5 * minStepMs) : this.gapMs;
    let n = 0;
    let prev = Number.NaN;
    for (let i = 0; i < this.#len; i++) {
      const p = this.#phys(i);
      const ts = this.#ts[p]!;
      if (ts - prev > gapMs) {
        xs[n] = (prev + ts) / 2000;
        ys[n++] = null;
      }
      const v = this.#val[p]!;
      xs[n] = ts / 1000;
      ys[n++] = Number.isNaN(v) ? null : v;
      prev = ts;
    }
    xs.length = n;
    ys.length = n;
    return [xs, ys];
  }

  /**
   * Values at exactly the given x positions (seconds, ascending), `null` where
   * this ring has no sample: lines up a second series with another's x column.
   */
  alignTo(xsSec: readonly number[], out: (number | null)[] = []): (number | null)[] {
    let i = 0;
    for (let k = 0; k < xsSec.length; k++) {
      // x went through a division by 1000: compare to the half millisecond.
      const tsMs = xsSec[k]! * 1000;
      while (i < this.#len && this.tsAt(i) < tsMs - 0.5) i++;
      out[k] = i < this.#len && Math.abs(this.tsAt(i) - tsMs) < 0.5 ? this.valueAt(i) : null;
    }
    out.length = xsSec.length;
    return out;
  }
}
