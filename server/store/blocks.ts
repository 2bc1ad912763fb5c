/**
 * Sealed samples: every minute, the head's rows of closed minutes are moved
 * into one `sample_blocks` row per series and minute — encoded with the
 * codec, beside the minute's aggregates — in one transaction, so a crash
 * leaves them either in the head or in a block, never lost and never in
 * both for good. A late or re-delivered sample for a minute that already has
 * a block is merged into it (the stored sample wins on an equal timestamp):
 * each host/metric/timestamp is kept once.
 *
 * Reading raw samples decodes the blocks of a range and adds the head's
 * rows, de-duplicated the same way.
 */
import { sql } from 'drizzle-orm';
import { timeSlices } from '../lib/slices.ts';
import { decodeSeries, encodeSeries, mergeSeries, type Series } from './codec.ts';
import { queryRows, type Db } from './db.ts';

export const MINUTE = 60_000;

/** The warning/critical thresholds a metric's time-in-state is counted against, if it has any. */
export type ThresholdsOf = (metricId: number) => { warning?: number; critical?: number } | undefined;

export interface SealOptions {
  /** Seal the head's samples older than this (a minute boundary). */
  beforeMs: number;
  thresholds: ThresholdsOf;
  /** The host's tick: the time one sample stands for when a block holds a single sample. */
  intervalMsOf(hostId: number): number;
  /** Head rows moved per transaction (bounds memory and transaction length). */
  chunkRows?: number;
  /** Lets the caller yield between chunks (and stop). */
  between?(): Promise<boolean | void>;
}

export interface SealResult {
  samples: number;
  blocks: number;
  /** Hour starts whose minutes changed: their hourly rollups must be redone. */
  hours: Set<number>;
}

export interface BlockAggregates {
  n: number;
  min: number;
  max: number;
  sum: number;
  warnSeconds: number | null;
  critSeconds: number | null;
}

/**
 * The aggregates of one block. Each sample stands for the time until the
 * next one (the block's median step for the last; the host's tick for a
 * lone sample), and counts toward Warning (≥ warning, < critical) or
 * Critical (≥ critical) time.
 */
export function aggregate(s: Series, thresholds: { warning?: number; critical?: number } | undefined, intervalMs: number): BlockAggregates {
  const n = s.ts.length;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = s.values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  if (!thresholds || (thresholds.warning === undefined && thresholds.critical === undefined)) {
    return { n, min, max, sum, warnSeconds: null, critSeconds: null };
  }
  const steps: number[] = [];
  for (let i = 1; i < n; i++) steps.push(s.ts[i]! - s.ts[i - 1]!);
  steps.sort((a, b) => a - b);
  const typical = steps.length ? steps[Math.floor((steps.length - 1) / 2)]! : intervalMs;
  const warning = thresholds.warning ?? Number.POSITIVE_INFINITY;
  const critical = thresholds.critical ?? Number.POSITIVE_INFINITY;
  let warnMs = 0;
  let critMs = 0;
  for (let i = 0; i < n; i++) {
    // A hole (the host was away) counts for one step at most.
    const span = i + 1 < n ? Math.min(s.ts[i + 1]! - s.ts[i]!, 2 * typical) : typical;
    const v = s.values[i]!;
    if (v >= critical) critMs += span;
    else if (v >= warning) warnMs += span;
  }
  return { n, min, max, sum, warnSeconds: warnMs / 1000, critSeconds: critMs / 1000 };
}

interface HeadRow extends Record<string, unknown> {
  h: number;
  m: number;
  t: number;
  v: number;
}

interface StoredBlock extends Record<string, unknown> {
  h: number;
  m: number;
  start: number;
  data: Uint8Array | null;
}

const minuteOf = (ts: number) => Math.floor(ts / MINUTE) * MINUTE;
const keyOf = (h: number, m: number, start: number) => `${h}:${m}:${start}`;
const arrayLiteral = (xs: ReadonlyArray<number>) => `{${xs.join(',')}}`;
const textArray = (xs: ReadonlyArray<string | null>) => `{${xs.map((x) => (x === null ? 'NULL' : `"${x}"`)).join(',')}}`;
const nullableArray = (xs: ReadonlyArray<number | null>) => `{${xs.map((x) => (x === null ? 'NULL' : String(x))).join(',')}}`;

