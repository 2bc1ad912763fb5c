/**
 * Application metrics end to end: a real HTTP server in the test serves
 * changing Prometheus text (a counter, a labelled counter, a gauge, a
 * histogram); glasswatch scrapes it as a target and the rates, percentiles
 * and sums it stores and pushes are checked against the served figures; an
 * error-rate ratio fires and resolves an alert; JSON and text pushes arrive
 * on viewers' sockets; bad bodies, bad tokens and bad targets are refused.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Alert } from '../../shared/alerts.ts';
import type { AppPanels, DerivedMetric } from '../../shared/apps.ts';
import type { MetricInfo } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import type { AgentCreated, Target } from '../../shared/fleet.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { connectForSnapshot, type TestSocket } from '../helpers/socket.ts';
import { waitFor } from '../helpers/wait.ts';

/** What the fake ERP app has served so far: scrape n gets the n-th state. */
class FakeErp {
  scrapes = 0;
  ok200 = 0;
  err500 = 0;
  /** Observations per scrape: 50 ≤ 0.1 s, 45 in (0.1, 0.5], 5 in (0.5, 1]. */
  buckets = { '0.1': 0, '0.5': 0, '1': 0 };
  served: Array<{ ok: number; err: number }> = [];
  failing = false;
  erroring = true;

