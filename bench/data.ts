/**
 * Databases and samples for the storage benchmarks, on the product's own
 * store: openDatabase, the runtime metric catalog, the host registry, the
 * sample writer (head rows) and the once-a-minute maintenance that seals
 * the head into codec-encoded minute blocks and rolls hours up — on PGlite
 * in a temp dir (in its worker thread, as the server runs it) and on
 * PostgreSQL in a fresh temp database.
 *
 * Samples are shaped like the server's own at 1 Hz (`serverValues`): noisy
 * CPU with one decimal, slowly drifting memory, near-constant disk, bursty
 * network integers, small counts that rarely change, the self metrics with
 * two decimals, host.up 1; timestamps are tick slots plus a few ms of timer
 * lateness, as the collector stamps them.
 */
import { BUILTIN_METRICS, isBuiltinMetric, METRICS, type MetricDef } from '../shared/catalog.ts';
import type { MetricsEvent } from '../shared/events.ts';
import { loadHostRegistry, type HostRegistry } from '../server/fleet/hosts.ts';
import { openDatabase, type Database } from '../server/store/db.ts';
import { maintain, retentionPolicy, SEAL_DELAY_MS, type StoreContext } from '../server/store/maintenance.ts';
import { loadMetricCatalog, type MetricCatalog } from '../server/store/metric-catalog.ts';
import { insertSamples, type SampleRows } from '../server/store/samples.ts';
import { createSampleWriter } from '../server/store/writer.ts';
import { onCleanup, tempDir, tempPostgres } from './lib.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface BenchDatabase {
  kind: 'pglite' | 'postgres';
  database: Database;
  catalog: MetricCatalog;
  hosts: HostRegistry;
  hostName: string;
  hostId: number;
  /** Ids of the built-in metrics, in catalog order. */
  metricIds: number[];
  /** What maintain() needs: thresholds per metric id, the host's tick. */
  ctx: StoreContext;
  /** Closes the database, then drops / removes it (unless it was given). */
  dispose(): Promise<void>;
}

export interface OpenBenchOptions {
  hostName?: string;
  /** An existing PGlite data dir (kept on dispose). */
  dataDir?: string;
  /** An existing PostgreSQL database (kept on dispose). */
  databaseUrl?: string;
}

/** Opens a database of the kind (null when PostgreSQL does not answer), with the catalog and one host of kind 'server' at 1 s. */
export async function openBenchDatabase(kind: 'pglite' | 'postgres', opts: OpenBenchOptions = {}): Promise<BenchDatabase | null> {
  const dir = opts.dataDir ? null : tempDir();
  let pg: Awaited<ReturnType<typeof tempPostgres>> = null;
  if (kind === 'postgres' && !opts.databaseUrl) {
    pg = await tempPostgres();
    if (!pg) {
      await dir?.remove();
      return null;
    }
  }
  const database = await openDatabase({ databaseUrl: opts.databaseUrl ?? pg?.url, dataDir: opts.dataDir ?? dir!.dir, maxConnections: 4 });
  const close = onCleanup(() => database.close());
  const catalog = await loadMetricCatalog(database.db);
  const hosts = await loadHostRegistry(database.db, { intervalMs: 1000 });
  const hostName = opts.hostName ?? 'bench-host';
  const hostId = await hosts.ensure(hostName, 'server', 1000);
  const ctx: StoreContext = {
    thresholds(metricId) {
      const name = catalog.name(metricId);
      const def: MetricDef | undefined = name && isBuiltinMetric(name) ? METRICS[name] : undefined;
      return def && { warning: def.warning, critical: def.critical };
    },
    intervalMsOf: hosts.intervalMsOf,
  };
  return {
    kind,
    database,
    catalog,
    hosts,
    hostName,
    hostId,
    metricIds: BUILTIN_METRICS.map((m) => catalog.id(m)!),
    ctx,
    async dispose() {
      await close();
      await pg?.drop();
      await dir?.remove();
    },
  };
}

export { serverValues, tickTimes } from './values.ts';
import { serverValues, tickTimes } from './values.ts';

/** `count` ticks of one host from `fromMs`, as MetricsEvents (host.up 1 included, as ingest stamps fresh samples). */
export function serverTicks(
  host: string, fromMs: number, count: number, next: () => Record<string, number>, stamp: (slot: number) => number, intervalMs = 1000,
): MetricsEvent[] {
  const out: MetricsEvent[] = [];
  for (let i = 0; i < count; i++) out.push({ host, ts: stamp(fromMs + i * intervalMs), values: { ...next(), 'host.up': 1 } });
  return out;
}

