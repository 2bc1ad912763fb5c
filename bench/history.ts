/**
 * History query time, through the product's queryHistory, on PGlite and
 * PostgreSQL, over a realistic store of one host:
 *   - raw: the last 24 h at 1 s for all 18 catalog metrics (1,555,200 rows, via insertSamples);
 *   - 1-minute rollups of those 24 h by rollupMinutes (except the newest 2 minutes,
 *     as if maintenance had not run yet), plus 29 earlier days of 1-minute rollups
 *     for all 18 metrics inserted directly with SQL (generate_series);
 *   - hourly rollups of the 30 days by rollupHours (except the newest hour);
 *   - ANALYZE on PostgreSQL only (autovacuum's job there; PGlite has none).
 * Then cpu.usage_percent is read for 24 h at 600 points (1-minute rollups),
 * 6 h at 720 points (what the Metrics page asks for; 30 s buckets read raw),
 * 24 h at 10,000 points (the HTTP API's maximum, which reads raw samples),
 * 24 h at 86,400 points (raw) and 30 days at 720 points (hourly rollups);
 * while each runs, a 1 ms timer shows how long the calling thread is blocked.
 * Finally the server's once-a-minute maintenance pass is timed the same way.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../server/store/db.ts';
import { at, queryHistory, type HistoryRange } from '../server/store/history.ts';
import { maintain, retentionPolicy, rollupHours, rollupMinutes } from '../server/store/maintenance.ts';
import { openBenchDatabase, insertTicks, type BenchDatabase } from './data.ts';
import { max, meets, median, notMeasured, percentile, progress, round, standalone, timeBlocking, type BenchResult } from './lib.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const RUNS = 10;
const MAINTENANCE_RUNS = 5;

async function seed(target: BenchDatabase, end: number) {
  const { db } = target.database;
  const rawRows = 86_400 * target.metricIds.length;
  const insertMs = await insertTicks(target, end - DAY, rawRows, 10_000);
  const seededAt = performance.now();
  await db.execute(sql`
    INSERT INTO samples_1m (ts, host_id, metric_id, min, avg, max, count)
    SELECT b, ${target.hostId}, m, v - 5, v, v + 5, 60
    FROM generate_series(${at(end - 30 * DAY)}, ${at(end - DAY - MINUTE)}, interval '1 minute') AS b,
         unnest(${`{${target.metricIds.join(',')}}`}::int2[]) AS m,
         LATERAL (SELECT (50 + 40 * sin(extract(epoch FROM b) / 18000 + m))::real AS v) AS val`);
  const olderMs = performance.now() - seededAt;
  let t = performance.now();
  await rollupMinutes(db, end - DAY, end - 2 * MINUTE);
  const minutesMs = performance.now() - t;
  t = performance.now();
  await rollupHours(db, end - 30 * DAY, end - HOUR);
  const hoursMs = performance.now() - t;
  // As in production: PostgreSQL's autovacuum would have analyzed the tables after this many rows (it is
  // off on the test server, so do it here); PGlite has no autovacuum and the product runs no ANALYZE, so
  // its planner works without statistics.
  if (target.kind === 'postgres') await db.execute(sql`ANALYZE`);
  return { rawRows, insertMs, olderMs, minutesMs, hoursMs };
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

/** How the database reads raw samples for a minute rollup (the SELECT of rollupMinutes, explained). */
async function rollupScan(target: BenchDatabase, end: number): Promise<string> {
  const rows = await queryRows<{ 'QUERY PLAN': string }>(target.database.db, sql`
    EXPLAIN SELECT date_bin('1 minute', ts, timestamptz 'epoch'), host_id, metric_id, min(value), avg(value), max(value), count(*)
    FROM samples WHERE ts >= ${at(end - 5 * MINUTE)} AND ts < ${at(end)} GROUP BY 1, 2, 3`);
  const scan = rows.map((r) => r['QUERY PLAN']).find((line) => /Scan/.test(line)) ?? 'no scan';
  return scan.replace(/^[\s>-]*/, '').replace(/\s*\(cost.*$/, '');
}

/** The once-a-minute maintenance pass (rollups of the last minutes and hours), and the hourly one that also prunes. */
async function timeMaintenance(target: BenchDatabase, end: number) {
  const { db } = target.database;
  const policy = retentionPolicy(30);
  const runs = [];
  // Every run re-aggregates the same full windows, as each pass of the server does (upserts).
  for (let i = 0; i < MAINTENANCE_RUNS; i++) runs.push(await timeBlocking(() => maintain(db, policy, end, false)));
  const prune = await timeBlocking(() => maintain(db, policy, end, true));
  return { runs, prune };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const kind of ['pglite', 'postgres'] as const) {
    const target = await openBenchDatabase(kind);
    if (!target) {
      results.push(notMeasured(`30-day history query [${kind}]`, '< 50', 'PostgreSQL does not answer'));
      continue;
    }
    try {
      const end = Math.floor(Date.now() / HOUR) * HOUR;
      progress(`history ${kind}: seeding 24 h of 1 s samples × 18 metrics, 30 days of rollups`);
      const s = await seed(target, end);
      const seedNote = `store: ${s.rawRows.toLocaleString('en')} raw rows inserted in ${round(s.insertMs / 1000, 1)} s, 29 days × 18 metrics of 1-minute rollups by SQL in ${round(s.olderMs / 1000, 1)} s, rollupMinutes(24 h) ${round(s.minutesMs / 1000, 1)} s, rollupHours(30 d) ${round(s.hoursMs / 1000, 1)} s`;
      const metricId = target.ids.metricId('cpu.usage_percent');
      const base = { hostId: target.hostId, metricId, toMs: end - 1 };
      const cases = [
        { label: '24 h, 600 points (1-minute rollups)', range: { ...base, fromMs: end - DAY, points: 600 }, target: '', limit: null },
        { label: '6 h, 720 points (the Metrics page; raw)', range: { ...base, fromMs: end - 6 * HOUR, points: 720 }, target: '', limit: null },
        { label: '24 h, 10,000 points (API maximum; raw)', range: { ...base, fromMs: end - DAY, points: 10_000 }, target: '', limit: null },
        { label: '24 h, 86,400 points (raw)', range: { ...base, fromMs: end - DAY, points: 86_400 }, target: '', limit: null },
        { label: '30 days, 720 points (hourly rollups)', range: { ...base, fromMs: end - 30 * DAY, points: 720 }, target: '< 50', limit: 50 },
      ];
      for (const c of cases) {
        progress(`history ${kind}: ${c.label}, ${RUNS} runs`);
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
          note: `median of ${RUNS} runs after one warm-up, ${points} points returned, one metric of one host; this process's event loop was blocked up to ${round(blocked, 1)} ms meanwhile${kind === 'pglite' ? ' (PGlite runs on the calling thread)' : ''}; ${seedNote}`,
        });
      }
      progress(`history ${kind}: maintenance pass × ${MAINTENANCE_RUNS}, and once with pruning`);
      const m = await timeMaintenance(target, end);
      const scan = await rollupScan(target, end);
      const blocked = m.runs.map((r) => r.blockedMs);
      const typical = median(blocked);
      results.push({
        name: `event loop blocked by one maintenance pass [${kind}]`,
        median: round(typical, 1),
        max: round(Math.max(...blocked, m.prune.blockedMs), 1),
        unit: 'ms',
        target: kind === 'pglite' ? '< 20 (event-loop max)' : '',
        // Only on PGlite is this the server's event loop; on PostgreSQL the work runs in its own processes.
        met: kind === 'pglite' ? meets(typical, '<', 20) : null,
        reps: blocked.map((x) => round(x, 1)),
        note: `maintain() of server/store/maintenance.ts (rollupMinutes over 5 min + rollupHours over 2 h, as the server runs it every minute) on the store above, ${MAINTENANCE_RUNS} runs, verdict on the median; the minute rollup reads raw samples by "${scan}"; duration median ${round(median(m.runs.map((r) => r.ms)), 1)} ms; the hourly pass with retention took ${round(m.prune.ms, 1)} ms and blocked ${round(m.prune.blockedMs, 1)} ms; blocked = longest gap of a 1 ms timer in the calling process${kind === 'pglite' ? ' — in the server that is its event loop, since PGlite runs in-process' : ' — PostgreSQL works in its own processes, so this is only driver work and machine noise, no verdict'}`,
      });
    } finally {
      await target.dispose();
    }
  }
  return results;
}

if (import.meta.filename === process.argv[1]) await standalone(run);
