/**
 * Login limits that hold under concurrency, restarts and several server
 * nodes: every attempt is counted *before* its password is checked, with one
 * atomic upsert per key in the database (a row lock serialises concurrent
 * guesses: the 200th of 200 simultaneous guesses counts as the 200th).
 *
 * Keys and limits per 15 minutes: an address, 20 attempts; a username, 5 —
 * but counted apart for each address the user logged in from before, so a
 * stranger guessing `admin` from elsewhere cannot lock the admin out of their
 * own desk (lockout is no weapon). A good login clears the keys it used.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../store/db.ts';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const MAX_PER_USER = 5;
export const MAX_PER_ADDRESS = 20;

export interface LoginKeys {
  user: string;
  address: string | null;
}

/**
 * The counter keys of one attempt. From an address the user logged in from
 * before: only that pair's own counter (so neither a stranger guessing this
 * user elsewhere nor a neighbour behind the same NAT guessing others locks
 * them out). From anywhere else: the user's shared counter and the address's.
 */
export function loginKeys(username: string, address: string | null, knownAddress: boolean): LoginKeys {
  const user = username.toLowerCase();
  if (knownAddress && address) return { user: `user:${user}@${address}`, address: null };
  return { user: `user:${user}`, address: address ? `addr:${address}` : null };
}

/**
 * Counts one attempt on each key and returns the milliseconds to wait (0:
 * the attempt may go on to the password check).
 */
export async function countAttempt(db: Db, keys: LoginKeys, nowMs: number): Promise<number> {
  const list = [keys.user, ...(keys.address ? [keys.address] : [])];
  const rows = await queryRows<{ key: string; attempts: number; start: number }>(db, sql`
    INSERT INTO login_counters AS c (key, window_start, attempts)
    SELECT k, to_timestamp(${nowMs}::float8 / 1000), 1 FROM unnest(${`{${list.map((k) => `"${k.replace(/["\\]/g, '\\$&')}"`).join(',')}}`}::text[]) AS k
    ON CONFLICT (key) DO UPDATE SET
      attempts = CASE WHEN c.window_start <= to_timestamp(${(nowMs - LOGIN_WINDOW_MS)}::float8 / 1000) THEN 1 ELSE c.attempts + 1 END,
      window_start = CASE WHEN c.window_start <= to_timestamp(${(nowMs - LOGIN_WINDOW_MS)}::float8 / 1000) THEN excluded.window_start ELSE c.window_start END
    RETURNING key, attempts, (extract(epoch FROM window_start) * 1000)::float8 AS start`);
  let wait = 0;
  for (const r of rows) {
    const max = r.key.startsWith('addr:') ? MAX_PER_ADDRESS : MAX_PER_USER;
    if (r.attempts > max) wait = Math.max(wait, r.start + LOGIN_WINDOW_MS - nowMs);
  }
  return wait;
}

/** A good login: the user's key (and the address's) start over. */
export async function clearAttempts(db: Db, keys: LoginKeys): Promise<void> {
  await db.execute(sql`DELETE FROM login_counters WHERE key = ${keys.user} OR key = ${keys.address ?? ''}`);
}

/** Forgets windows that ended (run now and then). */
export async function pruneAttempts(db: Db, nowMs: number): Promise<void> {
  await db.execute(sql`DELETE FROM login_counters WHERE window_start <= to_timestamp(${nowMs - LOGIN_WINDOW_MS}::float8 / 1000)`);
}
