/**
 * The sample store on both drivers: the head and its idempotent writes,
 * sealing into compact blocks (exact round trip, late and re-delivered
 * samples merged once), history from every tier, hourly rollups, retention,
 * and the migration that converts a store of the previous layout.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { loadHostRegistry, type HostRegistry } from '../../server/fleet/hosts.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { readRaw, sealHead } from '../../server/store/blocks.ts';
import { MIGRATIONS_DIR, openDatabase, queryRows, type Database } from '../../server/store/db.ts';
import { queryHistory, readStoredSamples, recentEvents } from '../../server/store/history.ts';
import { applyRetention, maintain, retentionPolicy, rollupHours, type StoreContext } from '../../server/store/maintenance.ts';
import { loadMetricCatalog, type MetricCatalog } from '../../server/store/metric-catalog.ts';
import { insertSamples, toRows } from '../../server/store/samples.ts';
import { createSampleWriter } from '../../server/store/writer.ts';
import { BUILTIN_METRICS, isBuiltinMetric, METRICS, type MetricDef } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import { describeEachDatabase, tempDir } from '../helpers/databases.ts';
import { createTempDatabase, postgresSkipReason } from '../helpers/postgres.ts';

setLogLevel('silent');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// A fixed, hour-aligned origin well inside every retention window used below.
const T0 = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;

/** Values like a host's: decimals, integers, a float, jitter in the timestamps. */
function tick(host: string, s: number, from = T0): MetricsEvent {
  return {
    host,
    ts: from + s * 1000 + (s % 3),
    values: {
      'cpu.usage_percent': ((s * 7) % 1000) / 10,
      'memory.available_mb': 20_000 - (s % 50),
      'cpu.load_1m': 0.1 + 0.2 * (s % 5),
      'disk.usage_percent': s % 600 < 300 ? 81.5 : 96.2,
    },
  };
}

