/**
 * Writing samples. One statement per batch whatever its size: the rows go as
 * four array parameters through `unnest`, which PostgreSQL and PGlite both
 * take, stays far below the bind-parameter limit and is several times faster
 * than a VALUES list (see bench/RESULTS.md).
 */
import { sql } from 'drizzle-orm';
import type { MetricName } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import type { Db } from './db.ts';
import type { SeriesIds } from './series-ids.ts';

export interface SampleRows {
  tsMs: number[];
  hostId: number[];
  metricId: number[];
  value: number[];
}

const arrayLiteral = (xs: number[]) => `{${xs.join(',')}}`;

/** Turns ticks into columnar rows; null and non-finite values are gaps and are not stored. */
export function toRows(events: readonly MetricsEvent[], hostIds: ReadonlyMap<string, number>, ids: SeriesIds): SampleRows {
  const rows: SampleRows = { tsMs: [], hostId: [], metricId: [], value: [] };
  for (const e of events) {
    const hostId = hostIds.get(e.host);
    if (hostId === undefined) throw new Error(`host "${e.host}" has no id`);
    for (const [name, value] of Object.entries(e.values)) {
      if (value == null || !Number.isFinite(value)) continue;
      rows.tsMs.push(e.ts);
      rows.hostId.push(hostId);
      rows.metricId.push(ids.metricId(name as MetricName));
      rows.value.push(value);
    }
  }
  return rows;
}

/** Inserts the rows in one statement and moves each host's last_seen forward. */
export async function insertSamples(db: Db, rows: SampleRows): Promise<number> {
  if (rows.value.length === 0) return 0;
  await db.execute(sql`
    WITH input AS (
      SELECT to_timestamp(t / 1000.0) AS ts, h, m, v
      FROM unnest(${arrayLiteral(rows.tsMs)}::float8[], ${arrayLiteral(rows.hostId)}::int2[],
                  ${arrayLiteral(rows.metricId)}::int2[], ${arrayLiteral(rows.value)}::float4[]) AS u(t, h, m, v)
    ), inserted AS (
      INSERT INTO samples (ts, host_id, metric_id, value) SELECT ts, h, m, v FROM input
    )
    UPDATE hosts SET last_seen = seen.ts
    FROM (SELECT h, max(ts) AS ts FROM input GROUP BY h) AS seen
    WHERE hosts.id = seen.h AND (hosts.last_seen IS NULL OR hosts.last_seen < seen.ts)`);
  return rows.value.length;
}
