import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from '../../client/src/lib/ring.ts';
import { sparkPath } from '../../client/src/lib/sparkline.ts';

function ring(points: Array<[number, number | null]>): Ring {
  const r = new Ring(64);
  for (const [ts, v] of points) r.push(ts, v);
  return r;
}

describe('sparkPath', () => {
  it('draws the window scaled to the box, newest at the right edge', () => {
    const d = sparkPath(ring([[0, 0], [50, 50], [100, 100]]), 100, 100, 100, 1000, 100, 10);
    assert.equal(d, 'M0 10L50 5L100 0');
  });

  it('leaves out what is older than the window and stops short when data stops', () => {
    const d = sparkPath(ring([[-50, 10], [0, 0], [40, 0]]), 100, 100, 100, 1000, 100, 10);
    assert.equal(d, 'M0 10L40 10');
  });

  it('lifts the pen over a missing value and over a hole wider than gapMs', () => {
    const d = sparkPath(ring([[0, 0], [10, null], [20, 0], [30, 0], [90, 0]]), 100, 100, 100, 25, 100, 10);
    assert.equal(d, 'M0 10M20 10L30 10M90 10');
  });

  it('keeps one point per x unit, the newest', () => {
    const d = sparkPath(ring([[0, 0], [1, 50], [2, 100]]), 100, 100, 100, 1000, 10, 10);
    assert.equal(d, 'M0 0');
  });

  it('clamps values outside 0…max', () => {
    assert.equal(sparkPath(ring([[0, -5], [100, 500]]), 100, 100, 100, 1000, 100, 10), 'M0 10L100 0');
  });
});
