import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderExposition } from '../../server/http/routes/prometheus.ts';
import { createRecentWindow } from '../../server/realtime/recent-window.ts';
import { snapshotSince } from '../../server/realtime/socket.ts';
import { parseHandshakeAuth, SNAPSHOT_MAX_WINDOW_MS, SNAPSHOT_WINDOW_MS } from '../../shared/events.ts';

describe('parseHandshakeAuth', () => {
  it('accepts nothing, or a since timestamp and a client id', () => {
    assert.deepEqual(parseHandshakeAuth(undefined), { ok: true, auth: {} });
    assert.deepEqual(parseHandshakeAuth({ since: 5, clientId: 'a-1' }), { ok: true, auth: { since: 5, clientId: 'a-1' } });
  });

  it('refuses malformed values with a message naming the field', () => {
    for (const [raw, field] of [
      [{ since: 'yesterday' }, 'since'],
      [{ since: -1 }, 'since'],
      [{ since: Number.NaN }, 'since'],
      [{ clientId: '<script>' }, 'clientId'],
      [{ clientId: 'x'.repeat(65) }, 'clientId'],
      [{ token: 42 }, 'token'],
    ] as const) {
      const parsed = parseHandshakeAuth(raw);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.message, new RegExp(field));
    }
    assert.equal(parseHandshakeAuth([1, 2]).ok, false);
  });
});

describe('snapshotSince', () => {
  const now = 10_000_000;
  it('covers 15 minutes for a new viewer', () => assert.equal(snapshotSince(now, undefined), now - SNAPSHOT_WINDOW_MS));
  it('covers exactly what a reconnecting viewer missed', () => assert.equal(snapshotSince(now, now - 5000), now - 5000));
  it('is bounded to an hour after a long gap', () => assert.equal(snapshotSince(now, 0), now - SNAPSHOT_MAX_WINDOW_MS));
  it('never starts in the future', () => assert.equal(snapshotSince(now, now + 99), now));
});

