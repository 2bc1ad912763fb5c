/**
 * Reading history: a time range of one series, downsampled in the database to
 * at most `points` buckets of [ts, min, avg, max]. Long ranges read the
 * rollups (hourly, then per minute) where those exist and raw samples only
 * for the newest stretch that no rollup covers yet, so a 30-day chart reads
 * a few hundred rows, not millions.
 */
import { sql } from 'drizzle-orm';
import type { HistoryPoint } from '../../shared/api.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import { queryRows, type Db } from './db.ts';

export interface HistoryRange {
  hostId: number;
  metricId: number;
  fromMs: number;
  toMs: number;
  points: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const at = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;

/** The bucket width: the range split into `points`, never narrower than 1 ms. */
export function stepFor(fromMs: number, toMs: number, points: number): number {
  return Math.max(1, Math.ceil((toMs - fromMs + 1) / points));
}

/** Where each tier's coverage ends: [from, hourEnd) hourly, [hourEnd, minuteEnd) per minute, raw after. */
export function tierBounds(stepMs: number, range: { fromMs: number; toMs: number }, rolled: { hourEnd: number | null; minuteEnd: number | null }) {
  const clamp = (ms: number | null) => Math.min(Math.max(ms ?? range.fromMs, range.fromMs), range.toMs + 1);
  const hourEnd = stepMs >= HOUR ? clamp(rolled.hourEnd) : range.fromMs;
  const minuteEnd = stepMs >= MINUTE ? Math.max(hourEnd, clamp(rolled.minuteEnd)) : hourEnd;
  return { hourEnd, minuteEnd };
}

interface RolledRow extends Record<string, unknown> {
  hour_end: number | null;
  minute_end: number | null;
}
interface BucketRow extends Record<string, unknown> {
  i: number;
  min: number;
  avg: number;
  max: number;
}

export async function queryHistory(db: Db, r: HistoryRange): Promise<{ stepMs: number; points: HistoryPoint[] }> {
  const stepMs = stepFor(r.fromMs, r.toMs, r.points);
  const series = sql`host_id = ${r.hostId} AND metric_id = ${r.metricId}`;
  let rolled = { hourEnd: null as number | null, minuteEnd: null as number | null };
  if (stepMs >= MINUTE) {
    const [row] = await queryRows<RolledRow>(db, sql`
      SELECT (SELECT extract(epoch FROM max(ts)) * 1000 + ${HOUR} FROM samples_1h WHERE ${series})::float8 AS hour_end,
             (SELECT extract(epoch FROM max(ts)) * 1000 + ${MINUTE} FROM samples_1m WHERE ${series})::float8 AS minute_end`);
    rolled = { hourEnd: row?.hour_end ?? null, minuteEnd: row?.minute_end ?? null };
  }
  const { hourEnd, minuteEnd } = tierBounds(stepMs, r, rolled);
  const rows = await queryRows<BucketRow>(db, sql`
    WITH src AS (
      SELECT ts, min, avg, max, count FROM samples_1h
        WHERE ${series} AND ts >= ${at(r.fromMs)} AND ts < ${at(hourEnd)}
      UNION ALL
      SELECT ts, min, avg, max, count FROM samples_1m
        WHERE ${series} AND ts >= ${at(hourEnd)} AND ts < ${at(minuteEnd)}
      UNION ALL
      SELECT ts, value, value, value, 1 FROM samples
        WHERE ${series} AND ts >= ${at(minuteEnd)} AND ts <= ${at(r.toMs)}
    )
    SELECT least(floor((extract(epoch FROM ts) * 1000 - ${r.fromMs}) / ${stepMs}), ${r.points - 1})::int AS i,
           min(min)::float8 AS min, (sum(avg * count) / sum(count))::float8 AS avg, max(max)::float8 AS max
    FROM src GROUP BY 1 ORDER BY 1`);
  return {
    stepMs,
    points: rows.map((row): HistoryPoint => [r.fromMs + row.i * stepMs, row.min, row.avg, row.max]),
  };
}

/** The newest samples of one host since `sinceMs`, for refilling the in-memory window after a restart. */
export async function recentSamples(db: Db, hostId: number, sinceMs: number) {
  return queryRows<{ t: number; m: number; v: number }>(db, sql`
    SELECT (extract(epoch FROM ts) * 1000)::float8 AS t, metric_id AS m, value::float8 AS v
    FROM samples WHERE host_id = ${hostId} AND ts > ${at(sinceMs)} ORDER BY ts`);
}

/** The same, regrouped into ticks. */
export async function recentEvents(db: Db, host: { id: number; name: string }, sinceMs: number, metricName: (id: number) => string | undefined): Promise<MetricsEvent[]> {
  const events: MetricsEvent[] = [];
  let current: MetricsEvent | undefined;
  for (const row of await recentSamples(db, host.id, sinceMs)) {
    if (!current || current.ts !== row.t) {
      current = { host: host.name, ts: row.t, values: {} };
      events.push(current);
    }
    const name = metricName(row.m);
    if (name) current.values[name] = row.v;
  }
  return events;
}

/**
 * Every stored sample of one series in [fromMs, toMs], oldest first, exactly
 * as stored (a sample stored twice would show twice): for tests and checks.
 */
export async function readStoredSamples(db: Db, q: { host: string; metric: string; fromMs: number; toMs: number }): Promise<{ ts: number[]; values: number[] }> {
  const rows = await queryRows<{ t: number; v: number }>(db, sql`
    SELECT (extract(epoch FROM s.ts) * 1000)::float8 AS t, s.value::float8 AS v
    FROM samples s JOIN hosts h ON h.id = s.host_id JOIN metrics m ON m.id = s.metric_id
    WHERE h.name = ${q.host} AND m.name = ${q.metric} AND s.ts >= ${at(q.fromMs)} AND s.ts <= ${at(q.toMs)}
    ORDER BY s.ts`);
  return { ts: rows.map((r) => r.t), values: rows.map((r) => r.v) };
}