/** Moves one chunk of the head into blocks; returns the samples moved (0: nothing left). */
async function sealChunk(db: Db, opts: SealOptions, result: SealResult): Promise<number> {
  const limit = opts.chunkRows ?? 50_000;
  return db.transaction(async (tx) => {
    // In key order: a chunk holds whole runs of a series, and the head's primary key serves the scan.
    const rows = await queryRows<HeadRow>(tx as unknown as Db, sql`
      DELETE FROM samples WHERE (host_id, metric_id, ts) IN (
        SELECT host_id, metric_id, ts FROM samples WHERE ts < ${at(opts.beforeMs)} ORDER BY host_id, metric_id, ts LIMIT ${limit})
      RETURNING host_id AS h, metric_id AS m, (extract(epoch FROM ts) * 1000)::float8 AS t, value AS v`);
    if (rows.length === 0) return 0;
    rows.sort((a, b) => a.h - b.h || a.m - b.m || a.t - b.t);

    // Group into (series, minute) runs.
    const groups = new Map<string, { h: number; m: number; start: number; ts: number[]; values: number[] }>();
    for (const r of rows) {
      const start = minuteOf(r.t);
      const key = keyOf(r.h, r.m, start);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { h: r.h, m: r.m, start, ts: [], values: [] }));
      // The head's key makes timestamps unique within a series.
      g.ts.push(r.t);
      g.values.push(r.v);
    }
    const list = [...groups.values()];

    // Blocks that exist already for these minutes (late samples, re-deliveries): merge into them.
    const existing = new Map<string, StoredBlock>();
    for (const b of await queryRows<StoredBlock>(tx as unknown as Db, sql`
      SELECT b.host_id AS h, b.metric_id AS m, (extract(epoch FROM b.start) * 1000)::float8 AS start, b.data
      FROM sample_blocks b
      JOIN unnest(${arrayLiteral(list.map((g) => g.h))}::int2[], ${arrayLiteral(list.map((g) => g.m))}::int2[],
                  ${arrayLiteral(list.map((g) => g.start))}::float8[]) AS k(h, m, s)
        ON b.host_id = k.h AND b.metric_id = k.m AND b.start = to_timestamp(k.s / 1000.0)`)) {
      existing.set(keyOf(b.h, b.m, b.start), b);
    }

    const out = { h: [] as number[], m: [] as number[], start: [] as number[], n: [] as number[], min: [] as number[], max: [] as number[], sum: [] as number[], warn: [] as Array<number | null>, crit: [] as Array<number | null>, data: [] as Array<string | null> };
    for (const g of list) {
      const stored = existing.get(keyOf(g.h, g.m, g.start));
      // A minute whose raw samples already expired keeps its aggregates; a late straggler for it is dropped.
      if (stored && stored.data === null) continue;
      const fresh: Series = { ts: Float64Array.from(g.ts), values: Float64Array.from(g.values) };
      const series = stored?.data ? mergeSeries(decodeSeries(toBytes(stored.data)), fresh) : fresh;
      const agg = aggregate(series, opts.thresholds(g.m), opts.intervalMsOf(g.h));
      out.h.push(g.h);
      out.m.push(g.m);
      out.start.push(g.start);
      out.n.push(agg.n);
      out.min.push(agg.min);
      out.max.push(agg.max);
      out.sum.push(agg.sum);
      out.warn.push(agg.warnSeconds);
      out.crit.push(agg.critSeconds);
      out.data.push(Buffer.from(encodeSeries(series.ts, series.values)).toString('base64'));
      result.hours.add(Math.floor(g.start / 3600_000) * 3600_000);
    }
    if (out.h.length > 0) {
      await tx.execute(sql`
        INSERT INTO sample_blocks (host_id, metric_id, start, n, min, max, sum, warn_seconds, crit_seconds, data)
        SELECT h, m, to_timestamp(s / 1000.0), n, mn, mx, sm, w, c, decode(d, 'base64')
        FROM unnest(${arrayLiteral(out.h)}::int2[], ${arrayLiteral(out.m)}::int2[], ${arrayLiteral(out.start)}::float8[],
                    ${arrayLiteral(out.n)}::int4[], ${arrayLiteral(out.min)}::float8[], ${arrayLiteral(out.max)}::float8[],
                    ${arrayLiteral(out.sum)}::float8[], ${nullableArray(out.warn)}::float4[], ${nullableArray(out.crit)}::float4[],
                    ${textArray(out.data)}::text[]) AS u(h, m, s, n, mn, mx, sm, w, c, d)
        ON CONFLICT (host_id, metric_id, start) DO UPDATE SET
          n = excluded.n, min = excluded.min, max = excluded.max, sum = excluded.sum,
          warn_seconds = excluded.warn_seconds, crit_seconds = excluded.crit_seconds, data = excluded.data`);
    }
    result.samples += rows.length;
    result.blocks += out.h.length;
    return rows.length;
  });
}

