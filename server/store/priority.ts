/**
 * Database priority lanes. Work the server must do whatever clients do — the
 * sample writer, the collector, alerting, maintenance — runs in the 'system'
 * lane (the default); work a client triggers (an HTTP request, a socket
 * event) in the 'request' lane. PGlite (one connection) sends queued system
 * work first; PostgreSQL gives the system lane connections of its own. The
 * lane follows the async chain that started the work (AsyncLocalStorage).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type DbPriority = 'system' | 'request';
const lane = new AsyncLocalStorage<DbPriority>();

/** Runs `fn` with its database work (and everything it starts) in the given lane. */
export function withDbPriority<T>(priority: DbPriority, fn: () => T): T {
  return lane.run(priority, fn);
}

export function currentDbPriority(): DbPriority {
  return lane.getStore() ?? 'system';
}