describeEachDatabase('sample store', (target) => {
  let database: Database;
  let catalog: MetricCatalog;
  let hosts: HostRegistry;
  let ctx: StoreContext;
  let hostId: number;
  const ids = () => ({ hostId: hosts.anyId, metricId: catalog.id });
  const write = async (events: MetricsEvent[]) => insertSamples(database.db, toRows(events, ids()).rows);
  const cpuId = () => catalog.id('cpu.usage_percent')!;

  before(async () => {
    database = await target().open();
    catalog = await loadMetricCatalog(database.db);
    hosts = await loadHostRegistry(database.db, { intervalMs: 1000 });
    hostId = await hosts.ensure('db-host', 'server', 1000);
    ctx = {
      thresholds: (id) => {
        const name = catalog.name(id);
        const def: MetricDef | undefined = name && isBuiltinMetric(name) ? METRICS[name] : undefined;
        return def && { warning: def.warning, critical: def.critical };
      },
      intervalMsOf: hosts.intervalMsOf,
    };
  });
  after(() => database.close());

  it('applies the migrations and registers every built-in metric once', async () => {
    const again = await loadMetricCatalog(database.db);
    for (const name of BUILTIN_METRICS) assert.equal(again.id(name), catalog.id(name));
    const [row] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM metrics`);
    assert.equal(row!.n, BUILTIN_METRICS.length);
  });

  it('registers a metric found at run time once, with its unit and help', async () => {
    const first = await catalog.ensure([{ name: 'erp_http_requests_total:rate', kind: 'counter', unit: '/s', help: 'HTTP requests' }]);
    const again = await (await loadMetricCatalog(database.db)).ensure([{ name: 'erp_http_requests_total:rate', kind: 'counter' }]);
    assert.equal(first.get('erp_http_requests_total:rate'), again.get('erp_http_requests_total:rate'));
    assert.deepEqual(
      (({ kind, unit, help, builtin }) => ({ kind, unit, help, builtin }))(catalog.info('erp_http_requests_total:rate')!),
      { kind: 'counter', unit: '/s', help: 'HTTP requests', builtin: false },
    );
  });

  it('writes ticks into the head, skipping nulls and non-finite values, and a second write of the same samples stores nothing', async () => {
    const e: MetricsEvent = { host: 'db-host', ts: T0 - DAY, values: { 'cpu.count': 8, 'memory.usage_percent': null, 'disk.free_gb': Number.NaN, 'cpu.load_1m': 0.25 } };
    assert.equal(await write([e]), 2);
    await write([e, e]);
    const stored = await readStoredSamples(database.db, { host: 'db-host', metric: 'cpu.count', fromMs: T0 - DAY - 1, toMs: T0 - DAY + 1 });
    assert.deepEqual(stored, { ts: [T0 - DAY], values: [8] });
    const reloaded = await loadHostRegistry(database.db, { intervalMs: 1000 });
    assert.equal(reloaded.list().find((h) => h.name === 'db-host')!.lastSeen, T0 - DAY);
  });

  it('seals the head into one block per series and minute, and gives every value back exactly', async () => {
    const events = Array.from({ length: 600 }, (_, s) => tick('db-host', s));
    await write(events);
    const before = await readRaw(database.db, { hostId, fromMs: T0, toMs: T0 + 10 * MIN });
    const sealed = await sealHead(database.db, { beforeMs: T0 + 10 * MIN, thresholds: ctx.thresholds, intervalMsOf: ctx.intervalMsOf, chunkRows: 700 });
    assert.equal(sealed.samples, 2400 + 2, 'the 10 minutes plus the older tick');
    const [counts] = await queryRows<{ head: number; blocks: number }>(database.db, sql`
      SELECT (SELECT count(*)::int FROM samples WHERE host_id = ${hostId}) AS head,
             (SELECT count(*)::int FROM sample_blocks WHERE host_id = ${hostId} AND start >= to_timestamp(${T0 / 1000})) AS blocks`);
    assert.deepEqual(counts, { head: 0, blocks: 40 });
    const after = await readRaw(database.db, { hostId, fromMs: T0, toMs: T0 + 10 * MIN });
    for (const name of ['cpu.usage_percent', 'memory.available_mb', 'cpu.load_1m', 'disk.usage_percent']) {
      const id = catalog.id(name)!;
      assert.deepEqual(Array.from(after.get(id)!.ts), events.map((e) => e.ts), name);
      assert.deepEqual(Array.from(after.get(id)!.values), events.map((e) => e.values[name]), name);
      assert.deepEqual(after.get(id), before.get(id), `${name} differs after sealing`);
    }
  });

  it('keeps the minute aggregates beside the samples, with the time in Warning and Critical', async () => {
    const [row] = await queryRows<{ n: number; min: number; max: number; sum: number; warn: number; crit: number }>(database.db, sql`
      SELECT n, min, max, sum, warn_seconds AS warn, crit_seconds AS crit FROM sample_blocks
      WHERE host_id = ${hostId} AND metric_id = ${catalog.id('disk.usage_percent')!} AND start = to_timestamp(${(T0 + 5 * MIN) / 1000})`);
    // Minute 5: seconds 300–359, disk at 96.2 (critical ≥ 95).
    assert.deepEqual([row!.n, row!.min, row!.max], [60, 96.2, 96.2]);
    assert.ok(Math.abs(row!.sum - 96.2 * 60) < 1e-9, `sum ${row!.sum}`);
    assert.equal(row!.warn, 0);
    assert.ok(Math.abs(row!.crit - 60) < 0.01, `${row!.crit} s in Critical`);
    const [warnMinute] = await queryRows<{ warn: number; crit: number }>(database.db, sql`
      SELECT warn_seconds AS warn, crit_seconds AS crit FROM sample_blocks
      WHERE host_id = ${hostId} AND metric_id = ${catalog.id('disk.usage_percent')!} AND start = to_timestamp(${T0 / 1000})`);
    assert.equal(warnMinute!.crit, 0);
    assert.ok(Math.abs(warnMinute!.warn - 60) < 0.01, `${warnMinute!.warn} s in Warning`);
  });

  it('answers history from blocks exactly as it did from the head, at every step', async () => {
    const host = 'hist-host';
    const id = await hosts.ensure(host, 'agent', 1000);
    const events = Array.from({ length: 2 * 3600 }, (_, s) => tick(host, s, T0 + HOUR));
    await write(events);
    const ranges = [
      { fromMs: T0 + HOUR, toMs: T0 + HOUR + 10 * MIN, points: 600 }, // raw buckets of 1 s
      { fromMs: T0 + HOUR, toMs: T0 + 3 * HOUR - 1, points: 60 }, // 2-minute buckets
      { fromMs: T0 + HOUR + 17_000, toMs: T0 + 3 * HOUR - 1, points: 7 },
    ];
    const fromHead = await Promise.all(ranges.map((r) => queryHistory(database.db, { hostId: id, metricId: cpuId(), ...r })));
    await maintain(database.db, ctx, retentionPolicy(30), T0 + 3 * HOUR + 2 * MIN, false);
    const [head] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM samples WHERE host_id = ${id}`);
    assert.equal(head!.n, 0, 'everything sealed');
    const fromBlocks = await Promise.all(ranges.map((r) => queryHistory(database.db, { hostId: id, metricId: cpuId(), ...r })));
    for (let i = 0; i < ranges.length; i++) {
      assert.ok(fromHead[i]!.points.length > 0);
      assert.equal(fromBlocks[i]!.points.length, fromHead[i]!.points.length);
      fromBlocks[i]!.points.forEach((p, k) => {
        const q = fromHead[i]!.points[k]!;
        assert.deepEqual([p[0], p[1], p[3]], [q[0], q[1], q[3]], `range ${i} bucket ${k}`);
        assert.ok(Math.abs(p[2]! - q[2]!) < 1e-9, `range ${i} bucket ${k} avg`);
      });
    }
  });

  it('answers hour-wide buckets from the hourly rollups as it does from the blocks', async () => {
    const id = hosts.anyId('hist-host')!;
    const range = { hostId: id, metricId: cpuId(), fromMs: T0 + HOUR, toMs: T0 + 3 * HOUR - 1, points: 2 };
    await database.db.execute(sql`DELETE FROM samples_1h WHERE host_id = ${id}`);
    const fromBlocks = await queryHistory(database.db, range);
    await rollupHours(database.db, T0 + HOUR, T0 + 3 * HOUR);
    const [hours] = await queryRows<{ n: number; warn: number; crit: number }>(database.db, sql`
      SELECT count(*)::int AS n, sum(warn_seconds)::float8 AS warn, sum(crit_seconds)::float8 AS crit FROM samples_1h
      WHERE host_id = ${id} AND metric_id = ${catalog.id('disk.usage_percent')!}`);
    // Disk alternates 5 min warning / 5 min critical; ticks late by 0–2 ms stretch the time a little.
    assert.equal(hours!.n, 2);
    assert.ok(Math.abs(hours!.warn - 3600) < 2 && Math.abs(hours!.crit - 3600) < 2, JSON.stringify(hours));
    const fromHours = await queryHistory(database.db, range);
    assert.equal(fromHours.points.length, 2);
    fromHours.points.forEach((p, i) => {
      const b = fromBlocks.points[i]!;
      assert.deepEqual([p[0], p[1], p[3]], [b[0], b[1], b[3]]);
      assert.ok(Math.abs(p[2]! - b[2]!) < 1e-9);
    });
  });

  it('merges late samples into their sealed minute and keeps a re-delivered sample once', async () => {
    const host = 'late-host';
    const id = await hosts.ensure(host, 'agent', 1000);
    const t = T0 + 5 * HOUR;
    const evenSeconds = Array.from({ length: 30 }, (_, k) => ({ host, ts: t + k * 2000, values: { 'cpu.count': k } }));
    const oddSeconds = Array.from({ length: 30 }, (_, k) => ({ host, ts: t + k * 2000 + 1000, values: { 'cpu.count': 100 + k } }));
    await write(evenSeconds);
    await sealHead(database.db, { beforeMs: t + HOUR, ...ctx });
    // The backlog arrives after the minute was sealed, and one batch of it twice (a lost acknowledgement).
    await write(oddSeconds);
    await write(oddSeconds.slice(0, 10));
    await write(evenSeconds.slice(0, 5));
    const pending = await readStoredSamples(database.db, { host, metric: 'cpu.count', fromMs: t, toMs: t + MIN });
    assert.equal(pending.ts.length, 65, 'five already sealed samples wait in the head until the next seal');
    const history = await queryHistory(database.db, { hostId: id, metricId: catalog.id('cpu.count')!, fromMs: t, toMs: t + MIN - 1, points: 1 });
    assert.equal(history.points.length, 1);
    await sealHead(database.db, { beforeMs: t + HOUR, ...ctx });
    const stored = await readStoredSamples(database.db, { host, metric: 'cpu.count', fromMs: t, toMs: t + MIN });
    assert.equal(stored.ts.length, 60);
    assert.deepEqual(stored.ts, [...evenSeconds, ...oddSeconds].map((e) => e.ts).sort((a, b) => a - b));
    const [block] = await queryRows<{ n: number; sum: number }>(database.db, sql`
      SELECT n, sum FROM sample_blocks WHERE host_id = ${id} AND start = to_timestamp(${t / 1000})`);
    assert.deepEqual(block, { n: 60, sum: (29 * 30) / 2 + 30 * 100 + (29 * 30) / 2 });
  });

  it('refills a host\'s recent ticks from blocks and head together', async () => {
    const host = 'refill-host';
    const id = await hosts.ensure(host, 'agent', 1000);
    const t = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
    await write(Array.from({ length: 300 }, (_, s) => tick(host, s, t)));
    await sealHead(database.db, { beforeMs: t + 3 * MIN, ...ctx });
    const events = await recentEvents(database.db, { id, name: host }, t + 60_000, catalog.name);
    assert.equal(events.length, 240);
    assert.deepEqual(events[0], tick(host, 60, t));
    assert.deepEqual(events.at(-1), tick(host, 299, t));
  });

  it('drops raw samples past retention but keeps the minute and hourly aggregates', async () => {
    const id = hosts.anyId('hist-host')!;
    const now = T0 + 3 * HOUR;
    await applyRetention(database.db, { rawDays: 0.05, minuteDays: 30, hourDays: 400 }, now);
    const [left] = await queryRows<{ raw: number; aggregates: number }>(database.db, sql`
      SELECT count(*) FILTER (WHERE data IS NOT NULL)::int AS raw, count(*)::int AS aggregates FROM sample_blocks
      WHERE host_id = ${id} AND start < to_timestamp(${(now - 72 * MIN) / 1000})`);
    assert.equal(left!.raw, 0, 'old samples remain');
    assert.ok(left!.aggregates > 0);
    const minute = await queryHistory(database.db, { hostId: id, metricId: cpuId(), fromMs: T0 + HOUR, toMs: T0 + 2 * HOUR - 1, points: 30 });
    assert.equal(minute.points.length, 30, 'minute aggregates still answer');
    const raw = await queryHistory(database.db, { hostId: id, metricId: cpuId(), fromMs: T0 + HOUR, toMs: T0 + HOUR + 5 * MIN, points: 300 });
    assert.deepEqual(raw.points, [], 'no samples at full detail any more');
    await applyRetention(database.db, { rawDays: 0.05, minuteDays: 0.05, hourDays: 400 }, now);
    const hourly = await queryHistory(database.db, { hostId: id, metricId: cpuId(), fromMs: T0 + HOUR, toMs: T0 + 3 * HOUR - 1, points: 2 });
    assert.equal(hourly.points.length, 2, 'hourly rollups still answer');
  });

  it('writes queued ticks in one go, resolves each push once stored, and counts them', async () => {
    const writer = createSampleWriter({ db: database.db, ids: ids() });
    await hosts.ensure('writer-host', 'server', 1000);
    const pushes = Array.from({ length: 5 }, (_, i) => writer.push([{ host: 'writer-host', ts: T0 + 10 * DAY + i * 1000, values: { 'cpu.count': i, 'cpu.load_1m': null } }]));
    await Promise.all(pushes);
    assert.equal(writer.written, 5);
    assert.equal(writer.pending, 0);
    await writer.close();
    await assert.rejects(writer.push([{ host: 'writer-host', ts: T0, values: { 'cpu.count': 1 } }]), /closed/);
    const stored = await readStoredSamples(database.db, { host: 'writer-host', metric: 'cpu.count', fromMs: T0, toMs: T0 + 11 * DAY });
    assert.deepEqual(stored.values, [0, 1, 2, 3, 4]);
  });
});

