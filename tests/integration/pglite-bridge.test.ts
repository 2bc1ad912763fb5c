/**
 * PGlite in a worker thread (server/store/pglite-bridge.ts) against
 * in-process PGlite: same answers to what drizzle sends, transactions,
 * priority lanes, a free main thread, the worker's life cycle, loading under
 * tsx, and the DATA_DIR lock (server/store/data-dir-lock.ts).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { messages, PGlite, TransactionAbortedError, type QueryOptions, type Results } from '@electric-sql/pglite';
import { eq, sql } from 'drizzle-orm';
import { bigint, customType, integer, jsonb, numeric, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { drizzle, type PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { DataDirInUseError, LOCK_FILE, lockDataDir } from '../../server/store/data-dir-lock.ts';
import { openPgliteWorker, withDbPriority, type PgliteBridge } from '../../server/store/pglite-bridge.ts';
import { timeBlocking } from '../helpers/blocking.ts';
import { tempDir } from '../helpers/databases.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const MIGRATIONS = path.join(REPO, 'migrations');
const BRIDGE_URL = pathToFileURL(path.join(REPO, 'server/store/pglite-bridge.ts')).href;
const LOCK_URL = pathToFileURL(path.join(REPO, 'server/store/data-dir-lock.ts')).href;
const run = promisify(execFile);

const bytea = customType<{ data: Uint8Array }>({ dataType: () => 'bytea' });
const probes = pgTable('bridge_probes', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  payload: bytea('payload'),
  doc: jsonb('doc'),
  at: timestamp('at', { withTimezone: true, mode: 'string' }),
  atDate: timestamp('at_date', { withTimezone: true, precision: 3, mode: 'date' }),
  amount: numeric('amount'),
  tags: integer('tags').array(),
  big: bigint('big', { mode: 'number' }),
});
const PROBES_DDL = `CREATE TABLE bridge_probes (
  id serial PRIMARY KEY, name text NOT NULL UNIQUE, payload bytea, doc jsonb, at timestamptz, at_date timestamptz(3),
  amount numeric, tags integer[], big bigint)`;
const DEFERRED_DDL = 'CREATE TABLE bridge_deferred (k int, CONSTRAINT bridge_deferred_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)';
const heavySql = (n: number) => `SELECT count(*)::int AS n FROM generate_series(1, ${n})`;

type Client = PGlite | PgliteBridge;
type Db = PgliteDatabase<Record<string, never>>;

/** Resolves once the worker thread's `exit` event has been emitted (its threadId is -1 from then on). */
async function workerGone(worker: PgliteBridge['worker']): Promise<void> {
  if (worker.threadId !== -1) await once(worker, 'exit');
  assert.equal(worker.threadId, -1);
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof Error, 'rejects with an Error');
    return err;
  }
  assert.fail('expected a rejection');
}

/** An error's own properties plus message and name, without the stack (which differs by thread). */
function describeError(err: Error): Record<string, unknown> {
  const { stack: _stack, ...own } = Object.fromEntries(Object.entries(err));
  return { ...own, message: err.message, name: err.name, class: err.constructor };
}

