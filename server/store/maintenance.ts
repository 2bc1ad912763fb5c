/**
 * Background upkeep of the sample tables: rollups (1-minute from raw, hourly
 * from 1-minute) and retention. Rollups re-aggregate a few recent closed
 * buckets each run, so late samples are folded in; upserts make reruns
 * harmless.
 */
import { sql } from 'drizzle-orm';
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { Db } from './db.ts';
import { at } from './history.ts';

const log = createLogger('maintenance');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface RetentionPolicy {
  /** Full-detail samples (RETENTION_DAYS). */
  rawDays: number;
  minuteDays: number;
  hourDays: number;
}

/** Raw for RETENTION_DAYS, 1-minute rollups 4× as long, hourly rollups at least 400 days. */
export function retentionPolicy(retentionDays: number): RetentionPolicy {
  return { rawDays: retentionDays, minuteDays: retentionDays * 4, hourDays: Math.max(400, retentionDays * 4) };
}

/** Aggregates closed minutes in [fromMs, toMs) of raw samples into samples_1m. */
export async function rollupMinutes(db: Db, fromMs: number, toMs: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO samples_1m (ts, host_id, metric_id, min, avg, max, count)
    SELECT date_bin('1 minute', ts, timestamptz 'epoch'), host_id, metric_id, min(value), avg(value), max(value), count(*)
    FROM samples WHERE ts >= ${at(fromMs)} AND ts < ${at(toMs)}
    GROUP BY 1, 2, 3
    ON CONFLICT (host_id, metric_id, ts) DO UPDATE
      SET min = excluded.min, avg = excluded.avg, max = excluded.max, count = excluded.count`);
}

/** Aggregates closed hours in [fromMs, toMs) of samples_1m into samples_1h. */
export async function rollupHours(db: Db, fromMs: number, toMs: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO samples_1h (ts, host_id, metric_id, min, avg, max, count)
    SELECT date_bin('1 hour', ts, timestamptz 'epoch'), host_id, metric_id, min(min), sum(avg * count) / sum(count), max(max), sum(count)
    FROM samples_1m WHERE ts >= ${at(fromMs)} AND ts < ${at(toMs)}
    GROUP BY 1, 2, 3
    ON CONFLICT (host_id, metric_id, ts) DO UPDATE
      SET min = excluded.min, avg = excluded.avg, max = excluded.max, count = excluded.count`);
}

export async function applyRetention(db: Db, policy: RetentionPolicy, nowMs: number): Promise<void> {
  await db.execute(sql`DELETE FROM samples WHERE ts < ${at(nowMs - policy.rawDays * DAY)}`);
  await db.execute(sql`DELETE FROM samples_1m WHERE ts < ${at(nowMs - policy.minuteDays * DAY)}`);
  await db.execute(sql`DELETE FROM samples_1h WHERE ts < ${at(nowMs - policy.hourDays * DAY)}`);
}

/** One maintenance pass at `nowMs`: roll up the last closed buckets; prune once an hour. */
export async function maintain(db: Db, policy: RetentionPolicy, nowMs: number, prune: boolean): Promise<void> {
  const minuteStart = Math.floor(nowMs / MINUTE) * MINUTE;
  await rollupMinutes(db, minuteStart - 5 * MINUTE, minuteStart);
  const hourStart = Math.floor(nowMs / HOUR) * HOUR;
  await rollupHours(db, hourStart - 2 * HOUR, hourStart);
  if (prune) {
    await applyRetention(db, policy, nowMs);
    // PGlite has no autovacuum: without statistics the rollup query scans all raw samples (see bench/RESULTS.md).
    await db.execute(sql`ANALYZE samples, samples_1m, samples_1h`);
  }
}

/** Runs `maintain` every minute until `signal` aborts. */
export function startMaintenance(db: Db, retentionDays: number, signal: AbortSignal): Promise<void> {
  const policy = retentionPolicy(retentionDays);
  let lastPrune = 0;
  return runLoop(
    async () => {
      const now = Date.now();
      const prune = now - lastPrune >= HOUR;
      await maintain(db, policy, now, prune);
      if (prune) lastPrune = now;
    },
    { intervalMs: MINUTE, signal, log },
  );
}
