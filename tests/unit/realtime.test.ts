import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderExposition } from '../../server/http/routes/prometheus.ts';
import { createRecentWindow, rowsToEvents } from '../../server/realtime/recent-window.ts';
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
  it('keeps the newest ticks up to its capacity and serves series since a time', () => {
    const w = createRecentWindow({ windowMs: 10_000, intervalMs: 1000 }); // capacity 10 + slack 16
    for (let i = 0; i < 40; i++) w.push({ host: 'a', ts: i * 1000, values: { 'cpu.usage_percent': i, 'cpu.count': i % 2 ? null : 2 } });
    const series = w.series(30_000).a!;
    assert.deepEqual(series['cpu.usage_percent']!.map(([, v]) => v), Array.from({ length: 10 }, (_, k) => 30 + k));
    assert.deepEqual(series['cpu.count']!.slice(0, 2), [[30_000, 2], [31_000, null]]);
    assert.equal(w.series(0).a!['cpu.usage_percent']!.length, 26, 'bounded to capacity');
    assert.equal(w.latest('a')!.ts, 39_000);
    assert.deepEqual(w.hosts(), ['a']);
  });

  it('ignores ticks older than the newest one, so the ring stays ordered', () => {
    const w = createRecentWindow({ windowMs: 10_000, intervalMs: 1000 });
    w.push({ host: 'a', ts: 2000, values: { 'cpu.count': 1 } });
    w.push({ host: 'a', ts: 1000, values: { 'cpu.count': 9 } });
    assert.deepEqual(w.series(0).a!['cpu.count'], [[2000, 1]]);
  });

  it('regroups stored rows into ticks', () => {
    const names = new Map([[1, 'cpu.count'], [2, 'cpu.load_1m']] as const);
    const events = rowsToEvents('h', [{ t: 1, m: 1, v: 2 }, { t: 1, m: 2, v: 0.5 }, { t: 2, m: 1, v: 2 }, { t: 2, m: 99, v: 7 }], (id) => names.get(id as 1));
    assert.deepEqual(events, [
      { host: 'h', ts: 1, values: { 'cpu.count': 2, 'cpu.load_1m': 0.5 } },
      { host: 'h', ts: 2, values: { 'cpu.count': 2 } },
    ]);
  });
});

describe('Prometheus exposition', () => {
  it('renders each known value as a gauge with a host label and timestamp, and skips nulls', () => {
    const text = renderExposition(
      [{ host: 'web "1"', ts: 1700000000000, values: { 'cpu.usage_percent': 12.5, 'memory.usage_percent': null } }],
      { version: '1.2.3', startedAtMs: 1_000 },
    );
    assert.match(text, /^# TYPE glasswatch_cpu_usage_percent gauge$/m);
    assert.match(text, /^glasswatch_cpu_usage_percent\{host="web \\"1\\""\} 12\.5 1700000000000$/m);
    assert.doesNotMatch(text, /memory_usage_percent/);
    assert.match(text, /^glasswatch_info\{version="1\.2\.3"\} 1$/m);
    assert.ok(text.endsWith('\n'));
  });
});