describe('recent window', () => {
  const oneSecond = () => 1000;

  it('keeps the newest ticks up to its capacity and serves series since a time', () => {
    const w = createRecentWindow({ windowMs: 10_000, intervalOf: oneSecond }); // capacity 10 + slack 16
    for (let i = 0; i < 40; i++) w.push([{ host: 'a', ts: i * 1000, values: { 'cpu.usage_percent': i, 'cpu.count': i % 2 ? null : 2 } }]);
    const series = w.series(30_000).a!;
    assert.deepEqual(series['cpu.usage_percent']!.map(([, v]) => v), Array.from({ length: 10 }, (_, k) => 30 + k));
    assert.deepEqual(series['cpu.count']!.slice(0, 2), [[30_000, 2], [31_000, null]]);
    assert.equal(w.series(0).a!['cpu.usage_percent']!.length, 26, 'bounded to capacity');
    assert.equal(w.current('a', 5000, 40_000)!.ts, 39_000);
    assert.deepEqual(w.hosts(), ['a']);
  });

  it('merges a late batch (an agent backlog) into time order', () => {
    const w = createRecentWindow({ windowMs: 10_000, intervalOf: oneSecond });
    w.push([{ host: 'a', ts: 5000, values: { 'cpu.count': 5 } }]);
    w.push([{ host: 'a', ts: 2000, values: { 'cpu.count': 2 } }, { host: 'a', ts: 3000, values: { 'cpu.count': 3 } }]);
    w.push([{ host: 'a', ts: 6000, values: { 'cpu.count': 6 } }]);
    assert.deepEqual(w.series(0).a!['cpu.count'], [[2000, 2], [3000, 3], [5000, 5], [6000, 6]]);
  });

  it('keeps a column per metric a host ever sent, also ones found at run time', () => {
    const w = createRecentWindow({ windowMs: 10_000, intervalOf: oneSecond });
    w.push([{ host: 'app', ts: 1000, values: { 'erp_http_requests_total:rate': 12 } }]);
    w.push([{ host: 'app', ts: 2000, values: { 'erp_http_requests_total:rate{status="500"}': 1 } }]);
    assert.deepEqual(w.series(0).app, {
      'erp_http_requests_total:rate': [[1000, 12], [2000, null]],
      'erp_http_requests_total:rate{status="500"}': [[1000, null], [2000, 1]],
    });
  });

  it('leaves values older than the allowed age out of "current": they are not current', () => {
    const w = createRecentWindow({ windowMs: 60_000, intervalOf: oneSecond });
    w.push([{ host: 'a', ts: 1000, values: { 'cpu.count': 2, 'cpu.load_1m': 1 } }]);
    w.push([{ host: 'a', ts: 9000, values: { 'host.up': 0 } }]);
    assert.deepEqual(w.current('a', 3500, 10_000), { ts: 9000, values: { 'host.up': 0 } });
    assert.deepEqual(w.current('a', 60_000, 10_000)!.values, { 'cpu.count': 2, 'cpu.load_1m': 1, 'host.up': 0 });
  });

  it('sends hosts outside the full set with their overview metrics only, one point per step', () => {
    const w = createRecentWindow({ windowMs: 600_000, intervalOf: oneSecond });
    for (let i = 0; i < 60; i++) {
      w.push([{ host: 'a', ts: i * 1000, values: { 'cpu.usage_percent': i, 'cpu.count': 2 } }, { host: 'b', ts: i * 1000, values: { 'cpu.usage_percent': i, 'cpu.count': 2 } }]);
    }
    const s = w.series(0, new Set(['a']));
    assert.equal(s.a!['cpu.usage_percent']!.length, 60);
    assert.deepEqual(Object.keys(s.b!), ['cpu.usage_percent']);
    assert.deepEqual(s.b!['cpu.usage_percent']!.map(([, v]) => v), [9, 19, 29, 39, 49, 59]);
  });

  it('keeps a down host\'s last numbers in its overview: a host.up-only tick does not hide them', () => {
    const w = createRecentWindow({ windowMs: 600_000, intervalOf: oneSecond });
    w.push([{ host: 'b', ts: 1000, values: { 'cpu.usage_percent': 40, 'host.up': 1 } }]);
    w.push([{ host: 'b', ts: 5000, values: { 'host.up': 0 } }]);
    const s = w.series(0, new Set()).b!;
    assert.deepEqual(s['cpu.usage_percent'], [[1000, 40]]);
    assert.deepEqual(s['host.up'], [[5000, 0]]);
  });
});

describe('Prometheus exposition', () => {
  it('renders each known value as a gauge with a host label and timestamp, and skips nulls', () => {
    const text = renderExposition(
      [{ host: 'web "1"', ts: 1700000000000, values: { 'cpu.usage_percent': 12.5, 'memory.usage_percent': null } }],
      { version: '1.2.3', startedAtMs: 1_000 },
      new Map(),
    );
    assert.match(text, /^# TYPE glasswatch_cpu_usage_percent gauge$/m);
    assert.match(text, /^glasswatch_cpu_usage_percent\{host="web \\"1\\""\} 12\.5 1700000000000$/m);
    assert.doesNotMatch(text, /memory_usage_percent/);
    assert.match(text, /^glasswatch_info\{version="1\.2\.3"\} 1$/m);
    assert.ok(text.endsWith('\n'));
  });

  it('re-exports series found at run time with their labels beside the host, one TYPE line per family', () => {
    const text = renderExposition(
      [{ host: 'erp', ts: 5, values: { 'erp_http_requests_total:rate': 3, 'erp_http_requests_total:rate{status="500"}': 1, 'erp.orders_per_min': 7 } }],
      { version: '1', startedAtMs: 0, node: 'n1' },
      new Map([['erp_http_requests_total:rate', { label: 'Requests', unit: '/s', decimals: 2, help: 'HTTP requests' }]]),
    );
    assert.equal(text.match(/^# TYPE glasswatch_erp_http_requests_total:rate gauge$/gm)?.length, 1);
    assert.match(text, /^glasswatch_erp_http_requests_total:rate\{host="erp",glasswatch_node="n1",status="500"\} 1 5$/m);
    assert.match(text, /^glasswatch_erp_orders_per_min\{host="erp",glasswatch_node="n1"\} 7 5$/m);
    assert.match(text, /^# HELP glasswatch_erp_http_requests_total:rate HTTP requests \(\/s\)\.$/m);
  });
});
