import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ApiErrorBody, CurrentResponse, HistoryResponse, HostsResponse } from '../../shared/api.ts';
import { createTempDatabase, postgresSkipReason } from '../helpers/postgres.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** GET (or `init.method`) a public URL anonymously, or a path as `session`. */
async function getJson<T>(url: string, init?: RequestInit, session?: Session): Promise<{ status: number; body: T; type: string | null }> {
  const res = session ? await session.fetch(url, init) : await fetch(url, init);
  const type = res.headers.get('content-type');
  const text = await res.text();
  assert.doesNotMatch(text, /\bat .+\.ts:\d+/, 'a stack trace reached the client');
  return { status: res.status, body: JSON.parse(text) as T, type };
}

describe('HTTP API', () => {
  let server: TestServer;
  /** The API answers a logged-in viewer (the role table itself is in auth.test.ts). */
  let viewer: Session;
  const api = <T>(path: string, init?: RequestInit) => getJson<T>(path, init, viewer);
  before(async () => {
    server = await startTestServer({ intervalMs: 250 });
    viewer = await server.user('victor', 'viewer');
    // Wait until what the tests read is there: a sample with every metric they look at, then stored.
    await waitFor(async () => {
      const { values } = (await api<CurrentResponse>('/api/metrics/current')).body;
      return ['cpu.count', 'memory.usage_percent', 'db.query_ms'].every((m) => typeof values[m] === 'number');
    }, 'a sample with cpu, memory and database figures');
    await server.idle();
  });
  after(() => server.close());

  it('GET /healthz answers ok', async () => {
    const { status, body } = await getJson(`${server.url}/healthz`);
    assert.equal(status, 200);
    assert.deepEqual(body, { status: 'ok' });
  });

  it('GET /readyz answers 200 while the database answers', async () => {
    const { status, body } = await getJson<{ status: string; database: string }>(`${server.url}/readyz`);
    assert.equal(status, 200);
    assert.equal(body.database, 'pglite');
  });

  it('answers an anonymous API request with 401', async () => {
    const { status, body, type } = await getJson<ApiErrorBody>(`${server.url}/api/hosts`);
    assert.equal(status, 401);
    assert.match(type ?? '', /application\/json/);
    assert.equal(body.error.code, 'unauthenticated');
  });

  it('GET /api/hosts lists this host as online', async () => {
    const { status, body } = await api<HostsResponse>('/api/hosts');
    assert.equal(status, 200);
    const host = body.hosts.find((h) => h.name === 'test-host');
    assert.ok(host, 'test-host missing');
    assert.equal(host.online, true);
    assert.ok(typeof host.id === 'number' && typeof host.lastSeen === 'number');
  });

  it('GET /api/metrics/current gives the latest value of every metric', async () => {
    const { status, body } = await api<CurrentResponse>('/api/metrics/current');
    assert.equal(status, 200);
    assert.equal(body.host, 'test-host');
    assert.equal(typeof body.ts, 'number');
    assert.ok(Date.now() - body.ts! < 5000);
    // Type first: `null >= 0` holds in JS.
    for (const m of ['cpu.count', 'memory.usage_percent', 'db.query_ms', 'app.viewers'] as const) {
      assert.equal(typeof body.values[m], 'number', `${m}: ${body.values[m]}`);
    }
    assert.ok(body.values['cpu.count']! >= 1);
    assert.ok(body.values['memory.usage_percent']! > 0);
    assert.ok(body.values['db.query_ms']! >= 0);
  });

  it('GET /api/metrics/current of an unknown host is a 404', async () => {
    const { status, body } = await api<ApiErrorBody>('/api/metrics/current?host=nope');
    assert.equal(status, 404);
    assert.equal(body.error.code, 'unknown_host');
  });

  it('GET /api/metrics/history returns at most `points` rows of [ts, min, avg, max]', async () => {
    const to = Date.now();
    const { status, body } = await api<HistoryResponse>(`/api/metrics/history?metric=cpu.count&from=${to - 60_000}&to=${to}&points=3`);
    assert.equal(status, 200);
    assert.equal(body.metric, 'cpu.count');
    assert.equal(body.unit, 'cores');
    assert.equal(body.host, 'test-host');
    assert.ok(body.points.length >= 1 && body.points.length <= 3);
    for (const [ts, min, avg, max] of body.points) {
      assert.ok(ts >= to - 60_000 && ts <= to);
      // cpu.count is never missing: `null <= null` holds in JS, so check the type first.
      for (const v of [min, avg, max]) assert.equal(typeof v, 'number', JSON.stringify(body.points));
      assert.ok(min! <= avg! && avg! <= max!);
    }
  });

  it('GET /api/metrics/history takes ISO times and defaults to the last hour', async () => {
    const iso = new Date(Date.now() - 30_000).toISOString();
    const a = await api<HistoryResponse>(`/api/metrics/history?metric=memory.usage_percent&from=${iso}`);
    assert.equal(a.status, 200);
    assert.ok(a.body.points.length > 0);
    const b = await api<HistoryResponse>('/api/metrics/history?metric=memory.usage_percent');
    assert.equal(b.status, 200);
    assert.ok(Math.abs(b.body.to - b.body.from - 3_600_000) < 10);
  });

  for (const [query, status, code] of [
    ['', 400, 'bad_request'],
    ['metric=cpu.bogus', 400, 'unknown_metric'],
    ['metric=cpu.usage_percent&points=abc', 400, 'bad_request'],
    ['metric=cpu.usage_percent&points=-4', 400, 'bad_request'],
    ['metric=cpu.usage_percent&points=99999999', 400, 'bad_request'],
    ['metric=cpu.usage_percent&from=last-tuesday', 400, 'bad_request'],
    ['metric=cpu.usage_percent&from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z', 422, 'invalid_range'],
    ['metric=cpu.usage_percent&from=0&to=1700000000000', 422, 'invalid_range'],
    ['metric=cpu.usage_percent&to=99999999999999', 422, 'invalid_range'],
    ['metric=cpu.usage_percent&host=ghost', 404, 'unknown_host'],
  ] as const) {
    it(`GET /api/metrics/history?${query} → ${status} ${code}`, async () => {
      const res = await api<ApiErrorBody>(`/api/metrics/history?${query}`);
      assert.equal(res.status, status);
      assert.match(res.type ?? '', /application\/json/);
      assert.equal(res.body.error.code, code);
      assert.ok(res.body.error.message.length > 5);
    });
  }

  it('GET /metrics is a Prometheus exposition of the latest samples', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { accept: 'text/plain' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^# TYPE glasswatch_cpu_usage_percent gauge$/m);
    assert.match(text, /^glasswatch_cpu_count\{host="test-host",glasswatch_node="[^"]+"\} \d+ \d{13}$/m);
    assert.match(text, /^glasswatch_self_rss_mb\{host="test-host",glasswatch_node="[^"]+"\} [\d.]+ \d{13}$/m);
  });

  it('a browser asking for /metrics gets the history page instead', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  });

  it('serves the client for page paths', async () => {
    for (const page of ['/', '/metrics']) {
      const res = await fetch(`${server.url}${page}`, { headers: { accept: 'text/html' } });
      assert.equal(res.status, 200, page);
      assert.match(await res.text(), /<div id="app"/);
    }
  });

  it('unknown API routes and wrong methods answer JSON errors', async () => {
    const missing = await api<ApiErrorBody>('/api/nothing-here');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    const wrong = await api<ApiErrorBody>('/api/hosts', { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error.code, 'method_not_allowed');
  });
});

describe('HTTP API on PostgreSQL', async () => {
  const skip = await postgresSkipReason();
  it('serves history from PostgreSQL and answers 503 on /readyz once the database is gone', { skip }, async () => {
    const temp = await createTempDatabase();
    const server = await startTestServer({ intervalMs: 250, databaseUrl: temp.url });
    try {
      const admin = await server.admin();
      await waitFor(async () => (await getJson<HistoryResponse>('/api/metrics/history?metric=cpu.count', undefined, admin)).body.points?.length > 0, 'stored history');
      const ready = await getJson<{ database: string }>(`${server.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.database, 'postgres');
      await temp.drop();
      const down = await getJson<ApiErrorBody>(`${server.url}/readyz`);
      assert.equal(down.status, 503);
      assert.equal(down.body.error.code, 'database_unavailable');
      const health = await getJson(`${server.url}/healthz`);
      assert.equal(health.status, 200, 'the process still serves');
    } finally {
      await server.close();
      await temp.drop();
    }
  });
});
