/**
 * The arithmetic under a report: the percentile definition (PostgreSQL's
 * percentile_cont), least squares from sums, the date a trend reaches a
 * threshold, the rule for "enough history", and the union of silences.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crossing, DAY_MS, enoughHistory, fitLine, momentsOf, percentileCont, unionLength } from '../../server/reports/math.ts';

const close = (actual: number | null | undefined, expected: number, eps = 1e-9, what = '') =>
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= eps, `${what} ${actual} ≉ ${expected}`);

describe('percentileCont', () => {
  it('interpolates between the closest ranks at q·(n−1)', () => {
    const xs = Array.from({ length: 21 }, (_, i) => i * 10); // 0, 10, …, 200
    assert.equal(percentileCont(xs, 0.95), 190); // position 19 exactly
    assert.equal(percentileCont([1, 2, 3, 4], 0.5), 2.5);
    close(percentileCont([10, 20, 30, 40, 50], 0.95), 48); // position 3.8 → 40 + 0.8·10
    close(percentileCont([3, 7], 0.95), 6.8);
  });

  it('gives the ends at 0 and 1, the value itself for one value, null for none', () => {
    assert.equal(percentileCont([1, 5, 9], 0), 1);
    assert.equal(percentileCont([1, 5, 9], 1), 9);
    assert.equal(percentileCont([42], 0.95), 42);
    assert.equal(percentileCont([], 0.95), null);
  });
});

describe('fitLine', () => {
  it('recovers an exact line from its sums', () => {
    const points = Array.from({ length: 48 }, (_, i) => [-2 + i / 24, 60 + 1.5 * (-2 + i / 24)] as const);
    const fit = fitLine(momentsOf(points));
    close(fit?.slope, 1.5, 1e-9, 'slope');
    close(fit?.intercept, 60, 1e-9, 'intercept');
  });

  it('fits noisy points by least squares (checked against the normal equations by hand)', () => {
    // x: 0,1,2,3; y: 1,3,2,5; Σx 6, Σy 11, Σx² 14, Σxy 22 → slope = (4·22 − 6·11)/(4·14 − 6²) = 22/20 = 1.1; intercept = (11 − 1.1·6)/4 = 1.1
    const fit = fitLine(momentsOf([[0, 1], [1, 3], [2, 2], [3, 5]]));
    close(fit?.slope, 1.1);
    close(fit?.intercept, 1.1);
  });

  it('refuses fewer than two distinct x', () => {
    assert.equal(fitLine(momentsOf([[1, 5]])), null);
    assert.equal(fitLine(momentsOf([[1, 5], [1, 7], [1, 9]])), null);
  });
});

describe('crossing', () => {
  const end = Date.UTC(2026, 10, 19);
  it('dates the crossing of a rising line', () => {
    const c = crossing({ slopePerDay: 2, valueAtEnd: 75 }, 95, end);
    assert.equal(c.status, 'reaches critical');
    assert.equal(c.daysToCritical, 10);
    assert.equal(c.reachesCriticalAt, end + 10 * DAY_MS);
  });

  it('says so when the value is already critical, does not rise, or rises too slowly', () => {
    assert.deepEqual(crossing({ slopePerDay: 1, valueAtEnd: 96 }, 95, end), { status: 'already critical', reachesCriticalAt: null, daysToCritical: 0 });
    assert.equal(crossing({ slopePerDay: 0, valueAtEnd: 50 }, 95, end).status, 'not rising');
    assert.equal(crossing({ slopePerDay: -0.5, valueAtEnd: 50 }, 95, end).reachesCriticalAt, null);
    const slow = crossing({ slopePerDay: 0.1, valueAtEnd: 50 }, 95, end);
    assert.equal(slow.status, 'beyond horizon');
    assert.equal(slow.reachesCriticalAt, null);
    close(slow.daysToCritical, 450);
  });

  it('reports growth only without a threshold', () => {
    assert.deepEqual(crossing({ slopePerDay: 10, valueAtEnd: 500 }, null, end), { status: 'no threshold', reachesCriticalAt: null, daysToCritical: null });
  });
});

describe('enoughHistory', () => {
  it('needs 2 days with 24 hourly averages for the 7-day trend, 8 days with 96 for the 30-day one', () => {
    assert.ok(enoughHistory(7, 48, 2));
    assert.ok(!enoughHistory(7, 47, 1.96), 'a day and 23 hours is short');
    assert.ok(!enoughHistory(7, 20, 3), 'too few hours present');
    assert.ok(enoughHistory(30, 192, 8));
    assert.ok(!enoughHistory(30, 168, 7));
  });
});

describe('unionLength', () => {
  it('counts overlapping intervals once and clips them to the range', () => {
    assert.equal(unionLength([[0, 10], [5, 15], [20, 30]], 0, 100), 25);
    assert.equal(unionLength([[-50, 10], [90, 200]], 0, 100), 20);
    assert.equal(unionLength([[0, 10], [2, 3]], 0, 100), 10, 'nested');
    assert.equal(unionLength([[200, 300]], 0, 100), 0);
  });
});