export interface DayWritten {
  samples: number;
  ticks: number;
  metricsPerTick: number;
  writeMs: number;
  maintainMs: number;
  maintainPasses: number;
}

/**
 * A day (or any span) of one host at 1 Hz, written as the server writes it —
 * through the sample writer into the head, a minute of ticks per write — and
 * sealed by the server's own maintenance pass, called every
 * `maintainEveryMs` (default: a minute) of simulated time with that time as
 * "now" (so it seals what had closed 90 s before, exactly as the
 * once-a-minute loop does). The last pass is
 * the hourly one (retention, VACUUM, ANALYZE) at `toMs`, leaving the last
 * 1.5–2.5 minutes in the head, as on a running server.
 */
export async function writeSpan(
  target: BenchDatabase,
  span: { fromMs: number; toMs: number; seed?: number; intervalMs?: number; maintainEveryMs?: number; finalPrune?: boolean; onProgress?: (fraction: number) => void },
): Promise<DayWritten> {
  const { db } = target.database;
  const writer = createSampleWriter({ db, ids: { hostId: target.hosts.anyId, metricId: target.catalog.id } });
  const values = serverValues(span.seed ?? 1);
  const stamp = tickTimes(span.seed ?? 1);
  const every = span.maintainEveryMs ?? MINUTE;
  const policy = retentionPolicy(30);
  let samples = 0;
  let ticks = 0;
  let metricsPerTick = 0;
  let writeMs = 0;
  let maintainMs = 0;
  let passes = 0;
  try {
    for (let t = span.fromMs; t < span.toMs; t += every) {
      const interval = span.intervalMs ?? 1000;
      const n = Math.min(every, span.toMs - t) / interval;
      const events = serverTicks(target.hostName, t, n, values, stamp, interval);
      metricsPerTick = Object.keys(events[0]!.values).length;
      let w = performance.now();
      await writer.push(events);
      writeMs += performance.now() - w;
      samples += events.length * metricsPerTick;
      ticks += events.length;
      const now = t + n * interval;
      const last = now >= span.toMs;
      w = performance.now();
      await maintain(db, target.ctx, policy, now, last && span.finalPrune !== false);
      maintainMs += performance.now() - w;
      passes++;
      span.onProgress?.((now - span.fromMs) / (span.toMs - span.fromMs));
    }
  } finally {
    await writer.close();
  }
  return { samples, ticks, metricsPerTick, writeMs, maintainMs, maintainPasses: passes };
}

/** The minute boundary before which a pass at `nowMs` seals. */
export const sealedBefore = (nowMs: number) => Math.floor((nowMs - SEAL_DELAY_MS) / MINUTE) * MINUTE;

// ---------------------------------------------------------------- bursts (ingest benchmark)

/**
 * Head rows as the writer makes them: one tick per second from `fromMs`,
 * every built-in metric each tick, `count` rows in all.
 */
export function tickRows(target: BenchDatabase, fromMs: number, count: number, startIndex = 0): SampleRows {
  const n = target.metricIds.length;
  const rows: SampleRows = { tsMs: new Array(count), hostId: new Array(count), metricId: new Array(count), value: new Array(count) };
  for (let i = 0; i < count; i++) {
    const k = startIndex + i;
    const tick = Math.floor(k / n);
    rows.tsMs[i] = fromMs + tick * 1000;
    rows.hostId[i] = target.hostId;
    rows.metricId[i] = target.metricIds[k % n]!;
    rows.value[i] = Math.round((50 + 40 * Math.sin(tick / 300 + (k % n)) + Math.random() * 5) * 100) / 100;
  }
  return rows;
}

/** Inserts `total` tick rows from `fromMs` in batches; returns elapsed ms of the inserts alone (rows built beforehand). */
export async function insertTicks(target: BenchDatabase, fromMs: number, total: number, batch: number): Promise<number> {
  const batches: SampleRows[] = [];
  for (let start = 0; start < total; start += batch) batches.push(tickRows(target, fromMs, Math.min(batch, total - start), start));
  const t0 = performance.now();
  for (const rows of batches) await insertSamples(target.database.db, rows);
  return performance.now() - t0;
}