/** Migrations up to (not including) `tag`, as a folder of their own. */
function migrationsBefore(tag: string): { dir: string; remove(): void } {
  const tmp = tempDir('glasswatch-migrations-');
  const journal = JSON.parse(fs.readFileSync(path.join(MIGRATIONS_DIR, 'meta/_journal.json'), 'utf8')) as { entries: Array<{ tag: string }> };
  const cut = journal.entries.findIndex((e) => e.tag === tag);
  assert.ok(cut > 0, `migration ${tag} not found`);
  fs.mkdirSync(path.join(tmp.dir, 'meta'));
  fs.writeFileSync(path.join(tmp.dir, 'meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
  for (const e of journal.entries.slice(0, cut)) fs.copyFileSync(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(tmp.dir, `${e.tag}.sql`));
  return tmp;
}

describe('converting a store of the previous layout (narrow float4 rows and minute rollups)', async () => {
  for (const kind of ['pglite', 'postgres'] as const) {
    const skip = kind === 'postgres' ? await postgresSkipReason() : false;
    it(`gives the same history before and after, and keeps every value [${kind}]`, { skip }, async () => {
      const old = migrationsBefore('0008_sample_blocks');
      const dir = tempDir();
      const pgdb = kind === 'postgres' ? await createTempDatabase() : undefined;
      const open = (migrationsDir?: string) => openDatabase({ databaseUrl: pgdb?.url, dataDir: dir.dir, migrationsDir });
      try {
        let db = await open(old.dir);
        // The old layout: float4 samples for the last 2 hours, minute rollups for 2 days before them.
        await db.db.execute(sql`INSERT INTO hosts (name) VALUES ('old-host')`);
        await db.db.execute(sql`INSERT INTO metrics (name) VALUES ('cpu.usage_percent')`);
        const [{ h, m }] = (await queryRows<{ h: number; m: number }>(db.db, sql`SELECT (SELECT id FROM hosts) AS h, (SELECT id FROM metrics) AS m`)) as [{ h: number; m: number }];
        const rawFrom = T0 - 2 * HOUR;
        await db.db.execute(sql`
          INSERT INTO samples (ts, host_id, metric_id, value)
          SELECT to_timestamp(${rawFrom / 1000} + s), ${h}, ${m}, ((s * 7) % 1000) / 10.0 FROM generate_series(0, 7199) AS s`);
        await db.db.execute(sql`
          INSERT INTO samples_1m (ts, host_id, metric_id, min, avg, max, count)
          SELECT to_timestamp(${(rawFrom - 2 * DAY) / 1000} + k * 60), ${h}, ${m}, k % 50, (k % 50) + 10.25, (k % 50) + 20, 60
          FROM generate_series(0, 2 * 24 * 60 - 1) AS k`);
        const ranges = [
          { fromMs: rawFrom, toMs: rawFrom + 10 * MIN, points: 600 },
          { fromMs: rawFrom, toMs: T0 - 1, points: 60 },
          { fromMs: rawFrom - 2 * DAY, toMs: rawFrom - 1, points: 96 },
        ];
        // What the old layout's history answered (its queries, taken from the previous version).
        const expected = await Promise.all(ranges.map((r) => legacyHistory(db, { hostId: h, metricId: m, ...r })));
        await db.close();

        db = await open();
        const catalog = await loadMetricCatalog(db.db);
        const hosts = await loadHostRegistry(db.db, { intervalMs: 1000 });
        await maintain(db.db, { thresholds: () => undefined, intervalMsOf: hosts.intervalMsOf }, retentionPolicy(30), T0 + HOUR, false);
        const metricId = catalog.id('cpu.usage_percent')!;
        const got = await Promise.all(ranges.map((r) => queryHistory(db.db, { hostId: h, metricId, ...r })));
        for (let i = 0; i < ranges.length; i++) {
          assert.equal(got[i]!.points.length, expected[i]!.length, `range ${i}`);
          got[i]!.points.forEach((p, k) => {
            const e = expected[i]![k]!;
            assert.equal(p[0], e[0]);
            for (const j of [1, 2, 3]) assert.ok(Math.abs(p[j]! - e[j]!) < 1e-4, `range ${i} bucket ${k} column ${j}: ${p[j]} vs ${e[j]}`);
          });
        }
        // Every raw value comes back as the decimal it was written as (not float4 noise).
        const stored = await readStoredSamples(db.db, { host: 'old-host', metric: 'cpu.usage_percent', fromMs: rawFrom, toMs: T0 });
        assert.equal(stored.ts.length, 7200);
        assert.deepEqual(stored.values.slice(0, 4), [0, 0.7, 1.4, 2.1]);
        const [left] = await queryRows<{ head: number; rollups: number }>(db.db, sql`
          SELECT (SELECT count(*)::int FROM samples) AS head, (SELECT count(*)::int FROM information_schema.tables WHERE table_name = 'samples_1m') AS rollups`);
        assert.deepEqual(left, { head: 0, rollups: 0 });
        await db.close();
      } finally {
        old.remove();
        dir.remove();
        await pgdb?.drop();
      }
    });
  }
});

/** The previous version's history query over samples_1m and raw samples (no hourly rollups in this store). */
async function legacyHistory(db: Database, r: { hostId: number; metricId: number; fromMs: number; toMs: number; points: number }) {
  const stepMs = Math.max(1, Math.ceil((r.toMs - r.fromMs + 1) / r.points));
  const series = sql`host_id = ${r.hostId} AND metric_id = ${r.metricId}`;
  const at = (ms: number) => sql`to_timestamp(${ms}::float8 / 1000)`;
  let minuteEnd = r.fromMs;
  if (stepMs >= MIN) {
    const [row] = await queryRows<{ e: number | null }>(db.db, sql`SELECT (extract(epoch FROM max(ts)) * 1000 + ${MIN})::float8 AS e FROM samples_1m WHERE ${series}`);
    minuteEnd = Math.min(Math.max(row?.e ?? r.fromMs, r.fromMs), r.toMs + 1);
  }
  const rows = await queryRows<{ i: number; min: number; avg: number; max: number }>(db.db, sql`
    WITH src AS (
      SELECT ts, min, avg, max, count FROM samples_1m WHERE ${series} AND ts >= ${at(r.fromMs)} AND ts < ${at(minuteEnd)}
      UNION ALL
      SELECT ts, value, value, value, 1 FROM samples WHERE ${series} AND ts >= ${at(minuteEnd)} AND ts <= ${at(r.toMs)}
    )
    SELECT least(floor((extract(epoch FROM ts) * 1000 - ${r.fromMs}) / ${stepMs}), ${r.points - 1})::int AS i,
           min(min)::float8 AS min, (sum(avg * count) / sum(count))::float8 AS avg, max(max)::float8 AS max
    FROM src GROUP BY 1 ORDER BY 1`);
  return rows.map((row) => [r.fromMs + row.i * stepMs, row.min, row.avg, row.max] as const);
}
