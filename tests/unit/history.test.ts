import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { historyQuery } from '../../shared/api.ts';
import { aggregate } from '../../server/store/blocks.ts';
import { bucketSeries, hourTierEnd, stepFor } from '../../server/store/history.ts';
import { retentionPolicy } from '../../server/store/maintenance.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('downsampling step', () => {
  it('splits the range into at most `points` buckets', () => {
    assert.equal(stepFor(0, 600_000 - 1, 600), 1000);
    for (const [from, to, points] of [[0, 86_400_000, 600], [5, 1234567, 7], [0, 10, 600]] as const) {
      const step = stepFor(from, to, points);
      assert.ok(Math.floor((to - from) / step) <= points - 1, `${from}..${to}/${points}: step ${step}`);
    }
  });
});

describe('tier choice', () => {
  const range = { fromMs: 0, toMs: 30 * 24 * HOUR };

  it('reads no hourly rollups for steps under an hour', () => {
    assert.equal(hourTierEnd(2 * MIN, range, 10 * HOUR), 0);
  });

  it('reads hourly rollups up to where they end for hour-wide steps', () => {
    assert.equal(hourTierEnd(2 * HOUR, range, 10 * HOUR), 10 * HOUR);
  });

  it('falls back to minute blocks where no hourly rollup exists yet', () => {
    assert.equal(hourTierEnd(2 * HOUR, range, null), 0);
  });

  it('clamps the rollup end into the range', () => {
    const r = { fromMs: 100 * HOUR, toMs: 200 * HOUR };
    assert.equal(hourTierEnd(2 * HOUR, r, 10 * HOUR), 100 * HOUR);
    assert.equal(hourTierEnd(2 * HOUR, r, 900 * HOUR), 200 * HOUR + 1);
  });
});

describe('bucketing raw samples', () => {
  it('gives min, avg and max per bucket, skipping empty buckets, the last bucket taking the end', () => {
    const s = { ts: Float64Array.from([0, 500, 1500, 4999, 5000]), values: Float64Array.from([1, 3, 10, 7, 9]) };
    assert.deepEqual(bucketSeries(s, { fromMs: 0, points: 5 }, 1000), [
      [0, 1, 2, 3],
      [1000, 10, 10, 10],
      [4000, 7, 8, 9],
    ]);
  });
});

describe('block aggregates', () => {
  it('sums the time at or above the warning and critical thresholds, each sample standing for one step', () => {
    const s = { ts: Float64Array.from([0, 1000, 2000, 3000, 4000]), values: Float64Array.from([50, 75, 80, 90, 95]) };
    assert.deepEqual(aggregate(s, { warning: 70, critical: 85 }, 1000), { n: 5, min: 50, max: 95, sum: 390, warnSeconds: 2, critSeconds: 2 });
  });

  it('counts a hole as one step at most, and a lone sample as the host tick', () => {
    const s = { ts: Float64Array.from([0, 1000, 30_000]), values: Float64Array.from([90, 90, 90]) };
    assert.equal(aggregate(s, { critical: 85 }, 1000).critSeconds, 1 + 2 + 1);
    assert.equal(aggregate({ ts: Float64Array.of(0), values: Float64Array.of(99) }, { critical: 85 }, 5000).critSeconds, 5);
  });

  it('has no time in state for metrics without thresholds', () => {
    const s = { ts: Float64Array.of(0), values: Float64Array.of(1) };
    assert.deepEqual([aggregate(s, undefined, 1000).warnSeconds, aggregate(s, {}, 1000).critSeconds], [null, null]);
  });
});

describe('history query parameters', () => {
  it('accepts epoch milliseconds and ISO times', () => {
    const q = historyQuery.parse({ metric: 'cpu.usage_percent', from: '1700000000000', to: '2023-11-14T23:00:00Z', points: '50' });
    assert.equal(q.from, 1700000000000);
    assert.equal(q.to, Date.parse('2023-11-14T23:00:00Z'));
    assert.equal(q.points, 50);
  });

  it('rejects malformed metric names, bad numbers and unparseable times', () => {
    for (const bad of [
      { metric: 'cpu usage' },
      { metric: 'cpu.usage_percent', points: 'ten' },
      { metric: 'cpu.usage_percent', points: '0' },
      { metric: 'cpu.usage_percent', points: '1.5' },
      { metric: 'cpu.usage_percent', points: '100001' },
      { metric: 'cpu.usage_percent', from: 'yesterday' },
      { metric: 'cpu.usage_percent', from: '-5' },
    ]) assert.equal(historyQuery.safeParse(bad).success, false, JSON.stringify(bad));
  });
});

describe('retention policy', () => {
  it('keeps raw for RETENTION_DAYS and rollups longer', () => {
    assert.deepEqual(retentionPolicy(30), { rawDays: 30, minuteDays: 120, hourDays: 400 });
    assert.deepEqual(retentionPolicy(365), { rawDays: 365, minuteDays: 1460, hourDays: 1460 });
  });
});
