import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { historyQuery } from '../../shared/api.ts';
import { stepFor, tierBounds } from '../../server/store/history.ts';
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

  it('reads raw samples only for fine steps', () => {
    assert.deepEqual(tierBounds(1000, range, { hourEnd: 10 * HOUR, minuteEnd: 20 * HOUR }), { hourEnd: 0, minuteEnd: 0 });
  });

  it('reads minute rollups up to where they end, then raw', () => {
    assert.deepEqual(tierBounds(2 * MIN, range, { hourEnd: 10 * HOUR, minuteEnd: 20 * HOUR }), { hourEnd: 0, minuteEnd: 20 * HOUR });
  });

  it('reads hourly rollups, then minute rollups, then raw for hour-wide steps', () => {
    assert.deepEqual(tierBounds(2 * HOUR, range, { hourEnd: 10 * HOUR, minuteEnd: 20 * HOUR }), { hourEnd: 10 * HOUR, minuteEnd: 20 * HOUR });
  });

  it('falls back to finer tiers where no rollup exists yet', () => {
    assert.deepEqual(tierBounds(2 * HOUR, range, { hourEnd: null, minuteEnd: null }), { hourEnd: 0, minuteEnd: 0 });
  });

  it('clamps rollup ends into the range', () => {
    const r = { fromMs: 100 * HOUR, toMs: 200 * HOUR };
    assert.deepEqual(tierBounds(2 * HOUR, r, { hourEnd: 10 * HOUR, minuteEnd: 900 * HOUR }), { hourEnd: 100 * HOUR, minuteEnd: 200 * HOUR + 1 });
  });
});

describe('history query parameters', () => {
  it('accepts epoch milliseconds and ISO times', () => {
    const q = historyQuery.parse({ metric: 'cpu.usage_percent', from: '1700000000000', to: '2023-11-14T23:00:00Z', points: '50' });
    assert.equal(q.from, 1700000000000);
    assert.equal(q.to, Date.parse('2023-11-14T23:00:00Z'));
    assert.equal(q.points, 50);
  });

  it('rejects unknown metrics, bad numbers and unparseable times', () => {
    for (const bad of [
      { metric: 'cpu.nope' },
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
