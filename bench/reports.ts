/**
 * Report computation time, through the product's computeReport, on
 * PostgreSQL (the target) and PGlite (for information), over a store of
 * 50 hosts filled directly with SQL:
 *   - hourly rollups of every built-in metric for 61 days (the 30-day range,
 *     the 30 days before it that the comparison reads, and a day more);
 *   - minute blocks of every built-in metric for the last 2 days (a one-day
 *     report reads a day of them), with 90 bytes of encoded samples each as
 *     blocks within RETENTION_DAYS have, and of host.up for the 30 days
 *     (in the store, as they would be; a range of days reads hours).
 *     Minute blocks of the other metrics over the other 28 days are left
 *     out: no report reads them, and 40 million more rows would make this
 *     benchmark take many minutes;
 *   - VACUUM ANALYZE and a checkpoint: the store settled, as 30 days of
 *     writing (autovacuum, the hourly maintenance) leave it.
 * Then a 30-day report and a one-day report of all 50 hosts, 5 runs each
 * after a warm-up (median), while a 1 ms timer measures how long this
 * process's event loop goes without running it.
 */
import { sql } from 'drizzle-orm';
import { computeReport } from '../server/reports/compute.ts';
import { openDatabase, queryRows, type Database } from '../server/store/db.ts';
import { loadMetricCatalog } from '../server/store/metric-catalog.ts';
import { addDays, localDayOf } from '../shared/reports.ts';
import { max, meets, median, notMeasured, progress, round, standalone, tempDir, tempPostgres, timeBlocking, onCleanup, type BenchResult } from './lib.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOSTS = 50;
const RUNS = 5;
const TZ = 'UTC';

interface Store {
  database: Database;
  /** The last day of the 30-day range (yesterday), and the number of rows written. */
  lastDay: string;
  rows: { hourly: number; minute: number };
  seedMs: number;
}

const at = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;

/** Fills an empty store with `hosts` hosts (see above); exported for profiling a store by hand. */
export async function seed(database: Database, hosts: number): Promise<Store> {
  const { db } = database;
  const t0 = performance.now();
  await loadMetricCatalog(db); // registers the built-in metrics
  await db.execute(sql`INSERT INTO hosts (name, kind, interval_ms) SELECT 'bench-' || g, 'agent', 1000 FROM generate_series(1, ${hosts}) AS g`);
  const today = Math.floor(Date.now() / DAY) * DAY;
  const lastDay = addDays(localDayOf(today, TZ), -1);
  // Plausible values: a daily wave per series, disk and DB size slowly growing; time above thresholds where the value is high.
  const value = sql`(50 + 30 * sin(extract(epoch FROM t) / 13751 + h.id + m.id) + CASE WHEN m.name IN ('disk.usage_percent', 'db.size_mb') THEN extract(epoch FROM t - ${at(today)}) / 86400 * 0.3 ELSE 0 END)`;
  const seconds = (span: number, limit: string) => sql`CASE WHEN m.name IN ('cpu.usage_percent', 'memory.usage_percent', 'disk.usage_percent', 'db.query_ms', 'db.active_connections')
    THEN (CASE WHEN v.v >= ${sql.raw(limit)} THEN ${span} ELSE 0 END)::real END`;
  progress('reports: hourly rollups, 61 days × 50 hosts × every built-in metric');
  await db.execute(sql`
    INSERT INTO samples_1h (ts, host_id, metric_id, min, avg, max, count, warn_seconds, crit_seconds)
    SELECT t, h.id, m.id, v.v - 5, v.v, v.v + 5, 3600, ${seconds(3600, '70')}, ${seconds(3600, '78')}
    FROM generate_series(${at(today - 61 * DAY)}, ${at(today - HOUR)}, interval '1 hour') AS t
    CROSS JOIN hosts h CROSS JOIN metrics m
    CROSS JOIN LATERAL (SELECT ${value}::float8 AS v) v
    WHERE m.builtin`);
  progress('reports: minute aggregates of host.up, 30 days × 50 hosts');
  await db.execute(sql`
    INSERT INTO sample_blocks (host_id, metric_id, start, n, min, max, sum, data)
    SELECT h.id, m.id, t, 60, 0, 1, CASE WHEN extract(minute FROM t) = 7 AND h.id % 5 = 0 THEN 30 ELSE 60 END, decode(repeat('5a', 12), 'hex')
    FROM generate_series(${at(today - 30 * DAY)}, ${at(today - 60_000)}, interval '1 minute') AS t
    CROSS JOIN hosts h CROSS JOIN metrics m WHERE m.name = 'host.up'`);
  progress('reports: minute aggregates of every metric, the last 2 days × 50 hosts');
  await db.execute(sql`
    INSERT INTO sample_blocks (host_id, metric_id, start, n, min, max, sum, warn_seconds, crit_seconds, data)
    SELECT h.id, m.id, t, 60, v.v - 3, v.v + 3, v.v * 60, ${seconds(60, '70')}, ${seconds(60, '78')}, decode(repeat('5a', 90), 'hex')
    FROM generate_series(${at(today - 2 * DAY)}, ${at(today - 60_000)}, interval '1 minute') AS t
    CROSS JOIN hosts h CROSS JOIN metrics m
    CROSS JOIN LATERAL (SELECT ${value}::float8 AS v) v
    WHERE m.builtin AND m.name <> 'host.up'`);
  // Settle, as 30 days of writing would have: visibility map and statistics (autovacuum, or maintenance on PGlite), dirty pages on disk.
  await db.execute(sql`VACUUM (ANALYZE) samples_1h, sample_blocks`);
  if (database.kind === 'postgres') await db.execute(sql`CHECKPOINT`);
  const [counts] = await queryRows<{ hourly: number; minute: number }>(db, sql`
    SELECT (SELECT count(*) FROM samples_1h)::int AS hourly, (SELECT count(*) FROM sample_blocks)::int AS minute`);
  return { database, lastDay, rows: counts!, seedMs: performance.now() - t0 };
}

