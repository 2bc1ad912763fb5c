/**
 * An exclusive lock on DATA_DIR. PGlite is a single-process database: a
 * second glasswatch on the same directory would corrupt it, so it refuses to
 * start and names the process that holds the lock. The lock is a file created
 * with 'wx' (fails if it exists) holding the owner's pid and host; a lock
 * whose process is gone is stale and taken over.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const LOCK_FILE = 'glasswatch.lock';

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still ours; safe to call twice. Also runs on process exit. */
  release(): void;
}

interface LockOwner {
  pid: number;
  hostname: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
    readonly lockPath: string,
  ) {
    const where = owner.hostname === os.hostname() ? '' : ` on host ${owner.hostname}`;
    super(
      `${dataDir} is used by glasswatch process ${owner.pid}${where}; PGlite is single-process: use PostgreSQL (DATABASE_URL) to run several nodes` +
        ` (if that process is not glasswatch, delete ${lockPath})`,
    );
    this.name = 'DataDirInUseError';
  }
}

/** Locks in this process, so a second open here fails too (the pid check alone would call it ours). */
const heldHere = new Set<string>();

export function lockDataDir(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(path.resolve(dataDir), LOCK_FILE);
  const me: LockOwner = { pid: process.pid, hostname: os.hostname() };
  if (heldHere.has(lockPath)) throw new DataDirInUseError(dataDir, me, lockPath);

  // Two attempts: the second follows the removal of a stale lock (a racing process may win it).
  for (let attempt = 1; ; attempt++) {
    try {
      fs.writeFileSync(lockPath, `${JSON.stringify(me)}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(lockPath);
    if (!owner) throw new Error(`the lock file ${lockPath} is unreadable; if no other glasswatch uses ${dataDir}, delete it`);
    if (attempt > 1 || isAlive(owner)) throw new DataDirInUseError(dataDir, owner, lockPath);
    fs.rmSync(lockPath, { force: true });
  }

  heldHere.add(lockPath);
  const release = () => {
    if (!heldHere.delete(lockPath)) return;
    process.off('exit', release);
    const owner = readOwner(lockPath);
    if (owner?.pid === me.pid && owner.hostname === me.hostname) fs.rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return { path: lockPath, release };
}

function readOwner(lockPath: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    if (Number.isInteger(owner.pid) && typeof owner.hostname === 'string') return owner as LockOwner;
  } catch {
    // missing or half-written: reported as unreadable by the caller
  }
  return undefined;
}

function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== os.hostname()) return true; // cannot check another host's processes: assume it runs
  if (owner.pid === process.pid) return false; // not held here (checked above): an earlier process with our pid, e.g. pid 1 in a container
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by another user
  }
}
