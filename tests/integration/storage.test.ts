import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import type { Database } from '../../server/store/db.ts';
import { queryRows } from '../../server/store/db.ts';
import { queryHistory, recentSamples } from '../../server/store/history.ts';
import { applyRetention, maintain, retentionPolicy, rollupHours, rollupMinutes } from '../../server/store/maintenance.ts';
import { insertSamples, toRows } from '../../server/store/samples.ts';
import { loadSeriesIds, type SeriesIds } from '../../server/store/series-ids.ts';
import { createSampleWriter } from '../../server/store/writer.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { METRIC_NAMES } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import { describeEachDatabase } from '../helpers/databases.ts';

setLogLevel('silent');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
// A fixed, minute-aligned origin well inside every retention window used below.
const T0 = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;

describeEachDatabase('storage', (target) => {
  let database: Database;
  let ids: SeriesIds;
  let hostId: number;
  let cpu: number;

  before(async () => {
    database = await target().open();
    ids = await loadSeriesIds(database.db);
    hostId = await ids.hostId('db-host');
    cpu = ids.metricId('cpu.usage_percent');
  });
  after(() => database.close());

  /** One cpu sample per second over [fromMs, fromMs + seconds), value = seconds since T0 mod 100. */
  async function seed(fromMs: number, seconds: number) {
    const rows = { tsMs: [] as number[], hostId: [] as number[], metricId: [] as number[], value: [] as number[] };
    for (let s = 0; s < seconds; s++) {
      const ts = fromMs + s * 1000;
      rows.tsMs.push(ts);
      rows.hostId.push(hostId);
      rows.metricId.push(cpu);
      rows.value.push(((ts - T0) / 1000) % 100);
    }
    return insertSamples(database.db, rows);
  }

  it('applies the migrations and registers every catalog metric once', async () => {
    const again = await loadSeriesIds(database.db);
    for (const name of METRIC_NAMES) assert.equal(again.metricId(name), ids.metricId(name));
    const [row] = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM metrics`);
    assert.equal(row!.n, METRIC_NAMES.length);
  });

  it('gives a host the same id every time', async () => {
    assert.equal(await ids.hostId('db-host'), hostId);
    const fresh = await loadSeriesIds(database.db);
    assert.equal(fresh.knownHostId('db-host'), hostId);
  });

  it('writes a tick as rows, skipping null and non-finite values, and moves last_seen', async () => {
    const tick: MetricsEvent = {
      host: 'db-host',
      ts: T0 - DAY,
      values: { 'cpu.count': 8, 'memory.usage_percent': null, 'disk.free_gb': Number.NaN, 'cpu.load_1m': 0.25 },
    };
    const rows = toRows([tick], new Map([['db-host', hostId]]), ids);
    assert.equal(rows.value.length, 2);
    assert.equal(await insertSamples(database.db, rows), 2);
    const stored = await recentSamples(database.db, hostId, T0 - DAY - 1);
    assert.deepEqual(
      stored.filter((r) => r.t === T0 - DAY).map((r) => [r.m, r.v]).sort(),
      [[ids.metricId('cpu.count'), 8], [ids.metricId('cpu.load_1m'), 0.25]].sort(),
    );
    const [host] = (await loadSeriesIds(database.db)).listHosts().filter((h) => h.name === 'db-host');
    assert.equal(host!.lastSeen, T0 - DAY);
  });

  it('downsamples a range into at most `points` buckets of min/avg/max', async () => {
    await seed(T0, 600); // 10 minutes, values 0..99 repeating
    const res = await queryHistory(database.db, { hostId, metricId: cpu, fromMs: T0, toMs: T0 + 599_999, points: 10 });
    assert.equal(res.stepMs, 60_000);
    assert.equal(res.points.length, 10);
    const [ts, min, avg, max] = res.points[0]!;
    assert.equal(ts, T0);
    assert.equal(min, 0);
    assert.equal(max, 59);
    assert.ok(Math.abs(avg! - 29.5) < 1e-6, `avg ${avg}`);
    // Second bucket: seconds 60..119 → values 60..99 then 0..19: mean (3180 + 190) / 60.
    assert.deepEqual(res.points[1]!.slice(1, 4).map((v) => Math.round(v! * 1000) / 1000), [0, 56.167, 99]);
  });

  it('never returns more than `points` rows, whatever the alignment', async () => {
    for (const points of [1, 3, 7, 599, 600, 1000]) {
      const res = await queryHistory(database.db, { hostId, metricId: cpu, fromMs: T0, toMs: T0 + 599_000, points });
      assert.ok(res.points.length <= points, `${res.points.length} rows for points=${points}`);
      assert.ok(res.points.length > 0);
    }
  });

  it('returns nothing for an empty range', async () => {
    const res = await queryHistory(database.db, { hostId, metricId: cpu, fromMs: T0 - 10 * DAY, toMs: T0 - 9 * DAY, points: 100 });
    assert.deepEqual(res.points, []);
  });

  it('answers the same from rollups as from raw samples', async () => {
    await seed(T0 + HOUR, 2 * 3600); // two full hours
    const range = { hostId, metricId: cpu, fromMs: T0 + HOUR, toMs: T0 + 3 * HOUR - 1, points: 2 };
    const fromRaw = await queryHistory(database.db, range);
    await rollupMinutes(database.db, T0 + HOUR, T0 + 3 * HOUR);
    await rollupHours(database.db, T0 + HOUR, T0 + 3 * HOUR);
    const [counts] = await queryRows<{ m: number; h: number }>(
      database.db,
      sql`SELECT (SELECT count(*)::int FROM samples_1m WHERE host_id = ${hostId}) AS m, (SELECT count(*)::int FROM samples_1h WHERE host_id = ${hostId}) AS h`,
    );
    assert.ok(counts!.m >= 120 && counts!.h >= 2, JSON.stringify(counts));
    const fromRollups = await queryHistory(database.db, range);
    assert.equal(fromRollups.points.length, 2);
    fromRollups.points.forEach((p, i) => {
      const raw = fromRaw.points[i]!;
      assert.equal(p[0], raw[0]);
      assert.equal(p[1], raw[1]);
      assert.equal(p[3], raw[3]);
      assert.ok(Math.abs(p[2]! - raw[2]!) < 1e-6);
    });
  });

  it('re-running a rollup changes nothing', async () => {
    const before = await queryRows(database.db, sql`SELECT * FROM samples_1m WHERE host_id = ${hostId} ORDER BY ts`);
    await rollupMinutes(database.db, T0 + HOUR, T0 + 3 * HOUR);
    await maintain(database.db, retentionPolicy(30), T0 + 3 * HOUR, false);
    const again = await queryRows(database.db, sql`SELECT * FROM samples_1m WHERE host_id = ${hostId} AND ts < to_timestamp(${(T0 + 3 * HOUR) / 1000}) ORDER BY ts`);
    assert.deepEqual(again, before);
  });

  it('deletes raw samples past retention but keeps their rollups', async () => {
    const now = T0 + 3 * HOUR;
    // Raw kept 0.05 days (72 min) → everything before now − 72 min goes.
    await applyRetention(database.db, { rawDays: 0.05, minuteDays: 30, hourDays: 400 }, now);
    const [left] = await queryRows<{ oldest: number }>(
      database.db,
      sql`SELECT (extract(epoch FROM min(ts)) * 1000)::float8 AS oldest FROM samples WHERE host_id = ${hostId}`,
    );
    assert.ok(left!.oldest >= now - 72 * MIN, 'old raw samples remain');
    const res = await queryHistory(database.db, { hostId, metricId: cpu, fromMs: T0 + HOUR, toMs: T0 + 3 * HOUR - 1, points: 2 });
    assert.equal(res.points.length, 2, 'rollups still answer for the deleted range');
  });

  it('writes queued ticks in one go and counts them', async () => {
    const writer = createSampleWriter({ db: database.db, ids });
    for (let i = 0; i < 5; i++) writer.push({ host: 'writer-host', ts: T0 + 10 * DAY + i * 1000, values: { 'cpu.count': i, 'cpu.load_1m': null } });
    await writer.flush();
    assert.equal(writer.written, 5);
    assert.equal(writer.pending, 0);
    await writer.close();
    const id = ids.knownHostId('writer-host');
    assert.ok(id !== undefined);
    assert.equal((await recentSamples(database.db, id, T0)).length, 5);
  });
});