async function timeReport(store: Store, fromDay: string, toDay: string) {
  const run = () =>
    computeReport(store.database.db, { fromDay, toDay, host: null }, { tz: TZ, publicUrl: 'http://bench', nowMs: Date.now(), minuteDays: 120 });
  const first = await run(); // warm-up (and what it found)
  const ms: number[] = [];
  const blocked: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await timeBlocking(run);
    ms.push(r.ms);
    blocked.push(r.blockedMs);
  }
  return { ms, blocked, hosts: first.hosts.length, metrics: Object.keys(first.fleet.metrics).length, forecasts: first.forecasts.length };
}

async function open(kind: 'pglite' | 'postgres'): Promise<{ database: Database; dispose(): Promise<void> } | null> {
  const dir = tempDir();
  const pg = kind === 'postgres' ? await tempPostgres() : null;
  if (kind === 'postgres' && !pg) return null;
  const database = await openDatabase({ databaseUrl: pg?.url, dataDir: dir.dir, maxConnections: 10 });
  const close = onCleanup(() => database.close());
  return {
    database,
    async dispose() {
      await close();
      await pg?.drop();
      await dir.remove();
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  // PGlite holds the whole store in one process: the same figures for 10 hosts, for information.
  for (const [kind, hosts] of [['postgres', HOSTS], ['pglite', 10]] as const) {
    const target = await open(kind);
    if (!target) {
      results.push(notMeasured(`30-day report, ${hosts} hosts [${kind}]`, '< 2000', 'PostgreSQL does not answer'));
      continue;
    }
    try {
      progress(`reports ${kind}: seeding ${hosts} hosts`);
      const store = await seed(target.database, hosts);
      const storeNote = `${store.rows.hourly.toLocaleString('en')} hourly rows, ${store.rows.minute.toLocaleString('en')} minute rows, seeded in ${round(store.seedMs / 1000, 1)} s`;
      const isTarget = kind === 'postgres';
      for (const [label, fromDay, target30] of [
        ['30-day', addDays(store.lastDay, -29), true],
        ['1-day', store.lastDay, false],
      ] as const) {
        progress(`reports ${kind}: ${label} report × ${RUNS}`);
        const t = await timeReport(store, fromDay, store.lastDay);
        const m = median(t.ms);
        const worstBlock = max(t.blocked);
        results.push({
          name: `${label} report, ${hosts} hosts [${kind}]`,
          median: round(m, 1),
          max: round(max(t.ms), 1),
          unit: 'ms',
          target: isTarget && target30 ? '< 2000' : '',
          met: isTarget && target30 ? meets(m, '<', 2000) : null,
          reps: t.ms.map((x) => round(x, 1)),
          note: `computeReport (metrics and availability from ${label === '30-day' ? 'hourly rollups' : 'minute aggregates'}; comparison and 7/30-day trends from hourly rollups; alerts) of ${t.hosts} hosts × ${t.metrics} metrics, ${t.forecasts} forecasts; median of ${RUNS} after a warm-up; ${storeNote}`,
        });
        results.push({
          name: `event loop max delay during a ${label} report, ${hosts} hosts [${kind}]`,
          median: round(median(t.blocked), 1),
          max: round(worstBlock, 1),
          unit: 'ms',
          target: isTarget ? '< 20' : '',
          met: isTarget ? meets(worstBlock, '<', 20) : null,
          reps: t.blocked.map((x) => round(x, 1)),
          note: `longest gap of a 1 ms timer in this process while the report ran (verdict on the worst of ${RUNS} runs)${kind === 'pglite' ? '; PGlite runs in its worker thread' : ''}`,
        });
      }
    } finally {
      await target.dispose();
    }
  }
  return results;
}

if (import.meta.filename === process.argv[1]) await standalone(run);
