/**
 * Background upkeep of the sample store, once a minute: seal the head's
 * closed minutes into blocks, roll the touched hours up, and once an hour
 * apply retention. Upserts make every step safe to repeat; late samples (an
 * agent's backlog) are sealed into their minutes and their hours redone.
 */
import { sql } from 'drizzle-orm';
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import { at, MINUTE, sealHead, type ThresholdsOf } from './blocks.ts';
import type { Db } from './db.ts';

const log = createLogger('maintenance');
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A minute is sealed once it ended this long ago: live samples of it have all arrived by then. */
export const SEAL_DELAY_MS = 90_000;

export interface RetentionPolicy {
  /** Raw samples (RETENTION_DAYS). */
  rawDays: number;
  /** Minute aggregates. */
  minuteDays: number;
  hourDays: number;
}

/** Raw for RETENTION_DAYS, minute aggregates 4× as long, hourly rollups at least 400 days. */
export function retentionPolicy(retentionDays: number): RetentionPolicy {
  return { rawDays: retentionDays, minuteDays: retentionDays * 4, hourDays: Math.max(400, retentionDays * 4) };
}

export interface StoreContext {
  thresholds: ThresholdsOf;
  intervalMsOf(hostId: number): number;
}

/** Aggregates the minute blocks of the hours in [fromMs, toMs) into samples_1h. */
export async function rollupHours(db: Db, fromMs: number, toMs: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO samples_1h (ts, host_id, metric_id, min, avg, max, count, warn_seconds, crit_seconds)
    SELECT date_bin('1 hour', start, timestamptz 'epoch'), host_id, metric_id, min(min), sum(sum) / sum(n), max(max), sum(n),
           sum(warn_seconds), sum(crit_seconds)
    FROM sample_blocks WHERE start >= ${at(fromMs)} AND start < ${at(toMs)}
    GROUP BY 1, 2, 3
    ON CONFLICT (host_id, metric_id, ts) DO UPDATE
      SET min = excluded.min, avg = excluded.avg, max = excluded.max, count = excluded.count,
          warn_seconds = excluded.warn_seconds, crit_seconds = excluded.crit_seconds`);
}

export async function applyRetention(db: Db, policy: RetentionPolicy, nowMs: number): Promise<void> {
  // Past the raw retention a minute keeps its aggregates (charts and reports) and loses its samples.
  await db.execute(sql`UPDATE sample_blocks SET data = NULL WHERE data IS NOT NULL AND start < ${at(nowMs - policy.rawDays * DAY)}`);
  await db.execute(sql`DELETE FROM samples WHERE ts < ${at(nowMs - policy.rawDays * DAY)}`);
  await db.execute(sql`DELETE FROM sample_blocks WHERE start < ${at(nowMs - policy.minuteDays * DAY)}`);
  await db.execute(sql`DELETE FROM samples_1h WHERE ts < ${at(nowMs - policy.hourDays * DAY)}`);
}

/** Consecutive hour starts as [from, to) ranges. */
function hourRanges(hours: Iterable<number>): Array<[number, number]> {
  const sorted = [...new Set(hours)].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const h of sorted) {
    const last = out.at(-1);
    if (last && last[1] === h) last[1] = h + HOUR;
    else out.push([h, h + HOUR]);
  }
  return out;
}

/** One maintenance pass at `nowMs`: seal, roll up what changed; prune (and ANALYZE) when asked. */
export async function maintain(db: Db, ctx: StoreContext, policy: RetentionPolicy, nowMs: number, prune: boolean): Promise<{ sealed: number }> {
  const beforeMs = Math.floor((nowMs - SEAL_DELAY_MS) / MINUTE) * MINUTE;
  const sealed = await sealHead(db, { beforeMs, thresholds: ctx.thresholds, intervalMsOf: ctx.intervalMsOf });
  // The current hour (partial) and the last closed one, and whatever the seal touched.
  const hourStart = Math.floor(nowMs / HOUR) * HOUR;
  sealed.hours.add(hourStart - HOUR);
  sealed.hours.add(hourStart);
  for (const [from, to] of hourRanges(sealed.hours)) await rollupHours(db, from, Math.min(to, hourStart + HOUR));
  // The head turns over every minute: reclaim its dead rows now (PGlite has no autovacuum; cheap on a small table).
  if (sealed.samples > 0) await db.execute(sql`VACUUM samples`);
  if (prune) {
    await applyRetention(db, policy, nowMs);
    await db.execute(sql`VACUUM sample_blocks`);
    // PGlite has no autovacuum: keep the planner's statistics fresh (see bench/RESULTS.md).
    await db.execute(sql`ANALYZE samples, sample_blocks, samples_1h`);
  }
  return { sealed: sealed.samples };
}

/** Runs `maintain` every minute until `signal` aborts, while `active()` (the cluster leader does it). */
export function startMaintenance(db: Db, ctx: StoreContext, retentionDays: number, signal: AbortSignal, active: () => boolean = () => true): Promise<void> {
  const policy = retentionPolicy(retentionDays);
  let lastPrune = 0;
  return runLoop(
    async () => {
      if (!active()) return;
      const now = Date.now();
      const prune = now - lastPrune >= HOUR;
      const { sealed } = await maintain(db, ctx, policy, now, prune);
      if (sealed > 100_000) log.info(`sealed ${sealed.toLocaleString('en')} samples into blocks`);
      if (prune) lastPrune = now;
    },
    { intervalMs: MINUTE, signal, log },
  );
}
