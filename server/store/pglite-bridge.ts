/**
 * PGlite in a worker thread. PGlite runs its WASM engine on the calling
 * thread, so in-process every query blocks the event loop (and every
 * websocket delivery behind it); this bridge runs it in pglite-worker.ts and
 * hands the main thread an object drizzle accepts as its client:
 * `drizzle(bridge as unknown as PGlite, { schema })`, and `migrate` from
 * `drizzle-orm/pglite/migrator` on it. Drizzle calls `query(sql, params,
 * { rowMode, parsers })` and `transaction(cb)` with `tx.query`; `exec` is here
 * too.
 *
 * Scheduling: at most `maxInFlight` requests are at the worker (PGlite is one
 * connection; two keep it busy without a round-trip gap); the rest wait here
 * in two lanes, and queued 'system' work (sample writer, collector, alerting)
 * is sent before 'request' work (what clients trigger). A transaction holds
 * the connection from BEGIN to COMMIT: its own queries go straight to the
 * worker, everything else waits until it ends (as in-process PGlite does —
 * so, as there, awaiting a query on the bridge itself inside the callback
 * deadlocks; use `tx`).
 */
import { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../lib/worker.ts';
import { currentDbPriority, withDbPriority, type DbPriority } from './priority.ts';
import { messages, TransactionAbortedError, type QueryOptions, type Results, type RowMode } from '@electric-sql/pglite';

// ---- priority lanes (server/store/priority.ts) ---------------------------------
export { currentDbPriority, withDbPriority, type DbPriority };

// ---- the public object ------------------------------------------------------
export interface BridgeTransaction {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string, options?: QueryOptions): Promise<Results[]>;
  rollback(): Promise<void>;
  readonly closed: boolean;
}

export interface PgliteBridge {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>>;
  exec(sql: string, options?: QueryOptions): Promise<Results[]>;
  transaction<T>(callback: (tx: BridgeTransaction) => Promise<T>): Promise<T>;
  /** Lets queued work finish, closes PGlite (flushing it to disk) and ends the worker. */
  close(): Promise<void>;
  /** True once `close()` was called or the worker died. */
  readonly closed: boolean;
  /** Requests waiting in the bridge (not yet sent to the worker), per lane. */
  readonly queued: Readonly<Record<DbPriority, number>>;
  /** The worker thread, for diagnostics (and tests: `terminate()` is a crash). */
  readonly worker: Worker;
}

export interface OpenPgliteWorkerOptions {
  /** PGlite's data directory (created by PGlite if missing). */
  dataDir: string;
  /** Requests at the worker at once (default 2); more wait in the lanes. */
  maxInFlight?: number;
  /** Called once if the worker dies after start-up; every pending and later request rejects with the same error. */
  onCrash?: (err: Error) => void;
}

// ---- the protocol with pglite-worker.ts ---------------------------------------
export interface WorkerInit {
  dataDir: string;
}
/** Query options as they cross threads: drizzle's parsers are identity functions, sent as their type OIDs. */
export interface WorkerWireOptions {
  rowMode?: RowMode;
  paramTypes?: number[];
  identityParserOids?: number[];
}
export type WorkerRequest =
  | { id: number; op: 'query'; txId?: number; sql: string; params: unknown[]; options?: WorkerWireOptions }
  | { id: number; op: 'exec'; txId?: number; sql: string; options?: WorkerWireOptions }
  | { id: number; op: 'begin'; txId: number }
  | { id: number; op: 'rollback'; txId: number }
  | { id: number; op: 'end'; txId: number; commit: boolean }
  | { id: number; op: 'close' };
/** Request 0 is the worker's start-up. */
export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };
export interface SerializedError {
  kind: 'database' | 'aborted' | 'error';
  name: string;
  message: string;
  stack?: string | undefined;
  /** The error's own primitive properties: code, detail, constraint, table, column, severity, query… */
  props: Record<string, string | number | boolean | bigint | null | undefined>;
}
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** Put back on database errors, as in-process PGlite has them. */
  params?: unknown[] | undefined;
  options?: QueryOptions | undefined;
}
interface Job {
  run(): Promise<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './pglite-worker.ts' : './pglite-worker.js', import.meta.url);

