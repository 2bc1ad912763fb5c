import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cpuUsagePercent, createCpuSource } from '../../server/collect/sources/cpu.ts';
import { createDiskSource, diskFigures } from '../../server/collect/sources/disk.ts';
import { createMemorySource, memoryFigures } from '../../server/collect/sources/memory.ts';
import { createNetSource, parseProcNetDev, rates } from '../../server/collect/sources/net.ts';
import { createSelfSource } from '../../server/collect/sources/self.ts';
import { createAppSource } from '../../server/collect/sources/app.ts';
import { waitFor } from '../helpers/wait.ts';

const signal = new AbortController().signal;

describe('cpu source', () => {
  it('computes busy share from idle and total deltas', () => {
    assert.equal(cpuUsagePercent({ idle: 100, total: 200 }, { idle: 175, total: 300 }), 25);
    assert.equal(cpuUsagePercent({ idle: 0, total: 0 }, { idle: 0, total: 0 }), null);
    assert.equal(cpuUsagePercent({ idle: 10, total: 10 }, { idle: 20, total: 20 }), 0);
  });

  it('reports usage within 0–100, the core count and a load average on this machine', async () => {
    const source = createCpuSource();
    // Usage needs the kernel's CPU times to have moved since the last reading: read until they have.
    const v = await waitFor(async () => {
      const reading = await source.collect(signal);
      return reading['cpu.usage_percent'] !== null && reading;
    }, 'a CPU reading over a time delta');
    const usage = v['cpu.usage_percent'];
    assert.equal(typeof usage, 'number', `usage ${usage}`);
    assert.ok(usage! >= 0 && usage! <= 100, `usage ${usage}`);
    assert.ok(Number.isInteger(v['cpu.count']) && v['cpu.count']! >= 1, `cpu.count ${v['cpu.count']}`);
    assert.equal(typeof v['cpu.load_1m'], 'number');
    assert.ok(v['cpu.load_1m']! >= 0, `load ${v['cpu.load_1m']}`);
  });
});

describe('memory source', () => {
  it('counts used as total minus available', () => {
    const gib = 1024 ** 3;
    assert.deepEqual(memoryFigures({ total: 8 * gib, available: 2 * gib }), {
      'memory.usage_percent': 75,
      'memory.available_mb': 2048,
    });
  });

  it('refuses an implausible total instead of dividing by zero', () => {
    assert.throws(() => memoryFigures({ total: 0, available: 0 }), /implausible/);
  });

  it('reads this machine through systeminformation', async () => {
    const v = await createMemorySource().collect(signal);
    assert.equal(typeof v['memory.usage_percent'], 'number');
    assert.ok(v['memory.usage_percent']! > 0 && v['memory.usage_percent']! < 100);
    assert.equal(typeof v['memory.available_mb'], 'number');
    assert.ok(v['memory.available_mb']! > 0);
  });
});

describe('disk source', () => {
  it('computes usage as df does, from used and available blocks', () => {
    // 1000 blocks of 4 KiB, 300 free of which 250 available to users: used 700, df shows 700/(700+250).
    const v = diskFigures({ bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 });
    assert.equal(v['disk.usage_percent'], 73.7);
    assert.equal(v['disk.free_gb'], Math.round(((250 * 4096) / 1024 ** 3) * 100) / 100);
  });

  it('reads the root filesystem', async () => {
    const v = await createDiskSource().collect(signal);
    assert.equal(typeof v['disk.usage_percent'], 'number');
    assert.ok(v['disk.usage_percent']! > 0 && v['disk.usage_percent']! <= 100);
    assert.equal(typeof v['disk.free_gb'], 'number', `free ${v['disk.free_gb']}`); // null >= 0 holds in JS
    assert.ok(v['disk.free_gb']! >= 0);
  });
});

describe('net source', () => {
  const sample = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0
  eth0: 1000      10    0    0    0     0          0         0     2000      20    0    0    0     0       0          0
  wlan0: 500       5    0    0    0     0          0         0      700       7    0    0    0     0       0          0
`;

  it('sums every interface but loopback', () => {
    assert.deepEqual(parseProcNetDev(sample), { rx: 1500, tx: 2700 });
  });

  it('turns counter deltas into bytes per second, and gives null on the first reading or a reset', () => {
    assert.deepEqual(rates(undefined, { rx: 1, tx: 1, atMs: 0 }), { 'net.rx_bytes_per_s': null, 'net.tx_bytes_per_s': null });
    assert.deepEqual(rates({ rx: 1000, tx: 0, atMs: 0 }, { rx: 3000, tx: 500, atMs: 2000 }), {
      'net.rx_bytes_per_s': 1000,
      'net.tx_bytes_per_s': 250,
    });
    assert.deepEqual(rates({ rx: 1000, tx: 0, atMs: 0 }, { rx: 10, tx: 5, atMs: 1000 }), {
      'net.rx_bytes_per_s': null,
      'net.tx_bytes_per_s': null,
    });
  });

  it('reads /proc/net/dev twice to give a rate', async () => {
    const source = createNetSource();
    assert.equal((await source.collect(signal))['net.rx_bytes_per_s'], null);
    // No wait: the readings are timed with performance.now(), which has moved by the second call.
    const v = await source.collect(signal);
    for (const m of ['net.rx_bytes_per_s', 'net.tx_bytes_per_s'] as const) {
      assert.equal(typeof v[m], 'number', `${m} ${v[m]}`); // null >= 0 holds in JS
      assert.ok(v[m]! >= 0, `${m} ${v[m]}`);
    }
  });
});

describe('self and app sources', () => {
  it('reports the process RSS, CPU and event-loop lag', async () => {
    const source = createSelfSource();
    // The lag needs the event-loop histogram to hold a sample (it samples every 10 ms): read until it does.
    const v = await waitFor(async () => {
      const reading = await source.collect(signal);
      return reading['self.event_loop_lag_ms'] !== null && reading;
    }, 'an event-loop reading');
    for (const m of ['self.rss_mb', 'self.cpu_percent', 'self.event_loop_lag_ms', 'self.event_loop_max_ms'] as const) {
      assert.equal(typeof v[m], 'number', `${m} ${v[m]}`); // null >= 0 holds in JS
      assert.ok(v[m]! >= 0, `${m} ${v[m]}`);
    }
    assert.ok(v['self.rss_mb']! > 10);
    assert.ok(v['self.event_loop_max_ms']! >= v['self.event_loop_lag_ms']!, 'the max is at least the p99');
  });

  it('passes the audience counts through', async () => {
    const v = await createAppSource({ viewers: () => 3, sessions: () => 2 }).collect(signal);
    assert.deepEqual(v, { 'app.viewers': 3, 'app.sessions': 2 });
  });
});
