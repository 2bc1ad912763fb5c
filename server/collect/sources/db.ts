import { round, type Source } from '../source.ts';

/**
 * Runs one read-only statement and returns its rows. The server passes its
 * own database; the agent a plain `pg` client on the database it watches.
 */
export type RunQuery = (text: string) => Promise<Array<Record<string, unknown>>>;

const STATS_SQL = `
  SELECT
    (SELECT count(*)::int FROM pg_stat_activity WHERE state = 'active' AND datname = current_database()) AS active,
    (SELECT (100 * sum(blks_hit) / nullif(sum(blks_hit) + sum(blks_read), 0))::float8
       FROM pg_stat_database WHERE datname = current_database()) AS hit`;

/**
 * Database health from pg_stat_activity / pg_stat_database: active
 * connections and buffer cache hit ratio; `db.query_ms` is the round trip of
 * that very query. On PGlite the same views exist (one backend, so one
 * active connection: ours).
 */
export function createDbSource(run: RunQuery): Source<'db.active_connections' | 'db.query_ms' | 'db.cache_hit_percent'> {
  return {
    id: 'db',
    metrics: ['db.active_connections', 'db.query_ms', 'db.cache_hit_percent'],
    async collect() {
      const started = performance.now();
      const [row] = await run(STATS_SQL);
      const ms = performance.now() - started;
      if (!row) throw new Error('pg_stat query returned no row');
      const hit = row.hit === null || row.hit === undefined ? null : Number(row.hit);
      return {
        'db.active_connections': Number(row.active),
        'db.query_ms': round(ms, 2),
        'db.cache_hit_percent': hit === null ? null : round(hit, 2),
      };
    },
  };
}

/** pg_database_size walks the data directory, so every 30 s is plenty. */
export function createDbSizeSource(run: RunQuery): Source<'db.size_mb'> {
  return {
    id: 'db-size',
    metrics: ['db.size_mb'],
    everyMs: 30_000,
    async collect() {
      const [row] = await run('SELECT pg_database_size(current_database())::float8 AS bytes');
      const bytes = row?.bytes === undefined || row.bytes === null ? undefined : Number(row.bytes);
      if (typeof bytes !== 'number' || !Number.isFinite(bytes)) throw new Error('pg_database_size returned nothing');
      return { 'db.size_mb': round(bytes / 1024 / 1024, 1) };
    },
  };
}