export async function openPgliteWorker(opts: OpenPgliteWorkerOptions): Promise<PgliteBridge> {
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  const worker = startWorker({ dataDir: opts.dataDir });
  const pending = new Map<number, Pending>();
  const queues: Record<DbPriority, Job[]> = { system: [], request: [] };
  const idleWaiters: (() => void)[] = [];
  let nextId = 1;
  let inFlight = 0;
  let transactionOpen = false;
  let started = false;
  let closing: Promise<void> | undefined;
  let closeSent = false;
  /** Set when the worker is gone: every request rejects with it. */
  let dead: Error | undefined;
  let workerError: Error | undefined;
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));

  const startup = new Promise((resolve, reject) => pending.set(0, { resolve, reject }));

  worker.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(reviveError(reply.error, p));
  });
  worker.on('error', (err) => {
    workerError ??= err;
  });
  worker.on('exit', (code) => {
    markExited();
    if (closeSent && code === 0) return die(new Error('the PGlite bridge is closed'));
    const why = workerError ? `: ${workerError.message}` : '';
    const err = new Error(`the PGlite worker thread stopped unexpectedly (exit code ${code})${why}; the embedded database is unavailable until glasswatch restarts`, { cause: workerError });
    const wasAlive = started && !dead;
    die(err);
    if (wasAlive) opts.onCrash?.(err);
  });

  function die(err: Error) {
    if (dead) return;
    dead = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
    for (const job of [...queues.system.splice(0), ...queues.request.splice(0)]) job.reject(err);
  }

  function send(body: RequestBody, local?: Omit<Pending, 'resolve' | 'reject'>): Promise<unknown> {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      try {
        worker.postMessage({ ...body, id });
      } catch (err) {
        reject(err); // e.g. DataCloneError: a parameter that cannot cross threads
        return;
      }
      pending.set(id, { resolve, reject, ...local });
    });
  }

  /** Async so that an option that cannot cross threads (see toWire) rejects like a query error. */
  async function sendQuery<T>(sql: string, params: unknown[] | undefined, options: QueryOptions | undefined, txId?: number): Promise<Results<T>> {
    const values = params ?? [];
    return send({ op: 'query', txId, sql, params: values, options: toWire(options) }, { params: values, options }) as Promise<Results<T>>;
  }

  async function sendExec(sql: string, options: QueryOptions | undefined, txId?: number): Promise<Results[]> {
    return send({ op: 'exec', txId, sql, options: toWire(options) }, { options }) as Promise<Results[]>;
  }

  // ---- lanes ----
  function schedule<T>(run: () => Promise<T>): Promise<T> {
    if (dead) return Promise.reject(dead);
    if (closing) return Promise.reject(new Error('the PGlite bridge is closed'));
    return new Promise<T>((resolve, reject) => {
      queues[currentDbPriority()].push({ run, resolve: resolve as (value: unknown) => void, reject });
      pump();
    });
  }

  function pump() {
    while (!transactionOpen && inFlight < maxInFlight) {
      const job = queues.system.shift() ?? queues.request.shift();
      if (!job) break;
      inFlight++;
      job
        .run()
        .then(job.resolve, job.reject)
        .finally(() => {
          inFlight--;
          pump();
        });
    }
    if (inFlight === 0 && queues.system.length === 0 && queues.request.length === 0) {
      for (const wake of idleWaiters.splice(0)) wake();
    }
  }

  async function runTransaction<T>(callback: (tx: BridgeTransaction) => Promise<T>): Promise<T> {
    const txId = nextId++;
    await send({ op: 'begin', txId });
    let closed = false;
    const closedError = () => Promise.reject(new Error('Transaction is closed'));
    const tx: BridgeTransaction = {
      query: (sql, params, options) => (closed ? closedError() : sendQuery(sql, params, options, txId)),
      exec: (sql, options) => (closed ? closedError() : sendExec(sql, options, txId)),
      async rollback() {
        if (closed) return closedError();
        await send({ op: 'rollback', txId });
        closed = true;
      },
      get closed() {
        return closed;
      },
    };
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await callback(tx) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    closed = true;
    // A failing COMMIT or ROLLBACK rejects here and wins over the callback's outcome, as in PGlite.
    await send({ op: 'end', txId, commit: outcome.ok });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  const bridge: PgliteBridge = {
    query: (sql, params, options) => schedule(() => sendQuery(sql, params, options)),
    exec: (sql, options) => schedule(() => sendExec(sql, options)),
    transaction: (callback) =>
      schedule(async () => {
        transactionOpen = true; // before the first await: pump() sends nothing else until it ends
        try {
          return await runTransaction(callback);
        } finally {
          transactionOpen = false;
        }
      }),
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          idleWaiters.push(resolve);
          pump();
        });
        if (dead) return;
        closeSent = true;
        await send({ op: 'close' });
        await exited;
      })();
      return closing;
    },
    get closed() {
      return closing !== undefined || dead !== undefined;
    },
    get queued() {
      return { system: queues.system.length, request: queues.request.length };
    },
    worker,
  };

  try {
    await startup;
  } catch (err) {
    die(err instanceof Error ? err : new Error(String(err)));
    await worker.terminate();
    throw err;
  }
  started = true;
  return bridge;
}

function startWorker(init: WorkerInit): Worker {
  return startModuleWorker(WORKER_URL, init);
}

// ---- values across threads ------------------------------------------------------
const wireOptions = new WeakMap<QueryOptions, WorkerWireOptions>();
const PROBE = '\u0000glasswatch-parser-probe';

/** Drizzle builds one options object per prepared query and never changes it, so the conversion is cached per object. */
function toWire(options: QueryOptions | undefined): WorkerWireOptions | undefined {
  if (!options) return undefined;
  let wire = wireOptions.get(options);
  if (wire) return wire;
  for (const key of ['serializers', 'blob', 'onNotice'] as const) {
    if (options[key] !== undefined) throw new TypeError(`the PGlite bridge cannot send the query option "${key}" to its worker thread`);
  }
  wire = {};
  if (options.rowMode) wire.rowMode = options.rowMode;
  if (options.paramTypes) wire.paramTypes = options.paramTypes;
  if (options.parsers) {
    wire.identityParserOids = Object.entries(options.parsers).map(([oid, parse]) => {
      if (parse(PROBE) !== PROBE) throw new TypeError(`the PGlite bridge only supports identity parsers (as drizzle passes); the one for type ${oid} is not`);
      return Number(oid);
    });
  }
  wireOptions.set(options, wire);
  return wire;
}

/** Rebuilds the worker's error with PGlite's class and properties, so callers can test `err.code` or `instanceof`. */
function reviveError(e: SerializedError, local: Pending): Error {
  const err: Error = e.kind === 'aborted' ? new TransactionAbortedError() : e.kind === 'database' ? new messages.DatabaseError(e.message, 0, 'error') : new Error(e.message);
  Object.assign(err, e.props);
  err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  if ('query' in e.props) Object.assign(err, { params: local.params, queryOptions: local.options });
  return err;
}
