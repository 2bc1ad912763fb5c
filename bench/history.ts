/**
 * Storage (`npm run bench -- storage`): stored bytes per sample after a
 * realistic day, history query times on that store, and how long the calling
 * process's event loop is held meanwhile — on PGlite (in its worker thread,
 * as the server runs it) and on PostgreSQL.
 *
 * The day: one host, the server's own 20 metrics at 1 Hz (values shaped like
 * real ones, data.ts `serverValues`), 86,400 ticks written through the
 * product's sample writer into the head (a minute of ticks per write) and
 * sealed by its own maintain() (called after every simulated minute with the
 * simulated time as "now", so it seals what closed 90 s before, as the
 * once-a-minute loop does: 1,440 passes; the last
 * pass is the hourly one with retention, VACUUM sample_blocks and ANALYZE).
 * The last 1.5–2.5 minutes stay in the head, as on a running server. Then an
 * explicit VACUUM of the three tables — PGlite has no autovacuum (the
 * product vacuums the head after each seal and the blocks hourly), and
 * autovacuum is off on this test PostgreSQL — and
 *   bytes per sample = Σ pg_total_relation_size(samples, sample_blocks,
 *   samples_1h) ÷ samples stored (head rows + Σ n of the blocks),
 * with a breakdown per table (heap, indexes, TOAST, free-space/visibility maps).
 *
 * History: the day's blocks are then copied 29 days back by SQL (with their
 * encoded data) and rolled up into hours by the product's rollupHours, so the
 * store holds 30 days; `queryHistory` of cpu.usage_percent for 30 days at 720
 * points (hourly rollups), 24 h at 600 (minute aggregates), 6 h at 720 (30 s
 * buckets: decoded blocks), 24 h at 10,000 (the API maximum: decoded) and
 * 24 h at 86,400 (every sample); median of 10 after a warm-up, while a 1 ms
 * timer records the longest gap of this process's event loop.
 *
 * Maintenance, in this process: maintain() after one more minute of ticks
 * (the every-minute pass), the hourly pass (prune, VACUUM, ANALYZE), and a
 * pass that seals an hour of late samples of a second host at once (an
 * agent's backlog), each with the calling process's longest stall — the
 * part of a pass that runs on the server's main thread (decoding, encoding,
 * building statements), PGlite itself being in its worker.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../server/store/db.ts';
import { queryHistory, type HistoryRange } from '../server/store/history.ts';
import { maintain, retentionPolicy, rollupHours } from '../server/store/maintenance.ts';
import { createSampleWriter } from '../server/store/writer.ts';
import { DAY, HOUR, MINUTE, openBenchDatabase, serverTicks, serverValues, tickTimes, writeSpan, type BenchDatabase } from './data.ts';
import { max, meets, median, notMeasured, percentile, progress, round, scale, standalone, timeBlocking, type BenchResult } from './lib.ts';

const SPAN_MS = scale(DAY, 2 * HOUR);
const EARLIER_DAYS = scale(29, 2);
const RUNS = scale(10, 3);
const MAINTENANCE_RUNS = scale(5, 2);
const TABLES = ['samples', 'sample_blocks', 'samples_1h'] as const;

interface TableSize extends Record<string, unknown> {
  name: string;
  total: number;
  heap: number;
  indexes: number;
  toast: number;
}

async function tableSizes(target: BenchDatabase): Promise<TableSize[]> {
  return queryRows<TableSize>(target.database.db, sql`
    SELECT c.relname::text AS name, pg_total_relation_size(c.oid)::float8 AS total, pg_relation_size(c.oid)::float8 AS heap,
           pg_indexes_size(c.oid)::float8 AS indexes,
           (CASE WHEN c.reltoastrelid = 0 THEN 0 ELSE pg_total_relation_size(c.reltoastrelid) END)::float8 AS toast
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname IN ('samples', 'sample_blocks', 'samples_1h') ORDER BY 1`);
}

async function storedCounts(target: BenchDatabase) {
  const [row] = await queryRows<{ head: number; sealed: number; blocks: number; payload: number; stored: number }>(target.database.db, sql`
    SELECT (SELECT count(*) FROM samples)::float8 AS head, (SELECT coalesce(sum(n), 0) FROM sample_blocks WHERE data IS NOT NULL)::float8 AS sealed,
           (SELECT count(*) FROM sample_blocks)::float8 AS blocks,
           (SELECT coalesce(sum(octet_length(data)), 0) FROM sample_blocks)::float8 AS payload,
           (SELECT coalesce(sum(pg_column_size(data)), 0) FROM sample_blocks)::float8 AS stored`);
  return row!;
}

const kb = (b: number) => `${round(b / 1024, 0)} kB`;

function breakdown(sizes: TableSize[], samples: number): string {
  return sizes
    .map((t) => {
      const other = t.total - t.heap - t.indexes - t.toast;
      return `${t.name} ${kb(t.total)} = ${round(t.total / samples, 3)} B/sample (heap ${kb(t.heap)}, indexes ${kb(t.indexes)}, TOAST ${kb(t.toast)}, maps ${kb(other)})`;
    })
    .join('; ');
}

async function timeQuery(target: BenchDatabase, range: HistoryRange) {
  const { db } = target.database;
  const first = await queryHistory(db, range); // warm-up (and the number of points it returns)
  const ms: number[] = [];
  let blocked = 0;
  for (let i = 0; i < RUNS; i++) {
    const run = await timeBlocking(() => queryHistory(db, range));
    ms.push(run.ms);
    blocked = Math.max(blocked, run.blockedMs);
  }
  return { ms, blocked, points: first.points.length };
}

/** Copies the stored day `days` times back in time (blocks with their data), then rolls those hours up. */
async function olderDays(target: BenchDatabase, end: number, days: number): Promise<number> {
  const { db } = target.database;
  const t = performance.now();
  for (let k = 1; k <= days; k++) {
    await db.execute(sql`
      INSERT INTO sample_blocks (host_id, metric_id, start, n, min, max, sum, warn_seconds, crit_seconds, data)
      SELECT host_id, metric_id, start - make_interval(days => ${k}), n, min, max, sum, warn_seconds, crit_seconds, data
      FROM sample_blocks WHERE host_id = ${target.hostId} AND start >= to_timestamp(${end - SPAN_MS}::float8 / 1000)
        AND start < to_timestamp(${end - SPAN_MS + DAY}::float8 / 1000)`);
  }
  await rollupHours(db, end - SPAN_MS - days * DAY, end - SPAN_MS);
  // What the product's hourly pass (PGlite) or autovacuum (PostgreSQL) would have done after this many new rows.
  await db.execute(sql`ANALYZE sample_blocks, samples_1h`);
  return performance.now() - t;
}

