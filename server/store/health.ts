/**
 * Whether the database answers, watched by one small loop (a cheap query
 * every 2 s in the system lane). Everything that touches the database asks
 * here before logging a failure: during an outage the log gets one line when
 * it starts and one when it ends, not one per request or per tick. The
 * error boundary answers 503 instead of 500, viewers get a `status` event,
 * and what is served from memory goes on.
 */
import type { ServerStatus } from '../../shared/events.ts';
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { Database } from './db.ts';

const log = createLogger('db');

/** Error codes and messages of a database that is away (not of a bad query). */
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '3D000']);
const OUTAGE_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the embedded database stopped|database closed|Cannot use a pool after calling end/i;

export function isOutageError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && OUTAGE_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && OUTAGE_MESSAGE.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err && isOutageError(e.cause);
}

export interface DatabaseHealth {
  readonly status: ServerStatus;
  readonly down: boolean;
  /**
   * Reports a failure; true when it is the database being away (already
   * reported once: the caller says nothing more), false for anything else.
   */
  failed(err: unknown): boolean;
  /** Checks every `intervalMs` until `signal` aborts. */
  watch(signal: AbortSignal, intervalMs?: number): Promise<void>;
  onChange(listener: (status: ServerStatus) => void): () => void;
}

export function createDatabaseHealth(database: Pick<Database, 'ping'>): DatabaseHealth {
  let down = false;
  let since = 0;
  const listeners = new Set<(status: ServerStatus) => void>();
  const set = (isDown: boolean, err?: unknown) => {
    if (down === isDown) return;
    down = isDown;
    if (isDown) {
      since = Date.now();
      log.error('the database is unavailable: live data continues, storage and changes wait until it is back', err);
    } else {
      log.info(`the database is back after ${Math.round((Date.now() - since) / 1000)} s`);
    }
    const status: ServerStatus = { database: down ? 'unavailable' : 'ok' };
    for (const l of listeners) l(status);
  };
  return {
    get status(): ServerStatus {
      return { database: down ? 'unavailable' : 'ok' };
    },
    get down() {
      return down;
    },
    failed(err) {
      if (!isOutageError(err)) return false;
      set(true, err);
      return true;
    },
    watch(signal, intervalMs = 2000) {
      return runLoop(
        async () => {
          try {
            await database.ping();
            set(false);
          } catch (err) {
            set(true, err);
          }
        },
        { intervalMs, signal, log, immediate: false },
      );
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