/** Seals everything in the head older than `beforeMs`, a chunk per transaction. */
export async function sealHead(db: Db, opts: SealOptions): Promise<SealResult> {
  const result: SealResult = { samples: 0, blocks: 0, hours: new Set() };
  while ((await sealChunk(db, opts, result)) > 0) {
    if ((await opts.between?.()) === false) break;
  }
  return result;
}

export const at = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;

/** bytea arrives as a Buffer (pg) or a Uint8Array (PGlite). */
function toBytes(data: Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBufferLike);
}

/** Keeps the part of a series within [fromMs, toMs]. */
function clip(s: Series, fromMs: number, toMs: number): Series {
  let i = 0;
  while (i < s.ts.length && s.ts[i]! < fromMs) i++;
  let j = s.ts.length;
  while (j > i && s.ts[j - 1]! > toMs) j--;
  return i === 0 && j === s.ts.length ? s : { ts: s.ts.subarray(i, j), values: s.values.subarray(i, j) };
}

export interface RawQuery {
  hostId: number;
  /** Every metric of the host when absent. */
  metricIds?: readonly number[];
  fromMs: number;
  toMs: number;
  /** Keep duplicates (a sample both in a block and in the head) instead of merging them: for checks. */
  keepDuplicates?: boolean;
}

/**
 * Raw samples of one host in [fromMs, toMs], per metric id, oldest first:
 * blocks decoded, head rows added. Decoding runs in time slices
 * (lib/slices.ts), so a long range never stalls the server.
 */
export async function readRaw(db: Db, q: RawQuery): Promise<Map<number, Series>> {
  const metricFilter = q.metricIds ? sql`AND metric_id = ANY(${arrayLiteral(q.metricIds)}::int2[])` : sql``;
  const blocks = await queryRows<{ m: number; data: Uint8Array }>(db, sql`
    SELECT metric_id AS m, data FROM sample_blocks
    WHERE host_id = ${q.hostId} ${metricFilter} AND data IS NOT NULL
      AND start >= ${at(minuteOf(q.fromMs))} AND start <= ${at(q.toMs)}
    ORDER BY metric_id, start`);
  const head = await queryRows<{ m: number; t: number; v: number }>(db, sql`
    SELECT metric_id AS m, (extract(epoch FROM ts) * 1000)::float8 AS t, value AS v FROM samples
    WHERE host_id = ${q.hostId} ${metricFilter} AND ts >= ${at(q.fromMs)} AND ts <= ${at(q.toMs)}
    ORDER BY metric_id, ts`);

  const parts = new Map<number, Series[]>();
  const slices = timeSlices();
  for (const b of blocks) {
    const s = clip(decodeSeries(toBytes(b.data)), q.fromMs, q.toMs);
    if (s.ts.length > 0) (parts.get(b.m) ?? parts.set(b.m, []).get(b.m)!).push(s);
    await slices.pause();
  }
  const out = new Map<number, Series>();
  for (const [m, list] of parts) out.set(m, concat(list));
  const headBy = new Map<number, { ts: number[]; values: number[] }>();
  for (const r of head) {
    let e = headBy.get(r.m);
    if (!e) headBy.set(r.m, (e = { ts: [], values: [] }));
    e.ts.push(r.t);
    e.values.push(r.v);
  }
  for (const [m, e] of headBy) {
    const sealed = out.get(m);
    const fresh = { ts: Float64Array.from(e.ts), values: Float64Array.from(e.values) };
    if (!sealed) out.set(m, fresh);
    else if (q.keepDuplicates) out.set(m, concatSorted(sealed, fresh));
    else out.set(m, mergeSeries(sealed, fresh));
  }
  return out;
}

/** Blocks of one series in start order never overlap: plain concatenation. */
function concat(list: Series[]): Series {
  if (list.length === 1) return list[0]!;
  const n = list.reduce((sum, s) => sum + s.ts.length, 0);
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  let k = 0;
  for (const s of list) {
    ts.set(s.ts, k);
    values.set(s.values, k);
    k += s.ts.length;
  }
  return { ts, values };
}

/** Both sides, duplicates kept, sorted by time (stable). */
function concatSorted(a: Series, b: Series): Series {
  const order = [...Array(a.ts.length + b.ts.length).keys()];
  const tsOf = (i: number) => (i < a.ts.length ? a.ts[i]! : b.ts[i - a.ts.length]!);
  const valueOf = (i: number) => (i < a.ts.length ? a.values[i]! : b.values[i - a.ts.length]!);
  order.sort((x, y) => tsOf(x) - tsOf(y));
  return { ts: Float64Array.from(order, tsOf), values: Float64Array.from(order, valueOf) };
}
