/**
 * Opens the database: PostgreSQL through `pg` when a URL is given, else
 * embedded PGlite in DATA_DIR — run in a worker thread (pglite-bridge.ts),
 * so no query ever blocks the event loop, and locked to one process. Both
 * run the same Drizzle schema and the same migrations; everything above this
 * file sees one `Db` type.
 */
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { createLogger } from '../lib/log.ts';
import { ROOT } from '../lib/paths.ts';
import { startEmbedded, type EmbeddedStart } from './embedded.ts';
import { currentDbPriority } from './priority.ts';
import * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Runs raw SQL on either driver and returns its rows (both drivers answer `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(db: Pick<Db, 'execute'>, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
export type DbKind = 'pglite' | 'postgres';

export interface Database {
  db: Db;
  kind: DbKind;
  /** A cheap round trip; rejects when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const MIGRATIONS_DIR = path.join(ROOT, 'migrations');
const log = createLogger('db');

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Pool size for PostgreSQL (client requests); the system lane has two more connections of its own. */
  maxConnections?: number;
  /** Another migrations folder (tests that start from an older schema). */
  migrationsDir?: string;
  /** PGlite already starting (server/start.ts begins it before the rest of the server loads). */
  embedded?: Promise<EmbeddedStart>;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const database = opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.maxConnections ?? 10) : await openPglite(opts.dataDir, opts.embedded);
  try {
    await database.migrate(opts.migrationsDir ?? MIGRATIONS_DIR);
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  return database;
}

/**
 * A pool whose checkouts and queries go to a small pool of their own in the
 * system lane (priority.ts), so a flood of client requests can never take
 * the connections the sample writer needs. A subclass, because drizzle
 * recognises a pool with `instanceof`.
 */
class LanePool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    readonly system: pg.Pool,
  ) {
    super(config);
  }
  override query(...args: unknown[]): never {
    if (currentDbPriority() === 'system') return (this.system.query as (...a: unknown[]) => unknown).apply(this.system, args) as never;
    return (super.query as (...a: unknown[]) => unknown).apply(this, args) as never;
  }
  override connect(...args: unknown[]): never {
    if (currentDbPriority() === 'system') return (this.system.connect as (...a: unknown[]) => unknown).apply(this.system, args) as never;
    return (super.connect as (...a: unknown[]) => unknown).apply(this, args) as never;
  }
  override async end(): Promise<void> {
    await Promise.all([super.end(), this.system.end()]);
  }
}

function openPostgres(url: string, max: number) {
  const system = new pg.Pool({ connectionString: url, max: 2, application_name: 'glasswatch' });
  const pool = new LanePool({ connectionString: url, max, application_name: 'glasswatch' }, system);
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  for (const p of [pool, system]) p.on('error', (err) => log.warn('idle PostgreSQL connection failed', err));
  const db = drizzleNodePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres' as const,
    async migrate(folder: string) {
      await migrateNodePg(drizzleNodePg(pool), { migrationsFolder: folder });
    },
    async ping() {
      await system.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string, started?: Promise<EmbeddedStart>) {
  const { bridge, lock } = await (started ?? startEmbedded(dataDir));
  const client = bridge as unknown as PGlite;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite' as const,
    async migrate(folder: string) {
      await migratePglite(drizzlePglite(client), { migrationsFolder: folder });
    },
    async ping() {
      if (bridge.closed) throw new Error('database closed');
      await db.execute(sql`SELECT 1`);
    },
    async close() {
      if (bridge.closed) return;
      await bridge.close();
      lock.release();
    },
  };
}
