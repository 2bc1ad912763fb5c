/**
 * Opens the database: PostgreSQL through `pg` when a URL is given, else
 * embedded PGlite in DATA_DIR. Both run the same Drizzle schema and the same
 * migrations; everything above this file sees one `Db` type.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { createLogger } from '../lib/log.ts';
import * as schema from './schema.ts';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** Runs raw SQL on either driver and returns its rows (both drivers answer `{ rows }`). */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
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

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, '../../migrations');
const log = createLogger('db');

export interface OpenOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const database = opts.databaseUrl ? openPostgres(opts.databaseUrl, opts.maxConnections ?? 10) : await openPglite(opts.dataDir);
  try {
    await database.migrate();
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  return database;
}

function openPostgres(url: string, max: number) {
  const pool = new pg.Pool({ connectionString: url, max, application_name: 'glasswatch' });
  // An idle client that loses its connection emits here; without a listener it would crash the process.
  pool.on('error', (err) => log.warn('idle PostgreSQL connection failed', err));
  const db = drizzleNodePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres' as const,
    async migrate() {
      await migrateNodePg(drizzleNodePg(pool), { migrationsFolder: MIGRATIONS_DIR });
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}

async function openPglite(dataDir: string) {
  const dir = path.join(dataDir, 'pglite');
  const fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  fs.mkdirSync(dir, { recursive: true });
  if (fresh) log.info(`creating the embedded database in ${dir} (first start only; takes a few seconds)…`);
  const client = await PGlite.create(dir);
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  let closed = false;
  return {
    db,
    kind: 'pglite' as const,
    async migrate() {
      await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS_DIR });
    },
    async ping() {
      if (closed) throw new Error('database closed');
      await db.execute(sql`SELECT 1`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}
