/**
 * Parsed scrapes → glasswatch series (CONTRACT.md, "Application metrics").
 * One converter per source — a target, or the host of a push — because
 * counters and histograms become rates over the interval between two scrapes
 * of the same source.
 *
 *   gauge, untyped `x`     → `x`, or `x{a="1"}` per label set plus the sum `x` when there are several
 *   counter `x_total`      → `x_total:rate` (sum) and `x_total:rate{a="1"}` per label set, per second
 *   histogram `x`          → `x:p50`, `x:p95`, `x:p99` over the interval (label sets summed), `x:rate`
 *   summary `x`            → `x{quantile="0.95",…}` as gauges, `x:rate` and `x:mean` from `_count`/`_sum`
 *
 * Δt is the difference of the scrape times passed to `convert`, never the
 * samples' own timestamps (a client's clock and caching are not ours to trust).
 * The first scrape of a series (a new label set, or after `reset()`) gives no
 * rate; a counter that went down was reset and counts from zero, as in
 * Prometheus' rate(). A label set missing from a scrape is forgotten.
 *
 * All or nothing: a scrape that fails (duplicate series, too many series)
 * throws and leaves the converter's state as it was.
 */
import { METRICS, SERIES_NAME_MAX } from '../../shared/catalog.ts';
import { ExpositionError, formatSeriesName, parseLabelSet, parseNumber, sameLabelsExcept, type Labels, type MetricFamily } from './exposition.ts';

export type SeriesKind = 'gauge' | 'counter' | 'histogram';

/** What the catalog needs of a produced series (the shape of the metric catalog's `NewMetric`). */
export interface SeriesInfo {
  name: string;
  kind: SeriesKind;
  /** `s`, `B`, `ms`, … from `# UNIT` or the name; rates end in `/s` (`/s` alone for plain counts). */
  unit: string;
  /** The family's `# HELP`, or ''. */
  help: string;
}

export interface Conversion {
  /** Series → value, for the series that have a value this scrape. A null-prototype object. */
  values: Record<string, number>;
  /** Every series this scrape defines, with or without a value yet (a counter's first scrape has none). */
  series: SeriesInfo[];
}

export interface ConverterOptions {
  /** Most distinct series one scrape may define (default 500). */
  maxSeries?: number;
}

export interface Converter {
  /** Converts one parsed scrape taken at `tsMs` (epoch ms). Throws ExpositionError; the state is then unchanged. */
  convert(families: readonly MetricFamily[], tsMs: number): Conversion;
  /** Forgets previous scrapes: the next one gives no rates. */
  reset(): void;
}

export const DEFAULT_MAX_SERIES = 500;

export class SeriesLimitError extends ExpositionError {
  override name = 'SeriesLimitError';
  constructor(
    readonly limit: number,
    readonly count: number,
  ) {
    super(0, `the scrape defines ${count} series, more than the limit of ${limit} per source`);
  }
}

export function createConverter(options: ConverterOptions = {}): Converter {
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  /** Cumulative values (counters, buckets, `_count`, `_sum`) of the last good scrape, by series. */
  let previous = new Map<string, number>();
  let previousTsMs: number | undefined;
  return {
    convert(families, tsMs) {
      if (!Number.isFinite(tsMs)) throw new TypeError(`scrape time must be epoch milliseconds, got ${tsMs}`);
      const dtSec = previousTsMs === undefined ? 0 : (tsMs - previousTsMs) / 1000;
      // A clock that stood still or went back gives no rates; this scrape becomes the baseline.
      const ctx: Ctx = { out: new Output(), prev: dtSec > 0 ? previous : NOTHING, next: new Map(), dtSec };
      const companions = createdCompanions(families);
      for (const f of families) {
        if (f.samples.length === 0) continue;
        switch (f.type) {
          case 'gauge':
          case 'untyped':
            if (!companions.has(f.name)) convertGauge(ctx, f);
            break;
          case 'counter':
            convertCounter(ctx, f);
            break;
          case 'histogram':
            convertHistogram(ctx, f);
            break;
          case 'summary':
            convertSummary(ctx, f);
            break;
        }
      }
      if (ctx.out.series.length > maxSeries) throw new SeriesLimitError(maxSeries, ctx.out.series.length);
      previous = ctx.next;
      previousTsMs = tsMs;
      return { values: ctx.out.values, series: ctx.out.series };
    },
    reset() {
      previous = new Map();
      previousTsMs = undefined;
    },
  };
}

