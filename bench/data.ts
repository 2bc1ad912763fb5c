/**
 * Databases and synthetic samples for the storage benchmarks: the product's
 * own openDatabase / loadSeriesIds / insertSamples, on PGlite in a temp dir
 * and on PostgreSQL in a fresh temp database.
 */
import { METRIC_NAMES } from '../shared/catalog.ts';
import { openDatabase, type Database } from '../server/store/db.ts';
import { insertSamples, type SampleRows } from '../server/store/samples.ts';
import { loadSeriesIds, type SeriesIds } from '../server/store/series-ids.ts';
import { onCleanup, tempDir, tempPostgres } from './lib.ts';

export interface BenchDatabase {
  kind: 'pglite' | 'postgres';
  database: Database;
  ids: SeriesIds;
  hostId: number;
  metricIds: number[];
  /** Closes the database, then drops / removes it. */
  dispose(): Promise<void>;
}

/** Opens a fresh database of the kind (null when PostgreSQL does not answer) and registers a host. */
export async function openBenchDatabase(kind: 'pglite' | 'postgres'): Promise<BenchDatabase | null> {
  const dir = tempDir();
  let pg: Awaited<ReturnType<typeof tempPostgres>> = null;
  if (kind === 'postgres') {
    pg = await tempPostgres();
    if (!pg) {
      await dir.remove();
      return null;
    }
  }
  const database = await openDatabase({ databaseUrl: pg?.url, dataDir: dir.dir, maxConnections: 4 });
  const close = onCleanup(() => database.close());
  const ids = await loadSeriesIds(database.db);
  const hostId = await ids.hostId('bench-host');
  return {
    kind,
    database,
    ids,
    hostId,
    metricIds: METRIC_NAMES.map((m) => ids.metricId(m)),
    async dispose() {
      await close();
      await pg?.drop();
      await dir.remove();
    },
  };
}

/**
 * Rows as the server writes them: one tick per second from `fromMs`, every
 * catalog metric each tick (18 rows per tick), `count` rows in all.
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
    // Plausible, varied values with a few decimals (like the collectors' rounded figures).
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
