import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { collectOnce, createSourceStates, startCollector } from '../../server/collect/scheduler.ts';
import type { Source } from '../../server/collect/source.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { runLoop } from '../../server/lib/loop.ts';
import type { MetricsEvent } from '../../shared/events.ts';

setLogLevel('silent');
const never = new AbortController().signal;

/**
 * Time is the subject here: the loops run on node:test's fake clock (setTimeout and Date), moved
 * in small steps with pending promise callbacks run between steps, so every tick lands exactly
 * where the code puts it, whatever the machine is doing.
 */
const T0 = 1_700_000_000_000;
const fakeClock = () => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
/** Lets every pending promise callback run (setImmediate is left real for this). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};
/**
 * Moves the fake clock forward `ms`, 1 ms at a time, settling promises after each step (a fake
 * tick sets the clock to its end before it runs the timers due within it: small steps keep
 * every timer's Date.now() exact).
 */
async function advance(ms: number) {
  mock.timers.tick(0);
  await settle();
  for (let t = 0; t < ms; t++) {
    mock.timers.tick(1);
    await settle();
  }
}
afterEach(() => mock.timers.reset());

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
    fakeClock();
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
    let first: Awaited<ReturnType<typeof collectOnce>> | undefined;
    void collectOnce(states, Date.now(), 50, never).then((v) => (first = v));
    await advance(45);
    assert.equal(first, undefined, 'the tick ended before its deadline');
    await advance(5);
    assert.ok(first, 'the tick waited past its 50 ms deadline for the slow source');
    assert.equal(first['db.query_ms'], null);
    assert.equal(first['cpu.count'], 1);
    // 50 ms in, the slow source is still busy (it needs 300): the next tick reports the gap at once.
    let second: Awaited<ReturnType<typeof collectOnce>> | undefined;
    void collectOnce(states, Date.now(), 50, never).then((v) => (second = v));
    await settle();
    assert.ok(second, 'a tick waited for a source that is still busy');
    assert.equal(second['db.query_ms'], null);
    assert.equal(second['cpu.count'], 1);
    assert.equal(calls, 1, 'a busy source must not be called again');
    // Once it has answered, it is called again.
    await advance(250);
    const third = collectOnce(states, Date.now(), 400, never);
    await advance(300);
    assert.deepEqual(await third, { 'db.query_ms': 1, 'cpu.count': 1 });
    assert.equal(calls, 2);
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
    fakeClock();
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
    await advance(330);
    stop.abort();
    await advance(30); // the tick in progress finishes before the loop ends
    await done;
    // Ticks at 0, 50, …, 300 ms: each a slot of its own, taken on time.
    assert.deepEqual(got.map((s) => s.ts - T0), [0, 50, 100, 150, 200, 250, 300]);
    assert.equal(maxRunning, 1);
    assert.ok(got.every((s) => s.host === 'h' && s.values['cpu.count'] === 1));
  });

  it('keeps to its slots when one tick is slow, and never runs two ticks at once', async () => {
    fakeClock();
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const durations = [10, 130, 10, 10, 10];
    const source: Source<'cpu.count'> = {
      id: 'uneven',
      metrics: ['cpu.count'],
      async collect() {
        starts.push(Date.now() - T0);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, durations[starts.length - 1] ?? 10));
        running--;
        return { 'cpu.count': 1 };
      },
    };
    const stop = new AbortController();
    // intervalMs 200 gives the tick a 160 ms deadline: the 130 ms tick is slow but on time.
    const done = startCollector({ host: 'h', intervalMs: 200, sources: [source], publish: () => {}, signal: stop.signal });
    await advance(1000);
    stop.abort();
    await advance(20);
    await done;
    assert.equal(maxRunning, 1, 'ticks overlapped');
    assert.deepEqual(starts, [0, 200, 400, 600, 800, 1000], 'a slow tick shifted later slots');
  });
});

describe('runLoop', () => {
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };

  it('survives a rejected tick and keeps ticking', async () => {
    fakeClock();
    const at: number[] = [];
    const stop = new AbortController();
    const done = runLoop(
      () => {
        at.push(Date.now() - T0);
        if (at.length === 1) throw new Error('first tick fails');
      },
      { intervalMs: 20, signal: stop.signal, log: quiet },
    );
    await advance(110);
    stop.abort();
    await done;
    assert.deepEqual(at, [0, 20, 40, 60, 80, 100]);
  });

  it('skips the slots a tick overran instead of bursting to catch up', async () => {
    fakeClock();
    const at: number[] = [];
    const stop = new AbortController();
    const done = runLoop(
      async () => {
        at.push(Date.now() - T0);
        if (at.length === 2) await new Promise((r) => setTimeout(r, 75)); // overruns slots 40 and 60
      },
      { intervalMs: 20, signal: stop.signal, log: quiet },
    );
    await advance(150);
    stop.abort();
    await advance(80);
    await done;
    assert.deepEqual(at, [0, 20, 100, 120, 140], 'missed slots were run in a burst');
  });

  it('ends without another tick once aborted, after the tick in progress', async () => {
    fakeClock();
    let ticks = 0;
    let finished = false;
    const stop = new AbortController();
    const done = runLoop(
      async () => {
        ticks++;
        await new Promise((r) => setTimeout(r, 15));
      },
      { intervalMs: 20, signal: stop.signal, log: quiet },
    ).then(() => (finished = true));
    await advance(5);
    stop.abort();
    await settle();
    assert.equal(finished, false, 'the loop ended while its tick was still running');
    await advance(100);
    await done;
    assert.equal(ticks, 1);
  });
});
