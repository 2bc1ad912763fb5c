/**
 * The PGlite worker thread started by pglite-bridge.ts: opens PGlite on
 * `workerData.dataDir` and answers the bridge's requests (protocol types are
 * declared there). PGlite's WASM engine runs on this thread, so the main
 * thread's event loop stays free while a query runs.
 *
 * Invariant: the main thread sends at most a couple of requests at a time and
 * never an outside query while a transaction is open, so PGlite's own mutex
 * only ever orders what the bridge already scheduled.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messages, PGlite, TransactionAbortedError, type ParserOptions, type QueryOptions, type Results, type Transaction } from '@electric-sql/pglite';
import type { SerializedError, WorkerInit, WorkerReply, WorkerRequest, WorkerWireOptions } from './pglite-bridge.ts';

const port = parentPort!;
const { dataDir } = workerData as WorkerInit;
const BYTEA = 17;
/** Result buffers at least this large are transferred instead of copied. */
const TRANSFER_MIN_BYTES = 64 * 1024;
/** Errors carry these back on the main thread from its own copies (params may be large, options hold functions). */
const LOCAL_ERROR_PROPS = new Set(['params', 'queryOptions']);

interface OpenTransaction {
  tx: Transaction;
  finish(commit: boolean): void;
  done: Promise<void>;
}
const transactions = new Map<number, OpenTransaction>();
/** Thrown inside PGlite's transaction callback to make it roll back. */
const ROLLBACK = Symbol('rollback');

/**
 * PostgreSQL's defaults size shared memory for a server with many
 * connections: 128 MB of shared buffers, which PGlite allocates and touches
 * inside its WASM memory at start (measured: RSS 284 MB right after opening
 * a data dir, 157–180 MB with 16–32 MB of buffers). glasswatch is one
 * connection whose hot data (the head of recent samples, lookup tables) is
 * small; what does not fit is read back from the data dir's files through
 * the OS page cache.
 */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=32MB'];

let pg: PGlite;
try {
  pg = await PGlite.create(dataDir, { startParams: START_PARAMS });
  port.on('message', (req: WorkerRequest) => void handle(req));
  port.postMessage({ id: 0, ok: true, value: undefined } satisfies WorkerReply);
} catch (err) {
  // Request 0 is the start-up: the bridge rejects its open() and ends this thread.
  port.postMessage({ id: 0, ok: false, error: serializeError(err) } satisfies WorkerReply);
  port.close();
}

async function handle(req: WorkerRequest): Promise<void> {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const value = await run(req);
    if (req.op === 'query') transfer = transferableBuffers([value as Results]);
    if (req.op === 'exec') transfer = transferableBuffers(value as Results[]);
    reply = { id: req.id, ok: true, value };
  } catch (err) {
    reply = { id: req.id, ok: false, error: serializeError(err) };
  }
  try {
    port.postMessage(reply, transfer);
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: serializeError(err) } satisfies WorkerReply); // a value that cannot be cloned
  }
  if (req.op === 'close' && reply.ok) port.close(); // lets this thread end
}

async function run(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'query':
      return target(req.txId).query(req.sql, req.params, queryOptions(req.options));
    case 'exec':
      return target(req.txId).exec(req.sql, queryOptions(req.options));
    case 'begin':
      return begin(req.txId);
    case 'rollback':
      return openTransaction(req.txId).tx.rollback();
    case 'end':
      return end(req.txId, req.commit);
    case 'close':
      return pg.close();
  }
}

function target(txId: number | undefined): PGlite | Transaction {
  return txId === undefined ? pg : openTransaction(txId).tx;
}

function openTransaction(txId: number): OpenTransaction {
  const open = transactions.get(txId);
  if (!open) throw new Error('Transaction is closed');
  return open;
}

/** Opens a PGlite transaction whose callback waits for the bridge's `end` request. */
function begin(txId: number): Promise<void> {
  return new Promise((opened, failed) => {
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (finish = resolve));
    let started = false;
    const done = pg.transaction(async (tx) => {
      started = true;
      transactions.set(txId, { tx, finish, done });
      opened();
      if (!(await decided)) throw ROLLBACK;
    });
    // BEGIN itself failed (the callback never ran): that is the answer to `begin`.
    done.catch((err) => {
      if (!started) failed(err);
    });
  });
}

/** Commits or rolls back; a failing COMMIT (or ROLLBACK) rejects, as PGlite's `transaction` does. */
async function end(txId: number, commit: boolean): Promise<void> {
  const open = openTransaction(txId);
  transactions.delete(txId);
  open.finish(commit);
  try {
    await open.done;
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
}

const identityParsers = new Map<string, ParserOptions>();
/** Functions cannot cross threads: the bridge sends the OIDs of drizzle's identity parsers and they are rebuilt here. */
function queryOptions(wire: WorkerWireOptions | undefined): QueryOptions | undefined {
  if (!wire) return undefined;
  const options: QueryOptions = {};
  if (wire.rowMode) options.rowMode = wire.rowMode;
  if (wire.paramTypes) options.paramTypes = wire.paramTypes;
  if (wire.identityParserOids) {
    const key = wire.identityParserOids.join(',');
    let parsers = identityParsers.get(key);
    if (!parsers) {
      parsers = Object.fromEntries(wire.identityParserOids.map((oid) => [oid, (value: string) => value]));
      identityParsers.set(key, parsers);
    }
    options.parsers = parsers;
  }
  return options;
}

/** bytea values own their buffer (PGlite decodes into a fresh Uint8Array): large ones move instead of being copied. */
function transferableBuffers(results: Results[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const result of results) {
    const columns = result.fields.flatMap((f, i) => (f.dataTypeID === BYTEA ? [{ name: f.name, i }] : []));
    if (columns.length === 0) continue;
    for (const row of result.rows as unknown[]) {
      for (const { name, i } of columns) {
        const value = Array.isArray(row) ? row[i] : (row as Record<string, unknown>)[name];
        if (
          value instanceof Uint8Array &&
          value.byteLength >= TRANSFER_MIN_BYTES &&
          value.buffer instanceof ArrayBuffer &&
          value.byteOffset === 0 &&
          value.byteLength === value.buffer.byteLength
        ) {
          buffers.add(value.buffer);
        }
      }
    }
  }
  return [...buffers];
}

function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { kind: 'error', name: 'Error', message: String(err), props: {} };
  const props: Record<string, string | number | boolean | bigint | null | undefined> = {};
  for (const [key, value] of Object.entries(err)) {
    if (LOCAL_ERROR_PROPS.has(key)) continue;
    if (value === null || ['string', 'number', 'boolean', 'bigint', 'undefined'].includes(typeof value)) props[key] = value as never;
  }
  const kind = err instanceof TransactionAbortedError ? 'aborted' : err instanceof messages.DatabaseError ? 'database' : 'error';
  return { kind, name: err.name, message: err.message, stack: err.stack, props };
}