  body(): string {
    this.scrapes++;
    this.ok200 += 10;
    if (this.erroring) this.err500 += 5;
    this.buckets['0.1'] += 50;
    this.buckets['0.5'] += 95;
    this.buckets['1'] += 100;
    this.served.push({ ok: this.ok200, err: this.err500 });
    return [
      '# HELP erp_http_requests_total HTTP requests by status.',
      '# TYPE erp_http_requests_total counter',
      `erp_http_requests_total{status="200"} ${this.ok200}`,
      `erp_http_requests_total{status="500"} ${this.err500}`,
      '# HELP erp_open_orders Orders not yet shipped.',
      '# TYPE erp_open_orders gauge',
      `erp_open_orders ${40 + this.scrapes}`,
      '# HELP erp_request_seconds Request latency.',
      '# TYPE erp_request_seconds histogram',
      `erp_request_seconds_bucket{le="0.1"} ${this.buckets['0.1']}`,
      `erp_request_seconds_bucket{le="0.5"} ${this.buckets['0.5']}`,
      `erp_request_seconds_bucket{le="1"} ${this.buckets['1']}`,
      `erp_request_seconds_bucket{le="+Inf"} ${this.buckets['1']}`,
      `erp_request_seconds_sum ${this.scrapes * 17.5}`,
      `erp_request_seconds_count ${this.buckets['1']}`,
      '',
    ].join('\n');
  }
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('application metrics', () => {
  let gw: TestServer;
  let admin: Session;
  const erp = new FakeErp();
  let app: { server: Server; url: string };
  let viewer: TestSocket;
  const events: MetricsEvent[] = [];
  const alerts: Alert[] = [];
  /** Every `targets` event the viewer got, oldest first. */
  const pushedTargets: Target[][] = [];
  let pushToken: string;

  before(async () => {
    app = await listen((req, res) => {
      if (req.url === '/metrics') {
        if (erp.failing) {
          res.writeHead(500).end('boom');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(erp.body());
      } else if (req.url === '/hang') {
        // Never answers: the scraper's deadline must end it.
      } else if (req.url === '/broken') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok_metric 1\nthis is { not valid\n');
      } else if (req.url === '/html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
      } else res.writeHead(404).end();
    });
    gw = await startTestServer({ intervalMs: 250 });
    admin = await gw.admin();
    ({ socket: viewer } = await connectForSnapshot(admin));
    viewer.on('metrics', (e: MetricsEvent) => events.push(e));
    viewer.on('alert', (a: Alert) => alerts.push(a));
    viewer.on('targets', (list: Target[]) => pushedTargets.push(list));
    const { body } = await admin.json<AgentCreated>('/api/agents', { method: 'POST', body: { name: 'nightly-job' } });
    pushToken = body.token;
  });
  after(async () => {
    viewer?.disconnect();
    await gw?.close();
    app?.server.closeAllConnections();
    await new Promise<void>((resolve) => app?.server.close(() => resolve()));
  });

  const seriesOf = (host: string, name: string) => events.filter((e) => e.host === host && e.values[name] !== undefined);

  it('scrapes a target and turns counters into rates, histograms into percentiles, label sets into series and a sum', async () => {
    const created = await admin.json<Target>('/api/targets', { method: 'POST', body: { name: 'erp-web', url: `${app.url}/metrics`, intervalSeconds: 1 } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual([created.body.host, created.body.intervalSeconds, created.body.seriesLimit], ['erp-web', 1, 500]);
    const rated = await waitFor(() => seriesOf('erp-web', 'erp_http_requests_total:rate').length >= 3 && seriesOf('erp-web', 'erp_http_requests_total:rate'), 'three rates', 15_000);

    // The n-th event with a rate carries the scrape n+1 (the first scrape gives no rate): check it exactly.
    const withGauge = seriesOf('erp-web', 'erp_open_orders');
    for (const e of rated.slice(0, 3)) {
      const k = withGauge.findIndex((g) => g.ts === e.ts);
      assert.ok(k >= 1, 'a rate sample is also a scrape sample');
      const prev = withGauge[k - 1]!;
      const dt = (e.ts - prev.ts) / 1000;
      const [a, b] = [erp.served[k - 1]!, erp.served[k]!];
      assert.ok(Math.abs(e.values['erp_http_requests_total:rate{status="200"}']! - (b.ok - a.ok) / dt) < 1e-9);
      assert.ok(Math.abs(e.values['erp_http_requests_total:rate{status="500"}']! - (b.err - a.err) / dt) < 1e-9);
      assert.ok(Math.abs(e.values['erp_http_requests_total:rate']! - (b.ok - a.ok + b.err - a.err) / dt) < 1e-9, 'the sum of the label sets');
      assert.equal(e.values['erp_open_orders'], 40 + k + 1);
      // 100 observations per interval: 50 ≤ 0.1, 45 ≤ 0.5, 5 ≤ 1 → p50 0.1, p95 0.5, p99 0.9.
      assert.equal(e.values['erp_request_seconds:p50'], 0.1);
      assert.equal(e.values['erp_request_seconds:p95'], 0.5);
      assert.ok(Math.abs(e.values['erp_request_seconds:p99']! - 0.9) < 1e-9);
      assert.ok(Math.abs(e.values['erp_request_seconds:rate']! - 100 / dt) < 1e-9);
      assert.equal(e.values['host.up'], 1);
    }

    const catalog = await admin.json<{ metrics: MetricInfo[] }>('/api/metrics/catalog');
    const rate = catalog.body.metrics.find((m) => m.name === 'erp_http_requests_total:rate')!;
    assert.deepEqual([rate.kind, rate.unit, rate.builtin, rate.help], ['counter', '/s', false, 'HTTP requests by status.']);
    assert.ok(catalog.body.metrics.some((m) => m.name === 'erp_request_seconds:p95' && m.kind === 'histogram' && m.unit === 's'));
    assert.ok(catalog.body.metrics.some((m) => m.name === 'cpu.usage_percent' && m.builtin));

    const targets = await admin.json<{ targets: Target[] }>('/api/targets');
    const t = targets.body.targets.find((x) => x.name === 'erp-web')!;
    assert.equal(t.lastError, null);
    assert.equal(t.series, 8, 'rate sum and 2 label sets, the gauge, p50/p95/p99 and the histogram rate');
    assert.equal(typeof t.lastDurationMs, 'number');

    const history = await admin.json<{ points: unknown[] }>(`/api/metrics/history?host=erp-web&metric=${encodeURIComponent('erp_http_requests_total:rate{status="500"}')}&from=${Date.now() - 60_000}`);
    assert.equal(history.status, 200);
    assert.ok(history.body.points.length >= 2, 'the series is stored and readable like any metric');
    const hosts = await admin.json<{ hosts: Array<{ name: string; kind: string; intervalMs: number }> }>('/api/hosts');
    assert.deepEqual(hosts.body.hosts.find((h) => h.name === 'erp-web'), { ...hosts.body.hosts.find((h) => h.name === 'erp-web'), kind: 'target', intervalMs: 1000 });
    const prom = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(prom, /^glasswatch_erp_http_requests_total:rate\{host="erp-web",glasswatch_node="[^"]+",status="500"\} \S+ \d+$/m);
    assert.match(prom, /^# HELP glasswatch_erp_open_orders Orders not yet shipped\.$/m, 'the target\'s own help, one full stop');
  });

  it('fires and resolves an alert on an error-rate ratio', async () => {
    const ratio = await admin.json<DerivedMetric>('/api/derived', {
      method: 'POST',
      body: {
        name: 'erp.error_rate_percent', label: 'Error rate', unit: '%', factor: 100,
        numerator: { family: 'erp_http_requests_total:rate', label: 'status', prefix: '5' },
        denominator: { family: 'erp_http_requests_total:rate' },
      },
    });
    assert.equal(ratio.status, 201, JSON.stringify(ratio.body));
    const rule = await admin.json<{ id: number }>('/api/rules', {
      method: 'POST',
      body: { name: 'ERP errors', metric: 'erp.error_rate_percent', host: 'erp-web', operator: '>', threshold: 20, level: 'CRITICAL', clearMargin: 5 },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    // 5 errors per 15 requests: 33.3 %.
    const withRatio = await waitFor(() => seriesOf('erp-web', 'erp.error_rate_percent').at(-1), 'the ratio on viewers', 10_000);
    assert.ok(Math.abs(withRatio.values['erp.error_rate_percent']! - 100 / 3) < 1e-9);
    const fired = await waitFor(() => alerts.find((a) => a.ruleId === rule.body.id && a.state === 'firing'), 'the ratio alert to fire', 10_000);
    assert.equal(fired.host, 'erp-web');
    assert.match(fired.message, /Error rate on erp-web is 33\.3\d* %/);
    erp.erroring = false;
    await waitFor(() => alerts.find((a) => a.ruleId === rule.body.id && a.state === 'resolved'), 'the ratio alert to resolve', 10_000);
  });

  it('takes JSON and Prometheus text pushed with an agent token and pushes them to viewers', async () => {
    const post = (body: string, type: string, token = pushToken) =>
      fetch(`${gw.url}/api/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
    let res = await post(JSON.stringify({ values: { 'erp.orders_per_min': 12, 'erp.queue{name="mail"}': 3 } }), 'application/json');
    assert.equal(res.status, 204, await res.text());
    await waitFor(() => seriesOf('nightly-job', 'erp.orders_per_min').find((e) => e.values['erp.orders_per_min'] === 12), 'the JSON push on a viewer');
    const t0 = Date.now() - 20_000;
    res = await post(JSON.stringify([{ ts: t0, values: { 'erp.orders_per_min': 7 } }, { ts: t0 + 1000, values: { 'erp.orders_per_min': 8 } }]), 'application/json');
    assert.equal(res.status, 204);
    res = await post('# TYPE batch_rows_processed gauge\nbatch_rows_processed 1234\n', 'text/plain; version=0.0.4');
    assert.equal(res.status, 204, await res.text());
    await waitFor(() => seriesOf('nightly-job', 'batch_rows_processed').find((e) => e.values['batch_rows_processed'] === 1234), 'the text push on a viewer');
    const hosts = await admin.json<{ hosts: Array<{ name: string; kind: string }> }>('/api/hosts');
    assert.equal(hosts.body.hosts.find((h) => h.name === 'nightly-job')?.kind, 'push');
    const history = await admin.json<{ points: Array<[number, number, number, number]> }>(`/api/metrics/history?host=nightly-job&metric=erp.orders_per_min&from=${t0 - 1}&to=${t0 + 1500}&points=10`);
    assert.deepEqual(history.body.points.map((p) => p[2]), [7, 8], 'pushed timestamps are kept');
  });

  it('refuses bad pushes whole: 4xx with the reason, nothing stored', async () => {
    const post = (body: string, type: string, token: string | null = pushToken) =>
      fetch(`${gw.url}/api/ingest`, { method: 'POST', headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': type }, body });
    const cases: Array<[string, string, string, string | null, number, RegExp]> = [
      ['no token', '{"values":{"a":1}}', 'application/json', null, 401, /agent token/],
      ['an unknown token', '{"values":{"a":1}}', 'application/json', 'gwa_nope', 401, /unknown or was revoked/],
      ['a display token', '{"values":{"a":1}}', 'application/json', 'not-an-agent-token', 401, /agent token/],
      ['broken JSON', '{"values":', 'application/json', pushToken, 400, /not valid JSON/],
      ['a string value', '{"values":{"erp.x":"12"}}', 'application/json', pushToken, 400, /finite number/],
      ['one bad value among good ones', '{"values":{"erp.good":1,"erp.bad":null}}', 'application/json', pushToken, 400, /erp\.bad/],
      ['a built-in name', '{"values":{"cpu.usage_percent":99}}', 'application/json', pushToken, 400, /built-in/],
      ['a timestamp from the future', `{"ts":${Date.now() + 3_600_000},"values":{"erp.x":1}}`, 'application/json', pushToken, 400, /future/],
      ['a malformed exposition line', 'good_metric 1\nbad metric line here\n', 'text/plain', pushToken, 400, /line 2/],
      ['a NaN in pushed text', 'erp_x NaN\n', 'text/plain', pushToken, 400, /line 1: .*NaN/],
      ['an Inf in pushed text', 'erp_x +Inf\n', 'text/plain', pushToken, 400, /line 1/],
      ['a huge label value', `erp_x{a="${'v'.repeat(5000)}"} 1\n`, 'text/plain', pushToken, 400, /label "a" is longer than 1024/],
      ['100,000 lines', Array.from({ length: 100_000 }, (_, i) => `m${i} 1`).join('\n'), 'text/plain', pushToken, 400, /lines/],
      ['a body over the limit', `{"values":{"a":1},"pad":"${'x'.repeat(1_100_000)}"}`, 'application/json', pushToken, 413, /at most/],
      ['a wrong content type', 'a=1', 'application/x-www-form-urlencoded', pushToken, 415, /application\/json/],
    ];
    for (const [what, body, type, token, status, message] of cases) {
      const res = await post(body, type, token);
      const answer = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, status, `${what}: ${JSON.stringify(answer)}`);
      assert.match(answer.error.message, message, what);
    }
    const stored = await admin.json<{ points: unknown[] }>(`/api/metrics/history?host=nightly-job&metric=erp.good&from=${Date.now() - 60_000}`);
    assert.ok(stored.status === 400 || stored.body.points.length === 0, 'a refused body stored something');
    assert.equal((await fetch(`${gw.url}/healthz`)).status, 200);
  });

  it('reports each target\'s failure in words and never lets a slow target delay another', async () => {
    const add = async (name: string, url: string) => {
      const res = await admin.json<Target>('/api/targets', { method: 'POST', body: { name, url, intervalSeconds: 1 } });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };
    const hang = await add('erp-hang', `${app.url}/hang`);
    const broken = await add('erp-broken', `${app.url}/broken`);
    const html = await add('erp-html', `${app.url}/html`);
    // A port that was just free: nothing listens there, the connection is refused.
    const closed = await listen(() => {});
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const refused = await add('erp-refused', `${closed.url}/metrics`);
    // Viewers are told each failure as it happens (the `targets` event), nothing polled.
    const errorOf = (id: number) => pushedTargets.at(-1)?.find((t) => t.id === id)?.lastError;
    assert.match(await waitFor(() => errorOf(hang.id), 'the hanging target to time out', 10_000), /timeout after 800 ms/);
    assert.match(await waitFor(() => errorOf(broken.id), 'the broken body', 10_000), /line 2/);
    assert.match(await waitFor(() => errorOf(html.id), 'the HTML body', 10_000), /content type/);
    assert.match(await waitFor(() => errorOf(refused.id), 'the refused target', 10_000), /refused/);
    const listed = (await admin.json<{ targets: Target[] }>('/api/targets')).body.targets;
    for (const t of [hang, broken, html, refused]) assert.equal(listed.find((x) => x.id === t.id)?.lastError, errorOf(t.id), `${t.name}: the API says what was pushed`);
    // While those fail, erp-web keeps its one-second cadence.
    const from = Date.now();
    await waitFor(() => seriesOf('erp-web', 'erp_open_orders').filter((e) => e.ts > from).length >= 3, 'erp-web scrapes on', 6000);
    const ts = seriesOf('erp-web', 'erp_open_orders').filter((e) => e.ts > from).map((e) => e.ts);
    for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! - ts[i - 1]! < 1600, `a gap of ${ts[i]! - ts[i - 1]!} ms`);
    for (const t of [hang, broken, html, refused]) assert.equal((await admin.fetch(`/api/targets/${t.id}`, { method: 'DELETE' })).status, 204);
  });

  it('marks a target whose scrapes fail as down, and fires Host down', async () => {
    erp.failing = true;
    const down = await waitFor(() => alerts.find((a) => a.host === 'erp-web' && a.metric === 'host.up' && a.state === 'firing'), 'Host down for erp-web', 10_000);
    assert.equal(down.level, 'CRITICAL');
    const t = (await admin.json<{ targets: Target[] }>('/api/targets')).body.targets.find((x) => x.name === 'erp-web')!;
    assert.equal(t.lastError, 'HTTP 500');
    const pushedError = pushedTargets.findLastIndex((list) => list.find((x) => x.name === 'erp-web')?.lastError === 'HTTP 500');
    assert.ok(pushedError >= 0, 'viewers were told the target fails');
    erp.failing = false;
    await waitFor(() => alerts.find((a) => a.id === down.id && a.state === 'resolved'), 'Host down to resolve', 10_000);
    await waitFor(() => pushedTargets.slice(pushedError + 1).some((list) => list.find((x) => x.name === 'erp-web')?.lastError === null), 'viewers told it recovered');
  });

  it('refuses bad targets and ratios with clear errors', async () => {
    const cases: Array<[string, string, unknown, number]> = [
      ['a target without URL', '/api/targets', { name: 'x' }, 400],
      ['a non-http URL', '/api/targets', { name: 'x', url: 'ftp://a/metrics' }, 422],
      ['a zero interval', '/api/targets', { name: 'x', url: 'http://a/metrics', intervalSeconds: 0 }, 422],
      ['a fractional interval', '/api/targets', { name: 'x', url: 'http://a/metrics', intervalSeconds: 1.5 }, 400],
      ['a duplicate name', '/api/targets', { name: 'erp-web', url: 'http://a/metrics' }, 409],
      ['a host that is an agent\'s', '/api/targets', { name: 'x2', url: 'http://a/metrics', host: 'nightly-job' }, 409],
      ['a ratio without denominator', '/api/derived', { name: 'r', numerator: { family: 'a' } }, 400],
      ['a ratio named like a built-in', '/api/derived', { name: 'cpu.usage_percent', numerator: { family: 'a' }, denominator: { family: 'b' } }, 422],
      ['a ratio with factor 0', '/api/derived', { name: 'r', numerator: { family: 'a' }, denominator: { family: 'b' }, factor: 0 }, 422],
      ['a label without prefix', '/api/derived', { name: 'r', numerator: { family: 'a', label: 'status' }, denominator: { family: 'b' } }, 422],
    ];
    for (const [what, path, body, status] of cases) {
      const res = await admin.json<{ error: { message: string } }>(path, { method: 'POST', body });
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
      assert.ok(res.body.error.message.length > 0);
    }
    const viewerSession = await gw.user('vera', 'viewer');
    assert.equal((await viewerSession.json('/api/targets', { method: 'POST', body: { name: 'y', url: 'http://a/metrics' } })).status, 403);
    assert.equal((await viewerSession.json('/api/targets')).status, 200);
  });

  it('pins one host\'s Application panel without touching another\'s, and resets it to the defaults', async () => {
    const panels = () => admin.json<AppPanels>('/api/settings/app-panels').then((r) => r.body);
    const before = await panels();
    assert.ok(before.hosts['erp-web']?.includes('erp_http_requests_total:rate'), `defaults of erp-web: ${JSON.stringify(before.hosts['erp-web'])}`);
    assert.deepEqual(before.custom, []);

    let res = await admin.json<AppPanels>('/api/settings/app-panels/nightly-job', { method: 'PUT', body: { series: ['batch_rows_processed', 'erp.orders_per_min'] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    res = await admin.json<AppPanels>('/api/settings/app-panels/erp-web', { method: 'PUT', body: { series: ['erp_open_orders'] } });
    assert.deepEqual(res.body.hosts['nightly-job'], ['batch_rows_processed', 'erp.orders_per_min'], 'the other host keeps its choice');
    assert.deepEqual(res.body.hosts['erp-web'], ['erp_open_orders']);
    assert.deepEqual(res.body.custom, ['erp-web', 'nightly-job']);

    res = await admin.json<AppPanels>('/api/settings/app-panels/erp-web', { method: 'DELETE' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.hosts['erp-web'], before.hosts['erp-web'], 'back to the defaults');
    assert.deepEqual(res.body.custom, ['nightly-job']);
    assert.deepEqual((await panels()).hosts['nightly-job'], ['batch_rows_processed', 'erp.orders_per_min']);

    const refused: Array<[string, string, unknown, number]> = [
      ['a built-in metric', 'erp-web', { series: ['cpu.usage_percent'] }, 422],
      ['a repeated series', 'erp-web', { series: ['a', 'a'] }, 422],
      ['thirteen series', 'erp-web', { series: Array.from({ length: 13 }, (_, i) => `s${i}`) }, 422],
      ['a list that is not one', 'erp-web', { series: 'erp_open_orders' }, 400],
      ['an unknown field', 'erp-web', { series: [], hosts: {} }, 400],
      ['an unknown host', 'no-such-host', { series: ['x'] }, 404],
    ];
    for (const [what, host, body, status] of refused) {
      const answer = await admin.json<{ error: { message: string } }>(`/api/settings/app-panels/${host}`, { method: 'PUT', body });
      assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
      assert.ok(answer.body.error.message.length > 0, what);
    }
    assert.deepEqual((await panels()).custom, ['nightly-job'], 'nothing refused was stored');
    const viewerSession = await gw.user('vera', 'viewer');
    assert.equal((await viewerSession.json('/api/settings/app-panels/erp-web', { method: 'DELETE' })).status, 403);
  });
});