/** maintain() passes on the store, timed with the calling process's longest stall. */
async function timeMaintenance(target: BenchDatabase, end: number) {
  const { db } = target.database;
  const policy = retentionPolicy(30);
  const writer = createSampleWriter({ db, ids: { hostId: target.hosts.anyId, metricId: target.catalog.id } });
  const next = serverValues(7);
  const stamp = tickTimes(7);
  const steady = [];
  try {
    // Every minute: one more minute of ticks arrives, the pass seals the minute that closed 90 s before.
    for (let i = 0; i < MAINTENANCE_RUNS; i++) {
      const from = end + i * MINUTE;
      await writer.push(serverTicks(target.hostName, from, 60, next, stamp));
      steady.push(await timeBlocking(() => maintain(db, target.ctx, policy, from + MINUTE, false)));
    }
    const hourly = await timeBlocking(() => maintain(db, target.ctx, policy, end + (MAINTENANCE_RUNS + 1) * MINUTE, true));
    // An agent's backlog: an hour of a second host's 1 Hz samples arrives late, the next pass seals it at once.
    const backlogHost = 'bench-backlog';
    await target.hosts.ensure(backlogHost, 'agent', 1000);
    const late = serverTicks(backlogHost, end - 2 * HOUR, 3600, serverValues(9, { agentOnly: true }), tickTimes(9));
    await writer.push(late);
    const backlogSamples = late.length * Object.keys(late[0]!.values).length;
    const backlog = await timeBlocking(() => maintain(db, target.ctx, policy, end + (MAINTENANCE_RUNS + 2) * MINUTE, false));
    return { steady, hourly, backlog, backlogSamples };
  } finally {
    await writer.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of ['pglite', 'postgres'] as const) {
    const target = await openBenchDatabase(kind);
    if (!target) {
      results.push(notMeasured(`stored bytes per sample [${kind}]`, '≤ 6 (stretch ≤ 3)', 'PostgreSQL does not answer'));
      continue;
    }
    try {
      const end = Math.floor(Date.now() / HOUR) * HOUR;
      progress(`storage ${kind}: ${SPAN_MS / HOUR} h of the server's metrics at 1 Hz through the writer, sealed by maintain()`);
      let shown = 0;
      const day = await writeSpan(target, {
        fromMs: end - SPAN_MS,
        toMs: end,
        onProgress: (f) => {
          if (f >= shown + 0.25) progress(`storage ${kind}: ${Math.round((shown = f) * 100)} %`);
        },
      });
      const before = await tableSizes(target);
      const beforeTotal = before.reduce((a, t) => a + t.total, 0);
      await target.database.db.execute(sql`VACUUM ANALYZE samples`);
      await target.database.db.execute(sql`VACUUM ANALYZE sample_blocks`);
      await target.database.db.execute(sql`VACUUM ANALYZE samples_1h`);
      const sizes = await tableSizes(target);
      const counts = await storedCounts(target);
      const stored = counts.head + counts.sealed;
      const total = sizes.reduce((a, t) => a + t.total, 0);
      const perSample = total / stored;
      results.push({
        name: `stored bytes per sample, realistic ${SPAN_MS / HOUR} h [${kind}]`,
        median: round(perSample, 2),
        unit: 'B',
        target: '≤ 6 (stretch ≤ 3)',
        met: meets(perSample, '<=', 6),
        note:
          `${day.ticks.toLocaleString('en')} ticks × ${day.metricsPerTick} metrics of one host = ${day.samples.toLocaleString('en')} samples written through the sample writer ` +
          `(${round(day.writeMs / 1000, 1)} s) and sealed by ${day.maintainPasses} maintain() passes (${round(day.maintainMs / 1000, 1)} s); stored: ${counts.sealed.toLocaleString('en')} in ` +
          `${counts.blocks.toLocaleString('en')} minute blocks + ${counts.head.toLocaleString('en')} in the head (total ${stored === day.samples ? 'equal to' : 'DIFFERENT from'} what was written); ` +
          `Σ pg_total_relation_size ${kb(total)} after VACUUM ANALYZE of the three tables (${kb(beforeTotal)} before it${kind === 'pglite' ? '; PGlite has no autovacuum' : '; autovacuum is off on this test server'}): ` +
          `${breakdown(sizes, stored)}. Codec payload alone: ${round(counts.payload / counts.sealed, 3)} B/sample (${round(counts.stored / counts.sealed, 3)} as stored, pg_column_size); ` +
          `the rest is each block's row (tuple header, key, n/min/max/sum, warn/crit seconds) and indexes`,
      });

      progress(`storage ${kind}: ${EARLIER_DAYS} earlier days (the day's blocks copied back by SQL), rollupHours over them`);
      const olderMs = await olderDays(target, end, EARLIER_DAYS);
      const sizes30 = await tableSizes(target);
      const counts30 = await storedCounts(target);
      const total30 = sizes30.reduce((a, t) => a + t.total, 0);
      const storeNote = `store: ${round(SPAN_MS / HOUR, 0)} h written as above + ${EARLIER_DAYS} days of copied blocks (${round(olderMs / 1000, 1)} s incl. rollupHours and ANALYZE) = ${(counts30.head + counts30.sealed).toLocaleString('en')} samples, ${round(total30 / (counts30.head + counts30.sealed), 2)} B/sample`;

      const metricId = target.catalog.id('cpu.usage_percent')!;
      const base = { hostId: target.hostId, metricId, toMs: end - 1 };
      const span = Math.min(DAY, SPAN_MS);
      const cases = [
        { label: '30 days, 720 points (hourly rollups)', range: { ...base, fromMs: end - 30 * DAY, points: 720 }, target: '< 50', limit: 50 },
        { label: '24 h, 600 points (minute aggregates)', range: { ...base, fromMs: end - span, points: 600 }, target: '', limit: null },
        { label: '6 h, 720 points (30 s buckets: decoded blocks)', range: { ...base, fromMs: end - Math.min(span, 6 * HOUR), points: 720 }, target: '', limit: null },
        { label: '24 h, 10,000 points (API maximum: decoded)', range: { ...base, fromMs: end - span, points: 10_000 }, target: '', limit: null },
        { label: '24 h, 86,400 points (every sample)', range: { ...base, fromMs: end - span, points: 86_400 }, target: '', limit: null },
      ];
      for (const c of cases) {
        progress(`storage ${kind}: history ${c.label}, ${RUNS} runs`);
        const { ms, blocked, points } = await timeQuery(target, c.range);
        const m = median(ms);
        results.push({
          name: `history query ${c.label} [${kind}]`,
          median: round(m, 2),
          p99: round(percentile(ms, 99), 2),
          max: round(max(ms), 2),
          unit: 'ms',
          target: c.target,
          met: c.limit === null ? null : meets(m, '<', c.limit),
          reps: ms.map((x) => round(x, 2)),
          note: `queryHistory, median of ${RUNS} runs after one warm-up, ${points} points returned, one metric of one host; this (the calling) process's event loop was held up to ${round(blocked, 1)} ms meanwhile (longest gap of a 1 ms timer)${kind === 'pglite' ? '; PGlite runs in its worker thread, so that is the JavaScript around it (decoding blocks, bucketing, Drizzle)' : ''}; ${storeNote}`,
        });
      }

      progress(`storage ${kind}: maintenance passes × ${MAINTENANCE_RUNS}, the hourly pass, a pass sealing an hour of late samples`);
      const m = await timeMaintenance(target, end);
      const stalls = m.steady.map((r) => r.blockedMs);
      results.push({
        name: `calling process's event loop held by one maintenance pass [${kind}]`,
        median: round(median(stalls), 1),
        max: round(Math.max(...stalls, m.hourly.blockedMs, m.backlog.blockedMs), 1),
        unit: 'ms',
        target: '< 20 (event-loop max)',
        met: meets(Math.max(...stalls, m.hourly.blockedMs, m.backlog.blockedMs), '<', 20),
        reps: stalls.map((x) => round(x, 1)),
        note: `maintain() of server/store/maintenance.ts called in this process on the ${SPAN_MS / HOUR} h + ${EARLIER_DAYS} days store: the every-minute pass after one more minute of ticks (seals 60 ticks × 20 metrics, rolls 2 hours up, VACUUMs the head) × ${MAINTENANCE_RUNS}: duration median ${round(median(m.steady.map((r) => r.ms)), 1)} ms, longest gap of a 1 ms timer median ${round(median(stalls), 1)} ms (reps); the hourly pass (retention, VACUUM sample_blocks, ANALYZE): ${round(m.hourly.ms, 0)} ms, held ${round(m.hourly.blockedMs, 1)} ms; sealing an hour of a second host's late samples at once (${m.backlogSamples.toLocaleString('en')} samples, like an agent's replayed backlog): ${round(m.backlog.ms, 0)} ms, held ${round(m.backlog.blockedMs, 1)} ms. Verdict on the max of all three. ${kind === 'pglite' ? 'PGlite runs in its worker thread: what holds the loop is the seal\'s JavaScript (grouping rows, encoding blocks, building the statement)' : 'The database works in its own processes: what holds the loop is the seal\'s JavaScript'}`,
      });
    } finally {
      await target.dispose();
    }
  }
  return results;
}

if (import.meta.filename === process.argv[1]) await standalone(run);