describe('PGlite bridge', () => {
  const tmp = tempDir('glasswatch-bridge-');
  const dataDir = path.join(tmp.dir, 'pglite');
  let bridge: PgliteBridge;
  let local: PGlite;
  let viaBridge: Db;
  let inProcess: Db;
  /** drizzle's own query options (identity parsers for timestamps, dates, intervals, numeric[]…), from a prepared query. */
  let drizzleObjectMode: QueryOptions;
  let drizzleArrayMode: QueryOptions;

  before(async () => {
    [bridge, local] = await Promise.all([openPgliteWorker({ dataDir }), PGlite.create()]);
    viaBridge = drizzle(bridge as unknown as PGlite);
    inProcess = drizzle(local);
    const prepared = inProcess.select().from(probes).prepare('options') as unknown as { queryConfig: QueryOptions; rawQueryConfig: QueryOptions };
    drizzleObjectMode = prepared.rawQueryConfig;
    drizzleArrayMode = prepared.queryConfig;
  });
  after(async () => {
    await Promise.all([bridge.close(), local.close()]);
    tmp.remove();
  });

  async function both<T>(fn: (client: Client, db: Db) => Promise<T>): Promise<[T, T]> {
    return [await fn(bridge, viaBridge), await fn(local, inProcess)];
  }

  it("applies the repo's migrations with drizzle's pglite migrator, once", async () => {
    const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    for (let pass = 0; pass < 2; pass++) {
      const [a, b] = await both(async (client, db) => {
        await migrate(db, { migrationsFolder: MIGRATIONS });
        const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations');
        const tables = await client.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
        return { applied: rows[0]!.n, tables: tables.rows.map((r) => r.t) };
      });
      assert.equal(a.applied, journal.entries.length);
      assert.ok(a.tables.includes('samples') && a.tables.includes('alerts'), `tables: ${a.tables.join(', ')}`);
      assert.deepEqual(a, b);
    }
    await both((client) => client.exec(`${PROBES_DDL}; ${DEFERRED_DDL}`));
  });

  it('returns the same rows, fields and affectedRows as in-process PGlite for what drizzle sends', async () => {
    const payload = new Uint8Array([0, 1, 2, 250, 255]);
    const insert = `INSERT INTO bridge_probes (name, payload, doc, at, at_date, amount, tags, big)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`;
    const params = ['raw', payload, JSON.stringify({ a: [1, 'x'], b: null }), '2026-01-02T03:04:05.678Z', '2026-01-02 03:04:05.678+00', '12.50', [1, 2, 3], 9007199254740991];
    for (const options of [drizzleObjectMode, drizzleArrayMode]) {
      const [a, b] = await both(async (client) => {
        const inserted = await client.query(insert, [`${options.rowMode}-${params[0]}`, ...params.slice(1)], options);
        const selected = await client.query('SELECT *, now() - now() AS zero, current_date - current_date AS days FROM bridge_probes WHERE name = $1', [`${options.rowMode}-raw`], options);
        const updated = await client.query('UPDATE bridge_probes SET amount = amount + 1 WHERE name LIKE $1', ['%-raw'], options);
        const none = await client.query('DELETE FROM bridge_probes WHERE name = $1', ['nobody'], options);
        return { inserted, selected, updated, none };
      });
      assert.deepEqual(a, b);
      assert.ok(a.selected.fields.length >= 9);
      assert.equal(a.updated.affectedRows, options.rowMode === 'object' ? 1 : 2);
      assert.equal(a.none.affectedRows, 0);
      const row = options.rowMode === 'object' ? (a.selected.rows[0] as Record<string, unknown>) : Object.fromEntries(a.selected.fields.map((f, i) => [f.name, (a.selected.rows[0] as unknown as unknown[])[i]]));
      assert.ok(row.payload instanceof Uint8Array, 'bytea is a Uint8Array');
      assert.deepEqual([...row.payload], [...payload]);
      assert.deepEqual(row.doc, { a: [1, 'x'], b: null });
      assert.equal(typeof row.at, 'string', 'timestamps stay strings (drizzle parses them itself)');
      assert.equal(row.big, 9007199254740991);
      assert.deepEqual(row.tags, [1, 2, 3]);
    }
  });

  it('gives drizzle query-builder results equal to in-process PGlite, large bytea included', async () => {
    const big = new Uint8Array(1 << 20).map((_, i) => (i * 7) % 256);
    const [a, b] = await both(async (_client, db) => {
      const inserted = await db
        .insert(probes)
        .values([
          { name: 'orm-1', payload: big, doc: { nested: { ok: true } }, at: '2026-03-04 05:06:07.891+00', atDate: new Date('2026-03-04T05:06:07.891Z'), amount: '1.25', tags: [4, 5], big: 42 },
          { name: 'orm-2', doc: [1, 2], at: null },
        ])
        .returning();
      const selected = await db.select().from(probes).where(eq(probes.name, 'orm-1'));
      const partial = await db.select({ id: probes.id, doc: probes.doc, when: probes.atDate }).from(probes).where(eq(probes.name, 'orm-2'));
      const updated = await db.update(probes).set({ amount: '2' }).where(sql`${probes.name} LIKE 'orm-%'`).returning({ name: probes.name, amount: probes.amount });
      const counted = await db.$count(probes);
      const executed = await db.execute(sql`SELECT name, at FROM ${probes} WHERE name = 'orm-1'`);
      return { inserted, selected, partial, updated, counted, executed };
    });
    assert.deepEqual(a, b);
    const row = a.selected[0]!;
    assert.ok(row.payload instanceof Uint8Array && row.payload.byteLength === big.byteLength);
    assert.ok(row.payload.every((v, i) => v === big[i]), 'the 1 MiB bytea comes back byte for byte');
    assert.ok(row.atDate instanceof Date && row.atDate.toISOString() === '2026-03-04T05:06:07.891Z');
    assert.equal(a.updated.length, 2);
  });

  it('runs several statements with exec and answers one result per statement', async () => {
    const [a, b] = await both((client) =>
      client.exec(`INSERT INTO bridge_probes (name) VALUES ('exec-1'), ('exec-2'); SELECT name FROM bridge_probes WHERE name LIKE 'exec-%' ORDER BY name; SELECT '{"k":1}'::jsonb AS j`),
    );
    assert.deepEqual(a, b);
    assert.equal(a.length, 3);
    assert.equal(a[0]!.affectedRows, 2);
    assert.deepEqual(a[1]!.rows, [{ name: 'exec-1' }, { name: 'exec-2' }]);
    assert.deepEqual(a[2]!.rows, [{ j: { k: 1 } }]);
  });

  it("rethrows PGlite's errors in the main thread with their class and properties", async () => {
    const dup = `INSERT INTO bridge_probes (name) VALUES ($1)`;
    const [a, b] = await both((client) => rejection(client.query(dup, ['orm-1'], drizzleObjectMode)));
    assert.equal((a as { code?: string }).code, '23505');
    assert.ok(a instanceof messages.DatabaseError);
    assert.deepEqual(describeError(a), describeError(b));
    assert.equal((a as { constraint?: string }).constraint, 'bridge_probes_name_key');
    assert.match(String((a as { detail?: string }).detail), /Key \(name\)=\(orm-1\) already exists/);
    assert.equal((a as { severity?: string }).severity, 'ERROR');
    assert.equal((a as { table?: string }).table, 'bridge_probes');
    assert.equal((a as { queryOptions?: unknown }).queryOptions, drizzleObjectMode, 'the caller’s own options object, as in-process');

    const [c, d] = await both((client) => rejection(client.exec('SELECT nope FROM bridge_probes')));
    assert.equal((c as { code?: string }).code, '42703');
    assert.deepEqual(describeError(c), describeError(d));

    // Through drizzle: its DrizzleQueryError wraps the same PGlite error.
    const [e, f] = await both((_client, db) => rejection(db.insert(probes).values({ name: 'orm-2' })));
    assert.equal((e.cause as { code?: string }).code, '23505');
    // Each drizzle instance builds its own options (same keys, its own parser functions).
    const { queryOptions: mine, ...bridged } = describeError(e.cause as Error) as { queryOptions: QueryOptions };
    const { queryOptions: theirs, ...inline } = describeError(f.cause as Error) as { queryOptions: QueryOptions };
    assert.deepEqual(bridged, inline);
    assert.equal(mine.rowMode, theirs.rowMode);
    assert.deepEqual(Object.keys(mine.parsers!), Object.keys(theirs.parsers!));
  });

  it('refuses query options that cannot cross threads instead of ignoring them', async () => {
    await assert.rejects(bridge.query('SELECT 1', [], { parsers: { 23: (v: string) => Number(v) * 2 } }), /only supports identity parsers/);
    await assert.rejects(bridge.query('SELECT 1', [], { serializers: { 23: String } }), /cannot send the query option "serializers"/);
    await assert.rejects(bridge.query('SELECT $1::text', [() => 1]), (err: Error) => err.name === 'DataCloneError');
    assert.deepEqual((await bridge.query('SELECT 1 AS one')).rows, [{ one: 1 }], 'still serving afterwards');
  });

  describe('transactions', () => {
    const names = async (pattern: string) =>
      (await bridge.query<{ name: string }>('SELECT name FROM bridge_probes WHERE name LIKE $1 ORDER BY name', [pattern])).rows.map((r) => r.name);

    it('commits what the callback did and returns its value', async () => {
      const value = await bridge.transaction(async (tx) => {
        await tx.query(`INSERT INTO bridge_probes (name) VALUES ('tx-commit-1')`);
        await tx.exec(`INSERT INTO bridge_probes (name) VALUES ('tx-commit-2')`);
        return (await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM bridge_probes WHERE name LIKE 'tx-commit-%'`)).rows[0]!.n;
      });
      assert.equal(value, 2);
      assert.deepEqual(await names('tx-commit-%'), ['tx-commit-1', 'tx-commit-2']);
    });

    it('rolls back when the callback throws and rethrows that same error', async () => {
      const thrown = new Error('callback failed');
      const err = await rejection(
        bridge.transaction(async (tx) => {
          await tx.query(`INSERT INTO bridge_probes (name) VALUES ('tx-throw')`);
          throw thrown;
        }),
      );
      assert.equal(err, thrown);
      assert.deepEqual(await names('tx-throw'), []);
    });

    it('rolls back on tx.rollback(), then refuses further queries on that transaction', async () => {
      let tx!: { closed: boolean; query(sql: string): Promise<unknown> };
      const value = await bridge.transaction(async (t) => {
        tx = t;
        await t.query(`INSERT INTO bridge_probes (name) VALUES ('tx-rollback')`);
        await t.rollback();
        return 'done';
      });
      assert.equal(value, 'done');
      assert.equal(tx.closed, true);
      await assert.rejects(tx.query('SELECT 1'), /Transaction is closed/);
      assert.deepEqual(await names('tx-rollback'), []);
    });

    it("supports drizzle's nested transactions (savepoints) and its rollback()", async () => {
      await viaBridge.transaction(async (tx) => {
        await tx.insert(probes).values({ name: 'nest-outer' });
        await assert.rejects(
          tx.transaction(async (inner) => {
            await inner.insert(probes).values({ name: 'nest-undone' });
            throw new Error('inner fails');
          }),
          /inner fails/,
        );
        await tx.transaction(async (inner) => {
          await inner.insert(probes).values({ name: 'nest-kept' });
          await inner.transaction(async (deeper) => {
            await deeper.insert(probes).values({ name: 'nest-kept-deeper' });
          });
        });
      });
      assert.deepEqual(await names('nest-%'), ['nest-kept', 'nest-kept-deeper', 'nest-outer']);
      await assert.rejects(
        viaBridge.transaction(async (tx) => {
          await tx.insert(probes).values({ name: 'nest-rolled-back' });
          tx.rollback();
        }),
        (err: Error) => err.name === 'TransactionRollbackError' || err.constructor.name === 'TransactionRollbackError',
      );
      assert.deepEqual(await names('nest-rolled%'), []);
    });

    it('propagates a failing COMMIT: a deferred constraint, and an aborted transaction', async () => {
      const [a, b] = await both((client) =>
        rejection(
          client.transaction(async (tx) => {
            await tx.query('INSERT INTO bridge_deferred VALUES (1), (1)');
          }),
        ),
      );
      assert.equal((a as { code?: string }).code, '23505');
      assert.equal((a as { constraint?: string }).constraint, 'bridge_deferred_k');
      assert.deepEqual(describeError(a), describeError(b));

      const [c, d] = await both((client) =>
        rejection(
          client.transaction(async (tx) => {
            await tx.query('INSERT INTO bridge_deferred VALUES (2)');
            await tx.query('SELECT nope').catch(() => 'swallowed');
            return 'looks fine';
          }),
        ),
      );
      assert.ok(c instanceof TransactionAbortedError);
      assert.equal((c as { code?: string }).code, '25P02');
      assert.deepEqual(describeError(c), describeError(d));
      assert.deepEqual((await bridge.query('SELECT * FROM bridge_deferred')).rows, []);
    });

    it('holds queries issued outside an open transaction until it ends, never inside it', async () => {
      let outside: Promise<unknown> | undefined;
      const order: string[] = [];
      await assert.rejects(
        bridge.transaction(async (tx) => {
          await tx.query(`INSERT INTO bridge_probes (name) VALUES ('tx-doomed')`);
          outside = bridge.query(`INSERT INTO bridge_probes (name) VALUES ('tx-outside')`).then(() => order.push('outside'));
          // Held in the bridge's queue, not sent to the worker (which would answer it before the next
          // query of the transaction: it runs requests in order).
          assert.equal(bridge.queued.system, 1, 'the outside query is not waiting in the queue');
          for (let i = 0; i < 10; i++) await tx.query('SELECT 1'); // the transaction's own queries do not wait behind it
          assert.equal(bridge.queued.system, 1, 'the outside query left the queue while the transaction was open');
          order.push('callback');
          throw new Error('abort');
        }),
        /abort/,
      );
      await outside;
      assert.deepEqual(order, ['callback', 'outside']);
      assert.deepEqual(await names('tx-doomed'), []);
      // Had it joined the transaction, the rollback would have undone it too.
      assert.deepEqual(await names('tx-outside'), ['tx-outside']);
    });

    it("runs a transaction's own queries at once while a flood of outside queries waits", async () => {
      const done: string[] = [];
      let flood: Promise<number>[] = [];
      await withDbPriority('request', () =>
        bridge.transaction(async (tx) => {
          await tx.query(`INSERT INTO bridge_probes (name) VALUES ('tx-flooded')`);
          flood = Array.from({ length: 200 }, () =>
            bridge.query<{ n: number }>(`SELECT count(*)::int AS n FROM bridge_probes WHERE name = 'tx-flooded'`).then((r) => {
              done.push('outside');
              return r.rows[0]!.n;
            }),
          );
          assert.equal(bridge.queued.request, 200);
          for (let i = 0; i < 20; i++) await tx.query('SELECT 1');
          done.push('transaction');
        }),
      );
      const counts = await Promise.all(flood);
      assert.equal(done[0], 'transaction');
      assert.deepEqual(new Set(counts), new Set([1]), 'every outside query saw the committed row');
    });
  });

  describe('priority lanes', () => {
    async function positionAmongFlood(lane: 'system' | 'request') {
      const order: string[] = [];
      const flood = Array.from({ length: 500 }, (_, i) =>
        withDbPriority('request', () => bridge.query(heavySql(5000)).then(() => order.push(`request ${i}`))),
      );
      const urgent = withDbPriority(lane, () => bridge.query('SELECT 1').then(() => order.push('urgent')));
      await Promise.all([...flood, urgent]);
      return order.indexOf('urgent');
    }

    it('answers a system query issued during a flood of 500 request-lane queries before most of them', async () => {
      const position = await positionAmongFlood('system');
      assert.ok(position < 10, `the system query finished after ${position} of 500 request queries`);
    });

    it('queues request-lane work in order (control: the same query in the request lane waits for the flood)', async () => {
      const position = await positionAmongFlood('request');
      assert.ok(position >= 490, `position ${position}`);
    });

    it("defaults to the system lane and keeps each caller's lane across awaits", async () => {
      const order: string[] = [];
      const blocker = bridge.query(heavySql(2_000_000)); // keeps the worker busy while the rest queues
      const second = bridge.query(heavySql(2_000_000));
      const flood = withDbPriority('request', async () => {
        await Promise.resolve();
        await Promise.all(Array.from({ length: 20 }, () => bridge.query('SELECT 1').then(() => order.push('request'))));
      });
      const system = (async () => {
        await Promise.resolve();
        await bridge.query('SELECT 1');
        order.push('default');
      })();
      await new Promise((resolve) => setImmediate(resolve)); // both callers are past their first await
      assert.equal(bridge.queued.system, 1);
      assert.equal(bridge.queued.request, 20);
      await Promise.all([blocker, second, flood, system]);
      assert.equal(order[0], 'default');
    });
  });

  it('keeps the main thread free while a heavy query runs (the same query in-process blocks it)', async (t) => {
    // Scale the query to this machine: it must take well over the 40 ms bound for the test to mean anything.
    let n = 1_000_000;
    let ms = 0;
    for (; n <= 64_000_000; n *= 2) {
      const start = performance.now();
      await bridge.query(heavySql(n));
      ms = performance.now() - start;
      if (ms >= 200) break;
    }
    // Blocking by the bridge would show in every run; a busy machine (other processes on these 2 cores) only
    // delays some timer runs: so the quietest of up to three runs is the figure.
    const runs: { ms: number; blockedMs: number; value: Results<{ n: number }> }[] = [];
    do runs.push(await timeBlocking(() => bridge.query<{ n: number }>(heavySql(n))));
    while (runs.length < 3 && runs.at(-1)!.blockedMs >= 40);
    const worker = runs.reduce((a, b) => (b.blockedMs < a.blockedMs ? b : a));
    const inline = await timeBlocking(() => local.query<{ n: number }>(heavySql(n)));
    const gaps = runs.map((r) => r.blockedMs.toFixed(1)).join(', ');
    t.diagnostic(`n=${n}: bridge ${worker.ms.toFixed(0)} ms, longest main-thread gap ${gaps} ms; in-process ${inline.ms.toFixed(0)} ms, gap ${inline.blockedMs.toFixed(1)} ms`);
    assert.equal(worker.value.rows[0]!.n, n);
    assert.ok(worker.ms > 150, `the heavy query took ${worker.ms} ms`);
    assert.ok(worker.blockedMs < 40, `main thread blocked ${worker.blockedMs} ms`);
    // The probe does see blocking: in-process the loop stalls for most of the query.
    assert.ok(inline.blockedMs > inline.ms / 2, `in-process gap ${inline.blockedMs} ms of ${inline.ms} ms`);
  });

  describe('life cycle', () => {
    /** A copy of the closed database, so crash tests never touch the original. */
    function copyOfDatabase(name: string): string {
      const dir = path.join(tmp.dir, name);
      fs.cpSync(dataDir, dir, { recursive: true });
      return dir;
    }

    it('closes PGlite cleanly: the data is there after reopening, and the closed bridge refuses work', async () => {
      await bridge.query(`INSERT INTO bridge_probes (name, doc) VALUES ('survivor', '{"kept": true}')`);
      const waiting = withDbPriority('request', () => bridge.query(`SELECT count(*)::int AS n FROM bridge_probes`));
      await bridge.close();
      assert.ok((await waiting).rows.length === 1, 'work queued before close() still ran');
      assert.equal(bridge.closed, true);
      await assert.rejects(bridge.query('SELECT 1'), /PGlite bridge is closed/);
      await bridge.close(); // twice is fine

      bridge = await openPgliteWorker({ dataDir });
      viaBridge = drizzle(bridge as unknown as PGlite);
      const rows = await viaBridge.select({ doc: probes.doc }).from(probes).where(eq(probes.name, 'survivor'));
      assert.deepEqual(rows, [{ doc: { kept: true } }]);
      await bridge.close();
    });

    it('rejects every pending and later request when the worker dies, and reports it once', async () => {
      const crashes: Error[] = [];
      const doomed = await openPgliteWorker({ dataDir: copyOfDatabase('crash-terminate'), onCrash: (err) => crashes.push(err) });
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const transaction = doomed.transaction(async (tx) => {
        await tx.query('SELECT 1');
        entered();
        await tx.query(heavySql(50_000_000));
      });
      await inside;
      const waiting = [doomed.query('SELECT 1'), withDbPriority('request', () => doomed.exec('SELECT 2')), doomed.transaction(async () => 'never')];
      assert.equal(doomed.queued.system + doomed.queued.request, 3);
      await doomed.worker.terminate();
      for (const outcome of await Promise.allSettled([transaction, ...waiting])) {
        assert.equal(outcome.status, 'rejected');
        assert.match(String((outcome as PromiseRejectedResult).reason), /PGlite worker thread stopped unexpectedly \(exit code 1\)/);
      }
      await assert.rejects(doomed.query('SELECT 1'), /stopped unexpectedly/);
      await workerGone(doomed.worker); // no event can follow: a second report would have come by now
      assert.equal(crashes.length, 1);
      assert.match(crashes[0]!.message, /stopped unexpectedly/);
      assert.equal(doomed.closed, true);
      await doomed.close(); // nothing left to close; resolves
    });

    it('reports an error thrown in the worker thread with its message', async () => {
      const crashes: Error[] = [];
      const doomed = await openPgliteWorker({ dataDir: copyOfDatabase('crash-throw'), onCrash: (err) => crashes.push(err) });
      let entered!: () => void;
      let release!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const hold = new Promise<void>((resolve) => (release = resolve));
      const transaction = doomed.transaction(async (tx) => {
        await tx.query('SELECT 1');
        entered();
        await hold;
      });
      await inside;
      const queued = doomed.query('SELECT 1');
      doomed.worker.postMessage(null); // not a request: the worker's handler throws outside any reply
      const err = await rejection(queued);
      assert.match(err.message, /stopped unexpectedly \(exit code 1\): Cannot read properties of null/);
      release();
      assert.equal(await rejection(transaction), err, 'its COMMIT cannot happen either');
      await workerGone(doomed.worker); // no event can follow: a second report would have come by now
      assert.equal(crashes.length, 1);
      assert.equal(crashes[0], err);
    });

    it('rejects openPgliteWorker when PGlite cannot start on the data dir', async () => {
      const file = path.join(tmp.dir, 'a-file');
      fs.writeFileSync(file, 'not a directory');
      const crashes: Error[] = [];
      const err = await rejection(openPgliteWorker({ dataDir: path.join(file, 'pglite'), onCrash: (e) => crashes.push(e) }));
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOTDIR');
      assert.equal(crashes.length, 0, 'a failed start is not a crash');
    });
  });

  describe('loading the TypeScript worker', () => {
    const script = path.join(tmp.dir, 'open-bridge.mts');
    before(() => {
      fs.writeFileSync(
        script,
        `import { openPgliteWorker } from ${JSON.stringify(BRIDGE_URL)};
const bridge = await openPgliteWorker({ dataDir: process.argv[2]! });
const { rows } = await bridge.query('SELECT 40 + 2 AS answer');
await bridge.close();
console.log(JSON.stringify({ answer: rows[0]!.answer, execArgv: process.execArgv }));
`,
      );
    });

    it('works when the parent runs under node --import tsx', async () => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script, dataDir], { cwd: REPO });
      const out = JSON.parse(stdout) as { answer: number; execArgv: string[] };
      assert.equal(out.answer, 42);
      assert.deepEqual(out.execArgv, ['--import', 'tsx']);
    });

    it('works when the parent runs under the tsx CLI', async () => {
      const { stdout } = await run(path.join(REPO, 'node_modules/.bin/tsx'), [script, dataDir], { cwd: REPO });
      const out = JSON.parse(stdout) as { answer: number; execArgv: string[] };
      assert.equal(out.answer, 42);
      assert.ok(out.execArgv.some((a) => a.includes('tsx/dist/loader')), `execArgv ${out.execArgv.join(' ')}`);
    });
  });
});

describe('data dir lock', () => {
  const tmp = tempDir('glasswatch-lock-');
  const holderScript = path.join(tmp.dir, 'hold-lock.mts');
  after(() => tmp.remove());
  before(() => {
    fs.writeFileSync(
      holderScript,
      `import { lockDataDir } from ${JSON.stringify(LOCK_URL)};
lockDataDir(process.argv[2]!);
console.log('locked');
if (process.argv[3] === 'exit') process.exit(0);
setInterval(() => {}, 1000);
`,
    );
  });

  async function startHolder(dir: string, mode: 'hold' | 'exit') {
    const child = spawn(process.execPath, ['--import', 'tsx', holderScript, dir, mode], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(child, 'exit') as Promise<[number | null]>;
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    assert.equal(chunk.toString().trim(), 'locked');
    return { child, exited };
  }

  it('writes our pid into the lock file and removes it on release', () => {
    const dir = path.join(tmp.dir, 'own');
    const lock = lockDataDir(dir);
    assert.equal(lock.path, path.join(dir, LOCK_FILE));
    assert.equal(JSON.parse(fs.readFileSync(lock.path, 'utf8')).pid, process.pid);
    assert.throws(() => lockDataDir(dir), DataDirInUseError, 'a second open in the same process is refused too');
    lock.release();
    assert.equal(fs.existsSync(lock.path), false);
    lockDataDir(dir).release();
  });

  it('refuses a second glasswatch process, naming the pid that holds the lock; takes over once it is gone', async () => {
    const dir = path.join(tmp.dir, 'shared');
    const { child: holder, exited } = await startHolder(dir, 'hold');
    try {
      assert.throws(
        () => lockDataDir(dir),
        (err: Error) =>
          err instanceof DataDirInUseError &&
          err.owner.pid === holder.pid &&
          err.message.startsWith(`${dir} is used by glasswatch process ${holder.pid}; PGlite is single-process: use PostgreSQL (DATABASE_URL) to run several nodes`),
      );
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')).pid, holder.pid, 'a killed process leaves its lock behind');
    const lock = lockDataDir(dir);
    assert.equal(JSON.parse(fs.readFileSync(lock.path, 'utf8')).pid, process.pid);
    lock.release();
  });

  it('is released when the holding process exits normally', async () => {
    const dir = path.join(tmp.dir, 'exits');
    const { exited } = await startHolder(dir, 'exit');
    const [code] = await exited;
    assert.equal(code, 0);
    assert.equal(fs.existsSync(path.join(dir, LOCK_FILE)), false);
  });

  it("refuses a lock held on another host (its process can't be checked from here)", () => {
    const dir = path.join(tmp.dir, 'remote');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ pid: 1234, hostname: 'elsewhere.example' }));
    assert.throws(() => lockDataDir(dir), /is used by glasswatch process 1234 on host elsewhere\.example; PGlite is single-process/);
  });
});
