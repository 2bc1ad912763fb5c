/**
 * Starting embedded PGlite: the data dir locked to this process (a second
 * one is refused with a message naming the first), then PGlite booted in its
 * worker thread (pglite-bridge.ts). Kept apart from db.ts and its packages so
 * the process's entry (server/start.ts) can begin it before the rest of the
 * server has loaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../lib/log.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { openPgliteWorker, type PgliteBridge } from './pglite-bridge.ts';

const log = createLogger('db');

export interface EmbeddedStart {
  bridge: PgliteBridge;
  lock: DataDirLock;
}

export async function startEmbedded(dataDir: string): Promise<EmbeddedStart> {
  fs.mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  const dir = path.join(dataDir, 'pglite');
  const fresh = !fs.existsSync(path.join(dir, 'PG_VERSION'));
  fs.mkdirSync(dir, { recursive: true });
  if (fresh) log.info(`creating the embedded database in ${dir} (first start only; takes a few seconds)…`);
  try {
    return { bridge: await openPgliteWorker({ dataDir: dir, onCrash: (err) => log.error('the embedded database stopped', err) }), lock };
  } catch (err) {
    lock.release();
    throw err;
  }
}
