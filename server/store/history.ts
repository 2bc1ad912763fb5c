/**
 * Reading history: a time range of one series, downsampled to at most
 * `points` buckets of [ts, min, avg, max]. Buckets of an hour or more read
 * the hourly rollups where those exist; buckets of a minute or more read the
 * minute blocks' aggregates in SQL (never their samples); finer buckets
 * decode the blocks. The head — samples not sealed yet — is added in every
 * case, so the newest seconds are always there.
 */
import { sql } from 'drizzle-orm';
import type { HistoryPoint } from '../../shared/api.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import { at, MINUTE, readRaw } from './blocks.ts';
import type { Series } from './codec.ts';
import { queryRows, type Db } from './db.ts';

export { at };

export interface HistoryRange {
  hostId: number;
  metricId: number;
  fromMs: number;
  toMs: number;
  points: number;
}

const HOUR = 60 * MINUTE;

/** The bucket width: the range split into `points`, never narrower than 1 ms. */
export function stepFor(fromMs: number, toMs: number, points: number): number {
  return Math.max(1, Math.ceil((toMs - fromMs + 1) / points));
}

/** Where the hourly tier's coverage ends: [from, hourEnd) hourly, the rest from minute blocks and the head. */
export function hourTierEnd(stepMs: number, range: { fromMs: number; toMs: number }, rolledHourEnd: number | null): number {
  if (stepMs < HOUR) return range.fromMs;
  return Math.min(Math.max(rolledHourEnd ?? range.fromMs, range.fromMs), range.toMs + 1);
}

interface BucketRow extends Record<string, unknown> {
  i: number;
  min: number;
  avg: number;
  max: number;
}

/** Buckets raw samples in memory: [ts, min, avg, max] per non-empty bucket. */
export function bucketSeries(s: Series, r: { fromMs: number; points: number }, stepMs: number): HistoryPoint[] {
  const out: HistoryPoint[] = [];
  let current = -1;
  let min = 0;
  let max = 0;
  let sum = 0;
  let n = 0;
  const flush = () => {
    if (n > 0) out.push([r.fromMs + current * stepMs, min, sum / n, max]);
  };
  for (let k = 0; k < s.ts.length; k++) {
    const i = Math.min(Math.floor((s.ts[k]! - r.fromMs) / stepMs), r.points - 1);
    const v = s.values[k]!;
    if (i !== current) {
      flush();
      current = i;
      min = max = sum = v;
      n = 1;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    n++;
  }
  flush();
  return out;
}

export async function queryHistory(db: Db, r: HistoryRange): Promise<{ stepMs: number; points: HistoryPoint[] }> {
  const stepMs = stepFor(r.fromMs, r.toMs, r.points);
  if (stepMs < MINUTE) {
    const raw = await readRaw(db, { hostId: r.hostId, metricIds: [r.metricId], fromMs: r.fromMs, toMs: r.toMs });
    const s = raw.get(r.metricId);
    return { stepMs, points: s ? bucketSeries(s, r, stepMs) : [] };
  }
  const series = sql`host_id = ${r.hostId} AND metric_id = ${r.metricId}`;
  let rolled: number | null = null;
  if (stepMs >= HOUR) {
    const [row] = await queryRows<{ hour_end: number | null }>(db, sql`
      SELECT (extract(epoch FROM max(ts)) * 1000 + ${HOUR})::float8 AS hour_end FROM samples_1h WHERE ${series}`);
    rolled = row?.hour_end ?? null;
  }
  const hourEnd = hourTierEnd(stepMs, r, rolled);
  // Buckets of a minute or more hold whole minutes: the first minute starting at or after `from`.
  const minuteFrom = Math.max(hourEnd, Math.ceil(r.fromMs / MINUTE) * MINUTE);
  const rows = await queryRows<BucketRow>(db, sql`
    WITH src AS (
      SELECT ts, min, avg, max, count FROM samples_1h
        WHERE ${series} AND ts >= ${at(r.fromMs)} AND ts < ${at(hourEnd)}
      UNION ALL
      SELECT start, min, sum / n, max, n FROM sample_blocks
        WHERE ${series} AND start >= ${at(minuteFrom)} AND start <= ${at(r.toMs)}
      UNION ALL
      -- bucketed by their minute, as a block is: the answer does not change when the minute is sealed
      SELECT date_bin('1 minute', ts, timestamptz 'epoch'), value, value, value, 1 FROM samples h
        WHERE ${series} AND ts >= ${at(minuteFrom)} AND ts <= ${at(r.toMs)}
          -- a late or re-delivered sample of a minute already sealed is in the block's aggregates
          AND NOT EXISTS (SELECT 1 FROM sample_blocks b WHERE b.host_id = h.host_id AND b.metric_id = h.metric_id
                          AND b.start = date_bin('1 minute', h.ts, timestamptz 'epoch'))
    )
    SELECT greatest(0, least(floor((extract(epoch FROM ts) * 1000 - ${r.fromMs}) / ${stepMs}), ${r.points - 1}))::int AS i,
           min(min)::float8 AS min, (sum(avg * count) / sum(count))::float8 AS avg, max(max)::float8 AS max
    FROM src GROUP BY 1 ORDER BY 1`);
  return {
    stepMs,
    points: rows.map((row): HistoryPoint => [r.fromMs + row.i * stepMs, row.min, row.avg, row.max]),
  };
}

/** The samples of one host since `sinceMs`, regrouped into ticks: for refilling the in-memory window after a restart. */
export async function recentEvents(db: Db, host: { id: number; name: string }, sinceMs: number, metricName: (id: number) => string | undefined): Promise<MetricsEvent[]> {
  const raw = await readRaw(db, { hostId: host.id, fromMs: sinceMs, toMs: Date.now() + MINUTE });
  const byTs = new Map<number, MetricsEvent>();
  for (const [metricId, s] of raw) {
    const name = metricName(metricId);
    if (!name) continue;
    for (let i = 0; i < s.ts.length; i++) {
      const ts = s.ts[i]!;
      let e = byTs.get(ts);
      if (!e) byTs.set(ts, (e = { host: host.name, ts, values: {} }));
      e.values[name] = s.values[i]!;
    }
  }
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

/**
 * Every stored sample of one series in [fromMs, toMs], oldest first, exactly
 * as stored — a sample kept twice (in a block and in the head) shows twice:
 * for tests and checks.
 */
export async function readStoredSamples(db: Db, q: { host: string; metric: string; fromMs: number; toMs: number }): Promise<{ ts: number[]; values: number[] }> {
  const [ids] = await queryRows<{ h: number | null; m: number | null }>(db, sql`
    SELECT (SELECT id FROM hosts WHERE name = ${q.host}) AS h, (SELECT id FROM metrics WHERE name = ${q.metric}) AS m`);
  if (ids?.h == null || ids.m == null) return { ts: [], values: [] };
  const raw = await readRaw(db, { hostId: ids.h, metricIds: [ids.m], fromMs: q.fromMs, toMs: q.toMs, keepDuplicates: true });
  const s = raw.get(ids.m);
  return { ts: s ? Array.from(s.ts) : [], values: s ? Array.from(s.values) : [] };
}
