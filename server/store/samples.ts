/**
 * Writing samples. One statement per batch whatever its size: the rows go as
 * four array parameters through `unnest`, which PostgreSQL and PGlite both
 * take, stays far below the bind-parameter limit and is several times faster
 * than a VALUES list (see bench/RESULTS.md). A sample whose host, metric and
 * timestamp are already stored is skipped: re-delivery is harmless.
 */
import { sql } from 'drizzle-orm';
import type { MetricsEvent } from '../../shared/events.ts';
import type { Db } from './db.ts';

export interface SampleRows {
  tsMs: number[];
  hostId: number[];
  metricId: number[];
  value: number[];
}

/** How rows name hosts and metrics: small ids, known before a sample is published. */
export interface RowIds {
  hostId(name: string): number | undefined;
  metricId(name: string): number | undefined;
}

const arrayLiteral = (xs: number[]) => `{${xs.join(',')}}`;

/**
 * Turns ticks into columnar rows; null and non-finite values are gaps and are
 * not stored. Names without an id (never registered) are skipped and counted.
 */
export function toRows(events: readonly MetricsEvent[], ids: RowIds): { rows: SampleRows; unknown: number } {
  const rows: SampleRows = { tsMs: [], hostId: [], metricId: [], value: [] };
  let unknown = 0;
  for (const e of events) {
    const hostId = ids.hostId(e.host);
    if (hostId === undefined) {
      unknown++;
      continue;
    }
    for (const name in e.values) {
      const value = e.values[name];
      if (value == null || !Number.isFinite(value)) continue;
      const metricId = ids.metricId(name);
      if (metricId === undefined) {
        unknown++;
        continue;
      }
      rows.tsMs.push(e.ts);
      rows.hostId.push(hostId);
      rows.metricId.push(metricId);
      rows.value.push(value);
    }
  }
  return { rows, unknown };
}

/** Inserts the rows in one statement (already stored ones skipped) and moves each host's last_seen forward. */
export async function insertSamples(db: Db, rows: SampleRows): Promise<number> {
  if (rows.value.length === 0) return 0;
  await db.execute(sql`
    WITH input AS (
      SELECT to_timestamp(t / 1000.0) AS ts, h, m, v
      FROM unnest(${arrayLiteral(rows.tsMs)}::float8[], ${arrayLiteral(rows.hostId)}::int2[],
                  ${arrayLiteral(rows.metricId)}::int2[], ${arrayLiteral(rows.value)}::float8[]) AS u(t, h, m, v)
    ), inserted AS (
      INSERT INTO samples (ts, host_id, metric_id, value) SELECT ts, h, m, v FROM input
      ON CONFLICT (host_id, metric_id, ts) DO NOTHING
    )
    UPDATE hosts SET last_seen = seen.ts
    FROM (SELECT h, max(ts) AS ts FROM input GROUP BY h) AS seen
    WHERE hosts.id = seen.h AND (hosts.last_seen IS NULL OR hosts.last_seen < seen.ts)`);
  return rows.value.length;
}
