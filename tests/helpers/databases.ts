/**
 * Runs a storage test suite once per driver: embedded PGlite in a temp dir
 * and real PostgreSQL in a fresh database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe } from 'node:test';
import { openDatabase, type Database, type DbKind } from '../../server/store/db.ts';
import { createTempDatabase, postgresSkipReason } from './postgres.ts';

export function tempDir(prefix = 'glasswatch-test-'): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface DatabaseTarget {
  kind: DbKind;
  open(): Promise<Database>;
  cleanup(): Promise<void>;
  /** Options that make a server use this database. */
  serverOptions(): { databaseUrl?: string; dataDir: string };
}

async function pgliteTarget(): Promise<DatabaseTarget> {
  const tmp = tempDir();
  return {
    kind: 'pglite',
    open: () => openDatabase({ dataDir: tmp.dir }),
    async cleanup() {
      tmp.remove();
    },
    serverOptions: () => ({ dataDir: tmp.dir }),
  };
}

async function postgresTarget(): Promise<DatabaseTarget> {
  const temp = await createTempDatabase();
  const tmp = tempDir();
  return {
    kind: 'postgres',
    open: () => openDatabase({ databaseUrl: temp.url, dataDir: tmp.dir, maxConnections: 4 }),
    async cleanup() {
      await temp.drop();
      tmp.remove();
    },
    serverOptions: () => ({ databaseUrl: temp.url, dataDir: tmp.dir }),
  };
}

/** `describe` once for PGlite and once for PostgreSQL (skipped with a reason when absent). */
export function describeEachDatabase(title: string, suite: (target: () => DatabaseTarget) => void) {
  for (const kind of ['pglite', 'postgres'] as const) {
    describe(`${title} [${kind}]`, async () => {
      const skip = kind === 'postgres' ? await postgresSkipReason() : false;
      if (skip) {
        describe('needs PostgreSQL', { skip }, () => {});
        return;
      }
      const target = await (kind === 'pglite' ? pgliteTarget() : postgresTarget());
      after(() => target.cleanup());
      suite(() => target);
    });
  }
}
