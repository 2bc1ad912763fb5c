import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { collectOnce, createSourceStates, startCollector } from '../../server/collect/scheduler.ts';
import type { Source } from '../../server/collect/source.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { runLoop } from '../../server/lib/loop.ts';
import type { MetricsEvent } from '../../shared/events.ts';

setLogLevel('silent');
const never = new AbortController().signal;

const constant = (value: number): Source<'cpu.count'> => ({ id: 'const', metrics: ['cpu.count'], collect: () => ({ 'cpu.count': value }) });

describe('collectOnce', () => {
  it('gives every metric of its sources a value or null, and nothing else', async () => {
    const failing: Source<'memory.usage_percent'> = { id: 'mem', metrics: ['memory.usage_percent'], collect: () => Promise.reject(new Error('no /proc')) };
    const values = await collectOnce(createSourceStates([constant(4), failing]), Date.now(), 100, never);
    assert.deepEqual(values, { 'cpu.count': 4, 'memory.usage_percent': null });
  });

  it('turns a failing source into nulls and keeps the others', async () => {
    const failing: Source<'disk.free_gb'> = {
      id: 'broken',
      metrics: ['disk.free_gb'],
      collect: () => {
        throw new Error('statfs failed');
      },
    };
    const values = await collectOnce(createSourceStates([failing, constant(2)]), Date.now(), 100, never);
    assert.equal(values['disk.free_gb'], null);
    assert.equal(values['cpu.count'], 2);
  });

  it('does not wait past the deadline for a slow source, and skips it while it is still busy', async () => {
    let calls = 0;
    const slow: Source<'db.query_ms'> = {
      id: 'slow',
      metrics: ['db.query_ms'],
      collect: () => {
        calls++;
        return new Promise((resolve) => setTimeout(() => resolve({ 'db.query_ms': 1 }), 300));
      },
    };
    const states = createSourceStates([slow, constant(1)]);
    const started = performance.now();
    const first = await collectOnce(states, Date.now(), 50, never);
    assert.ok(performance.now() - started < 250, 'the tick waited for the slow source');
    assert.equal(first['db.query_ms'], null);
    assert.equal(first['cpu.count'], 1);
    const second = await collectOnce(states, Date.now(), 50, never);
    assert.equal(second['db.query_ms'], null);
    assert.equal(calls, 1, 'a busy source must not be called again');
  });

  it('runs a slow-cadence source only when due and reuses its last value between runs', async () => {
    let calls = 0;
    const sizeSource: Source<'db.size_mb'> = {
      id: 'size',
      metrics: ['db.size_mb'],
      everyMs: 10_000,
      collect: () => ({ 'db.size_mb': ++calls }),
    };
    const states = createSourceStates([sizeSource]);
    const t0 = 1_000_000;
    assert.equal((await collectOnce(states, t0, 100, never))['db.size_mb'], 1);
    assert.equal((await collectOnce(states, t0 + 1000, 100, never))['db.size_mb'], 1);
    assert.equal((await collectOnce(states, t0 + 10_000, 100, never))['db.size_mb'], 2);
    assert.equal(calls, 2);
  });
});

describe('startCollector', () => {
  it('publishes one sample per tick, never overlapping, until aborted', async () => {
    const got: MetricsEvent[] = [];
    let running = 0;
    let maxRunning = 0;
    const tracked: Source<'cpu.count'> = {
      id: 'tracked',
      metrics: ['cpu.count'],
      async collect() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
        return { 'cpu.count': 1 };
      },
    };
    const stop = new AbortController();
    const done = startCollector({ host: 'h', intervalMs: 50, sources: [tracked], publish: (s) => got.push(s), signal: stop.signal });
    await new Promise((r) => setTimeout(r, 330));
    stop.abort();
    await done;
    assert.ok(got.length >= 4 && got.length <= 8, `${got.length} samples`);
    assert.equal(maxRunning, 1);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.ts > got[i - 1]!.ts);
    assert.ok(got.every((s) => s.host === 'h' && s.values['cpu.count'] === 1));
  });
});

describe('runLoop', () => {
  it('survives a rejected tick and keeps ticking', async () => {
    let ticks = 0;
    const stop = new AbortController();
    const done = runLoop(
      () => {
        ticks++;
        if (ticks === 1) throw new Error('first tick fails');
      },
      { intervalMs: 20, signal: stop.signal, log: { debug() {}, info() {}, warn() {}, error() {} } },
    );
    await new Promise((r) => setTimeout(r, 110));
    stop.abort();
    await done;
    assert.ok(ticks >= 3, `${ticks} ticks`);
  });
});