/**
 * Prometheus' histogram_quantile over cumulative buckets sorted by bound, the
 * last one +Inf: linear interpolation inside the bucket the rank falls in (the
 * first bucket starts at 0), the highest finite bound when it falls in +Inf.
 * Undefined without observations, without a +Inf bucket, with fewer than two
 * buckets, or for q outside (0, 1].
 */
export function bucketQuantile(q: number, buckets: ReadonlyArray<{ le: number; count: number }>): number | undefined {
  const n = buckets.length;
  if (!(q > 0 && q <= 1) || n < 2 || buckets[n - 1]!.le !== Infinity) return undefined;
  // Counts summed over label sets with different bounds may dip; Prometheus evens them out the same way.
  const counts = buckets.map((b) => b.count);
  for (let k = 1; k < n; k++) if (counts[k]! < counts[k - 1]!) counts[k] = counts[k - 1]!;
  const total = counts[n - 1]!;
  if (!(total > 0)) return undefined;
  let rank = q * total;
  let b = 0;
  while (counts[b]! < rank) b++;
  if (b === n - 1) return buckets[n - 2]!.le;
  if (b === 0 && buckets[0]!.le <= 0) return buckets[0]!.le;
  let start = 0;
  let count = counts[b]!;
  if (b > 0) {
    start = buckets[b - 1]!.le;
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return start + (buckets[b]!.le - start) * (rank / count);
}

/** The built-in metric a series name would shadow — the name itself or its family (before `{`) — or undefined. */
export function builtinNameOf(name: string): string | undefined {
  const brace = name.indexOf('{');
  const family = brace === -1 ? name : name.slice(0, brace);
  return Object.hasOwn(METRICS, family) ? family : undefined;
}

/** The names among `names` that would shadow a built-in metric; a push carrying any is refused. */
export function findBuiltinNames(names: Iterable<string>): string[] {
  const found: string[] = [];
  for (const name of names) if (builtinNameOf(name) !== undefined) found.push(name);
  return found;
}

// --- JSON pushes -------------------------------------------------------------

export interface PushItem {
  ts: number;
  /** Series → value, names with a label part in canonical form. A null-prototype object. */
  values: Record<string, number>;
}

export const PUSH_LIMITS = Object.freeze({ maxItems: 1000, maxValuesPerItem: 1000, maxNameLength: 200, maxFutureMs: 5000 });

export class PushError extends Error {
  override name = 'PushError';
}

/**
 * Checks a JSON push, `{"ts"?, "values": {name: number}}` or an array of
 * those, and returns its items with `ts` filled in (`now` when absent).
 * Names are 1–200 characters of letters, digits, `_`, `.`, `:` (not starting
 * with a digit, `.` or `:`), optionally followed by a label set
 * `{a="1",b="2"}`, which is rewritten sorted. Throws PushError.
 */
export function parsePushJson(body: unknown, now: number): PushItem[] {
  const single = !Array.isArray(body);
  const items: unknown[] = single ? [body] : (body as unknown[]);
  if (items.length === 0) throw new PushError('the body is an empty array; send {"values": {name: number}} or an array of those');
  if (items.length > PUSH_LIMITS.maxItems) throw new PushError(`the body has ${items.length} items, more than the limit of ${PUSH_LIMITS.maxItems}`);
  return items.map((item, index) => pushItem(item, single ? 'body' : `[${index}]`, now));
}

function pushItem(item: unknown, at: string, now: number): PushItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new PushError(`${at} must be an object {"ts"?, "values": {name: number}}`);
  }
  for (const key of Object.keys(item)) {
    if (key !== 'ts' && key !== 'values') throw new PushError(`${at} has an unknown field ${JSON.stringify(key)} (only "ts" and "values")`);
  }
  const { ts, values } = item as { ts?: unknown; values?: unknown };
  let tsMs = now;
  if (ts !== undefined) {
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) throw new PushError(`${at}.ts must be an integer: epoch milliseconds`);
    if (ts < 1e11) throw new PushError(`${at}.ts ${ts} is before 1973: send epoch milliseconds, not seconds`);
    if (ts > now + PUSH_LIMITS.maxFutureMs) {
      throw new PushError(`${at}.ts is ${((ts - now) / 1000).toFixed(1)} s in the future (at most ${PUSH_LIMITS.maxFutureMs / 1000} s)`);
    }
    tsMs = ts;
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new PushError(`${at}.values must be an object {name: number}`);
  }
  const names = Object.keys(values);
  if (names.length === 0) throw new PushError(`${at}.values is empty`);
  if (names.length > PUSH_LIMITS.maxValuesPerItem) {
    throw new PushError(`${at}.values has ${names.length} entries, more than the limit of ${PUSH_LIMITS.maxValuesPerItem}`);
  }
  const out = Object.create(null) as Record<string, number>;
  const given = new Map<string, string>();
  for (const raw of names) {
    const value = (values as Record<string, unknown>)[raw];
    const where = `${at}.values[${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}…` : raw)}]`;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new PushError(`${where} must be a finite number`);
    const name = canonicalPushName(raw, where);
    const earlier = given.get(name);
    if (earlier !== undefined) throw new PushError(`${where} is the same series as ${JSON.stringify(earlier)}`);
    given.set(name, raw);
    out[name] = value;
  }
  return { ts: tsMs, values: out };
}

const PUSH_FAMILY = /^[A-Za-z_][A-Za-z0-9_.:]*$/;

function canonicalPushName(raw: string, where: string): string {
  const brace = raw.indexOf('{');
  const family = brace === -1 ? raw : raw.slice(0, brace);
  if (family.length === 0 || family.length > PUSH_LIMITS.maxNameLength || !PUSH_FAMILY.test(family)) {
    throw new PushError(
      `${where}: invalid name; 1–${PUSH_LIMITS.maxNameLength} characters of A–Z a–z 0–9 _ . : (starting with a letter or _), optionally followed by {label="value",…}`,
    );
  }
  if (brace === -1) return raw;
  let labels: Labels;
  try {
    labels = parseLabelSet(raw.slice(brace));
  } catch (err) {
    if (err instanceof ExpositionError) throw new PushError(`${where}: ${err.detail}`);
    throw err;
  }
  const name = formatSeriesName(family, labels);
  if (name.length > SERIES_NAME_MAX) throw new PushError(`${where}: the name is ${name.length} characters long, more than ${SERIES_NAME_MAX}`);
  return name;
}

// --- conversion, one family type at a time ------------------------------------

const NOTHING: ReadonlyMap<string, number> = new Map();

interface Ctx {
  out: Output;
  /** Last scrape's cumulative values; empty when no rate can be computed this time. */
  prev: ReadonlyMap<string, number>;
  next: Map<string, number>;
  dtSec: number;
}

/** The series of one scrape, refusing a name produced twice. */
class Output {
  readonly values = Object.create(null) as Record<string, number>;
  readonly series: SeriesInfo[] = [];
  private readonly lines = new Map<string, number>();

  declare(name: string, kind: SeriesKind, unit: string, help: string, line: number): void {
    const first = this.lines.get(name);
    if (first !== undefined) throw new ExpositionError(line, `series ${name} is produced twice (also from line ${first})`);
    if (name.length > SERIES_NAME_MAX) {
      throw new ExpositionError(line, `series name ${name.slice(0, 60)}… is ${name.length} characters long, more than ${SERIES_NAME_MAX}`);
    }
    this.lines.set(name, line);
    this.series.push({ name, kind, unit, help });
  }
}

/** Increase of a cumulative value; a decrease is a reset, after which it counts from zero. */
const increase = (value: number, prev: number) => (value >= prev ? value - prev : value);

function convertGauge(ctx: Ctx, f: MetricFamily): void {
  const unit = unitOf(f);
  const help = f.help ?? '';
  let plain = false;
  let sum = 0;
  for (const s of f.samples) {
    const name = s.series;
    ctx.out.declare(name, 'gauge', unit, help, s.line);
    ctx.out.values[name] = s.value;
    if (s.labels.length === 0) plain = true;
    sum += s.value;
  }
  // An unlabelled sample is `x` itself; otherwise several label sets add up to `x`.
  const first = f.samples[0]!;
  if (!plain && f.samples.length > 1) {
    ctx.out.declare(first.name, 'gauge', unit, help, first.line);
    ctx.out.values[first.name] = sum;
  }
}

function convertCounter(ctx: Ctx, f: MetricFamily): void {
  const unit = rateUnit(unitOf(f));
  const help = f.help ?? '';
  const created = `${f.name}_created`;
  // By sample name: a family may hold both `x` and `x_total` (rare, but each is its own counter).
  const totals = new Map<string, { sum: number; rated: boolean; plain: boolean; line: number }>();
  for (const s of f.samples) {
    if (s.name === created) continue;
    const key = s.series;
    ctx.next.set(key, s.value);
    const base = `${s.name}:rate`;
    let total = totals.get(base);
    if (!total) totals.set(base, (total = { sum: 0, rated: false, plain: false, line: s.line }));
    const prev = ctx.prev.get(key);
    const rate = prev === undefined ? undefined : increase(s.value, prev) / ctx.dtSec;
    if (rate !== undefined) {
      total.sum += rate;
      total.rated = true;
    }
    if (s.labels.length === 0) total.plain = true;
    const name = s.labels.length === 0 ? base : base + key.slice(s.name.length);
    ctx.out.declare(name, 'counter', unit, help, s.line);
    if (rate !== undefined) ctx.out.values[name] = rate;
  }
  for (const [base, total] of totals) {
    if (total.plain) continue;
    ctx.out.declare(base, 'counter', unit, help, total.line);
    if (total.rated) ctx.out.values[base] = total.sum;
  }
}

interface Cumulative {
  key: string;
  value: number;
}

function convertHistogram(ctx: Ctx, f: MetricFamily): void {
  type Group = { buckets: Array<Cumulative & { le: number }>; count?: Cumulative; line: number };
  const groups = new Map<string, Group>();
  let last: { group: Group; labels: Labels } | undefined;
  for (const s of f.samples) {
    const suffix = s.name.slice(f.name.length);
    if (suffix !== '_bucket' && suffix !== '_count') continue; // `_sum` and `_created` are not needed
    const key = s.series;
    ctx.next.set(key, s.value);
    if (suffix === '_count') {
      const set = key.slice(s.name.length);
      let g = groups.get(set);
      if (!g) groups.set(set, (g = { buckets: [], line: s.line }));
      g.count = { key, value: s.value };
      continue;
    }
    const at = s.labels.findIndex((l) => l[0] === 'le'); // the parser made sure there is one
    // A label set's buckets come one after another: find its group without formatting its key again.
    let g = last && sameLabelsExcept(last.labels, s.labels, at) ? last.group : undefined;
    if (!g) {
      const set = formatSeriesName('', s.labels.filter((_, k) => k !== at));
      g = groups.get(set);
      if (!g) groups.set(set, (g = { buckets: [], line: s.line }));
      last = { group: g, labels: s.labels };
    }
    g.buckets.push({ key, value: s.value, le: parseNumber(s.labels[at]![1])! });
  }
  if (groups.size === 0) return;

  const unit = unitOf(f);
  const help = f.help ?? '';
  const line = groups.values().next().value!.line;
  for (const p of PERCENTILES) ctx.out.declare(`${f.name}:${p.suffix}`, 'histogram', unit, help, line);
  ctx.out.declare(`${f.name}:rate`, 'histogram', '/s', help, line);

  const sums = new Map<number, number>(); // le → observations in the interval, all label sets
  let observations = 0;
  let rated = false;
  for (const g of groups.values()) {
    if (g.buckets.length === 0) continue; // a `_count` without buckets says nothing about the distribution
    const count = g.count ?? g.buckets.find((b) => b.le === Infinity)!;
    const countPrev = ctx.prev.get(count.key);
    if (countPrev === undefined) continue;
    let reset = count.value < countPrev;
    const prevs: number[] = [];
    for (const b of g.buckets) {
      const p = ctx.prev.get(b.key);
      if (p === undefined) break; // a new bucket bound: this label set starts over
      if (b.value < p) reset = true;
      prevs.push(p);
    }
    if (prevs.length < g.buckets.length) continue;
    g.buckets.forEach((b, k) => sums.set(b.le, (sums.get(b.le) ?? 0) + (reset ? b.value : b.value - prevs[k]!)));
    observations += reset ? count.value : count.value - countPrev;
    rated = true;
  }
  if (!rated) return;
  ctx.out.values[`${f.name}:rate`] = observations / ctx.dtSec;
  const buckets = [...sums].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  for (const p of PERCENTILES) {
    const v = bucketQuantile(p.q, buckets);
    if (v !== undefined) ctx.out.values[`${f.name}:${p.suffix}`] = v;
  }
}

const PERCENTILES = [
  { q: 0.5, suffix: 'p50' },
  { q: 0.95, suffix: 'p95' },
  { q: 0.99, suffix: 'p99' },
] as const;

function convertSummary(ctx: Ctx, f: MetricFamily): void {
  const unit = unitOf(f);
  const help = f.help ?? '';
  const groups = new Map<string, { count?: Cumulative; sum?: Cumulative; line: number }>();
  for (const s of f.samples) {
    if (s.name === f.name) {
      // A quantile: a gauge, absent while it is NaN (no observations in the client's window).
      const name = s.series;
      ctx.out.declare(name, 'gauge', unit, help, s.line);
      if (Number.isFinite(s.value)) ctx.out.values[name] = s.value;
      continue;
    }
    const suffix = s.name.slice(f.name.length);
    if (suffix !== '_count' && suffix !== '_sum') continue;
    const key = s.series;
    ctx.next.set(key, s.value);
    const set = key.slice(s.name.length);
    let g = groups.get(set);
    if (!g) groups.set(set, (g = { line: s.line }));
    g[suffix === '_count' ? 'count' : 'sum'] = { key, value: s.value };
  }
  const counted = [...groups.values()].filter((g) => g.count);
  if (counted.length === 0) return;

  const line = counted[0]!.line;
  const hasSum = counted.some((g) => g.sum);
  ctx.out.declare(`${f.name}:rate`, 'counter', '/s', help, line);
  if (hasSum) ctx.out.declare(`${f.name}:mean`, 'counter', unit, help, line);
  let observations = 0;
  let total = 0;
  let sumsComplete = true;
  let rated = false;
  for (const g of counted) {
    const countPrev = ctx.prev.get(g.count!.key);
    if (countPrev === undefined) continue;
    // `_sum` may fall with negative observations; only `_count` tells a reset.
    const reset = g.count!.value < countPrev;
    observations += reset ? g.count!.value : g.count!.value - countPrev;
    const sumPrev = g.sum && ctx.prev.get(g.sum.key);
    if (g.sum && sumPrev !== undefined) total += reset ? g.sum.value : g.sum.value - sumPrev;
    else sumsComplete = false;
    rated = true;
  }
  if (!rated) return;
  ctx.out.values[`${f.name}:rate`] = observations / ctx.dtSec;
  if (hasSum && sumsComplete && observations > 0) ctx.out.values[`${f.name}:mean`] = total / observations;
}

/**
 * Python's client (django-prometheus) writes a counter's, histogram's or
 * summary's creation time as a separate gauge `x_created` in format 0.0.4:
 * a timestamp, not a measurement, so it is dropped.
 */
function createdCompanions(families: readonly MetricFamily[]): Set<string> {
  const out = new Set<string>();
  for (const f of families) {
    if (f.type === 'counter') out.add(`${f.name.endsWith('_total') ? f.name.slice(0, -6) : f.name}_created`);
    else if (f.type === 'histogram' || f.type === 'summary') out.add(`${f.name}_created`);
  }
  return out;
}

const UNIT_SYMBOLS = new Map([
  ['seconds', 's'],
  ['milliseconds', 'ms'],
  ['microseconds', 'µs'],
  ['nanoseconds', 'ns'],
  ['bytes', 'B'],
  ['bits', 'bit'],
  ['percent', '%'],
  ['celsius', '°C'],
  ['meters', 'm'],
  ['volts', 'V'],
  ['amperes', 'A'],
  ['joules', 'J'],
  ['grams', 'g'],
  ['hertz', 'Hz'],
  ['watts', 'W'],
]);

/**
 * `# UNIT` when given, else the unit word Prometheus' naming puts last
 * (`_seconds`, `_bytes`, before `_total`), or right before `_max`
 * (Micrometer: `http_server_requests_seconds_max`) or `_by_…`
 * (django-prometheus: `…_latency_seconds_by_view_method`).
 */
function unitOf(f: MetricFamily): string {
  if (f.unit) return UNIT_SYMBOLS.get(f.unit) ?? f.unit;
  const words = f.name.split('_');
  if (f.type === 'counter' && words.at(-1) === 'total') words.pop();
  if (words.at(-1) === 'max') words.pop();
  const last = UNIT_SYMBOLS.get(words.at(-1)!);
  if (last) return last;
  const by = words.lastIndexOf('by');
  return (by > 0 && UNIT_SYMBOLS.get(words[by - 1]!)) || '';
}

const rateUnit = (unit: string) => `${unit}/s`;
