import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../store/db.ts';
import { round, type Source } from '../source.ts';

interface DbStatsRow extends Record<string, unknown> {
  active: number;
  hit: number | null;
}

/**
 * Database health from pg_stat_activity / pg_stat_database: active
 * connections and buffer cache hit ratio; `db.query_ms` is the round trip of
 * that very query. On PGlite the same views exist (one backend, so one
 * active connection: ours).
 */
export function createDbSource(db: Db): Source<'db.active_connections' | 'db.query_ms' | 'db.cache_hit_percent'> {
  return {
    id: 'db',
    metrics: ['db.active_connections', 'db.query_ms', 'db.cache_hit_percent'],
    async collect() {
      const started = performance.now();
      const [row] = await queryRows<DbStatsRow>(db, sql`
        SELECT
          (SELECT count(*)::int FROM pg_stat_activity WHERE state = 'active' AND datname = current_database()) AS active,
          (SELECT (100 * sum(blks_hit) / nullif(sum(blks_hit) + sum(blks_read), 0))::float8
             FROM pg_stat_database WHERE datname = current_database()) AS hit`);
      const ms = performance.now() - started;
      if (!row) throw new Error('pg_stat query returned no row');
      return {
        'db.active_connections': row.active,
        'db.query_ms': round(ms, 2),
        'db.cache_hit_percent': row.hit === null ? null : round(row.hit, 2),
      };
    },
  };
}

/** pg_database_size walks the data directory, so every 30 s is plenty. */
export function createDbSizeSource(db: Db): Source<'db.size_mb'> {
  return {
    id: 'db-size',
    metrics: ['db.size_mb'],
    everyMs: 30_000,
    async collect() {
      const [row] = await queryRows<{ bytes: number }>(db, sql`SELECT pg_database_size(current_database())::float8 AS bytes`);
      const bytes = row?.bytes;
      if (typeof bytes !== 'number') throw new Error('pg_database_size returned nothing');
      return { 'db.size_mb': round(bytes / 1024 / 1024, 1) };
    },
  };
}
