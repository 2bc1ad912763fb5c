/**
 * Real PostgreSQL for tests: `TEST_DATABASE_URL`, else 127.0.0.1:5432/test.
 * Each caller gets a fresh database of its own, dropped afterwards. When the
 * server does not answer, tests skip, unless REQUIRE_POSTGRES=1 (CI), where
 * that is a failure.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRED = process.env.REQUIRE_POSTGRES === '1';

let available: Promise<boolean> | undefined;

async function probe(): Promise<boolean> {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if (REQUIRED) throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${BASE_URL} does not answer: ${(err as Error).message}`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The reason to skip PostgreSQL tests, or false when PostgreSQL is there. */
export async function postgresSkipReason(): Promise<string | false> {
  available ??= probe();
  return (await available) ? false : `PostgreSQL at ${BASE_URL} does not answer (set REQUIRE_POSTGRES=1 to fail instead)`;
}

export interface TempDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database for one test file. */
export async function createTempDatabase(): Promise<TempDatabase> {
  const name = `glasswatch_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: BASE_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
