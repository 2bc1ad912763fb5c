import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ring } from '../../client/src/lib/ring.ts';

function filled(capacity: number, tsList: number[], gapMs?: number): Ring {
  const ring = new Ring(capacity, gapMs === undefined ? {} : { gapMs });
  for (const ts of tsList) ring.push(ts, ts / 1000);
  return ring;
}

describe('Ring', () => {
  it('keeps samples oldest first while under capacity', () => {
    const ring = filled(4, [1000, 2000, 3000]);
    assert.equal(ring.length, 3);
    assert.equal(ring.firstTs(), 1000);
    assert.equal(ring.lastTs(), 3000);
    assert.deepEqual(ring.toUplot(), [[1, 2, 3], [1, 2, 3]]);
  });

  it('overwrites the oldest samples once full, keeping a fixed capacity', () => {
    const ring = filled(3, [1000, 2000, 3000, 4000, 5000]);
    assert.equal(ring.length, 3);
    assert.equal(ring.capacity, 3);
    assert.deepEqual(ring.toUplot(), [[3, 4, 5], [3, 4, 5]]);
  });

  it('stays bounded over many wraps', () => {
    const ring = new Ring(100);
    for (let i = 0; i < 100_000; i++) ring.push(i * 1000, i);
    assert.equal(ring.length, 100);
    assert.equal(ring.firstTs(), 99_900_000);
    assert.equal(ring.lastValue(), 99_999);
  });

  it('stores null values as gaps and returns them as null', () => {
    const ring = new Ring(4);
    ring.push(1000, 1);
    ring.push(2000, null);
    ring.push(3000, Number.NaN);
    ring.push(4000, 4);
    assert.deepEqual(ring.toUplot()[1], [1, null, null, 4]);
    assert.equal(ring.valueAt(1), null);
  });

  it('knows whether it holds any value or only gaps', () => {
    const ring = new Ring(3);
    assert.equal(ring.hasValue(), false);
    ring.push(1000, null);
    assert.equal(ring.hasValue(), false);
    ring.push(2000, 0);
    ring.push(3000, null);
    assert.equal(ring.hasValue(), true);
  });

  it('replaces the value of a timestamp it already holds, newest or older', () => {
    const ring = filled(4, [1000, 2000, 3000]);
    assert.equal(ring.push(3000, 9), true);
    assert.equal(ring.push(2000, 8), true);
    assert.deepEqual(ring.toUplot(), [[1, 2, 3], [1, 8, 9]]);
  });

  it('merges an older sample into place while there is room', () => {
    const ring = filled(8, [1000, 2000, 4000, 5000]);
    assert.equal(ring.push(3000, 3), true);
    assert.equal(ring.push(500, 0.5), true);
    assert.equal(ring.push(4500, 4.5), true);
    assert.deepEqual(ring.toUplot(), [[0.5, 1, 2, 3, 4, 4.5, 5], [0.5, 1, 2, 3, 4, 4.5, 5]]);
  });

  it('merges older samples into place across the wrap point, either side shifting', () => {
    // Head in the middle of the storage: 3 samples fell off, then 2 were dropped from the old end.
    const ring = filled(6, [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000]);
    ring.dropBefore(6000);
    assert.deepEqual(ring.toUplot()[0], [6, 7, 8, 9]);
    ring.push(8500, 8.5); // near the newest end: the newer side moves
    ring.push(6500, 6.5); // near the oldest end: the older side moves
    assert.deepEqual(ring.toUplot(), [[6, 6.5, 7, 8, 8.5, 9], [6, 6.5, 7, 8, 8.5, 9]]);
    assert.equal(ring.length, 6);
  });

  it('drops the oldest sample when an older one is merged into a full ring', () => {
    const ring = filled(4, [1000, 2000, 4000, 5000]);
    assert.equal(ring.push(3000, 3), true);
    assert.deepEqual(ring.toUplot()[0], [2, 3, 4, 5]);
    assert.equal(ring.push(1500, 1.5), false, 'older than all a full ring holds: it would fall off at once');
    assert.deepEqual(ring.toUplot()[0], [2, 3, 4, 5]);
  });

  it('keeps a backlog replayed behind live data in time order', () => {
    const ring = new Ring(50);
    for (let ts = 30_000; ts <= 40_000; ts += 1000) ring.push(ts, ts); // live, after the agent came back
    for (let ts = 10_000; ts < 30_000; ts += 1000) ring.push(ts, ts); // its backlog, oldest first
    const [xs] = ring.toUplot();
    assert.equal(ring.length, 31);
    assert.deepEqual(xs, Array.from({ length: 31 }, (_, i) => 10 + i));
  });

  it('ignores a sample without a valid timestamp', () => {
    const ring = filled(4, [1000]);
    assert.equal(ring.push(Number.NaN, 1), false);
    assert.equal(ring.length, 1);
  });

  it('inserts a null between samples further apart than gapMs', () => {
    const ring = filled(8, [1000, 2000, 10_000, 11_000], 2500);
    assert.deepEqual(ring.toUplot(), [[1, 2, 6, 10, 11], [1, 2, null, 10, 11]]);
  });

  it('does not cut a slow series into dots', () => {
    const ring = filled(8, [0, 60_000, 120_000], 2500);
    assert.deepEqual(ring.toUplot()[1], [0, 60, 120]);
  });

  it('reuses its output arrays between calls', () => {
    const ring = filled(4, [1000, 2000]);
    const [x1, y1] = ring.toUplot();
    ring.push(3000, 3);
    const [x2, y2] = ring.toUplot();
    assert.equal(x1, x2);
    assert.equal(y1, y2);
    assert.deepEqual(x2, [1, 2, 3]);
  });

  it('merges a snapshot: its timestamps get its values', () => {
    const ring = filled(10, [1000, 2000, 3000, 4000]);
    ring.merge([
      [3000, 30],
      [4000, 40],
      [5000, 50],
    ]);
    assert.deepEqual(ring.toUplot(), [[1, 2, 3, 4, 5], [1, 2, 30, 40, 50]]);
  });

  it('merges a run that starts before everything it holds, keeping the newest window', () => {
    const ring = filled(3, [5000, 6000]);
    ring.merge([
      [1000, 1],
      [2000, 2],
      [3000, 3],
      [4000, 4],
    ]);
    assert.deepEqual(ring.toUplot(), [[4, 5, 6], [4, 5, 6]]);
  });

  it('merges a host window into thinned points and live samples without losing either', () => {
    const ring = filled(20, [0, 10_000, 20_000, 21_000, 22_000]); // overview points, then live ones
    ring.merge(Array.from({ length: 21 }, (_, i): [number, number] => [i * 1000, i * 1000 / 1000]));
    assert.deepEqual(ring.toUplot()[0], Array.from({ length: 20 }, (_, i) => i + 3), 'the newest 20 seconds, in order');
    assert.equal(ring.lastTs(), 22_000);
  });

  it('merges nothing from an empty snapshot', () => {
    const ring = filled(3, [1000]);
    ring.merge([]);
    assert.equal(ring.length, 1);
  });

  it('drops samples older than a cut-off, also across the wrap point', () => {
    const ring = filled(4, [1000, 2000, 3000, 4000, 5000, 6000]);
    ring.dropBefore(4500);
    assert.deepEqual(ring.toUplot()[0], [5, 6]);
    ring.push(7000, 7);
    assert.deepEqual(ring.toUplot()[0], [5, 6, 7]);
    ring.dropBefore(99_000);
    assert.equal(ring.length, 0);
    assert.equal(ring.lastTs(), null);
  });

  it('truncates from a timestamp on', () => {
    const ring = filled(4, [1000, 2000, 3000]);
    ring.truncateFrom(2000);
    assert.deepEqual(ring.toUplot()[0], [1]);
  });

  it('aligns its values to another series x column', () => {
    const rx = filled(8, [1000, 2000, 3000, 4000]);
    const tx = new Ring(8);
    tx.push(2000, 20);
    tx.push(4000, 40);
    tx.push(5000, 50);
    const [xs] = rx.toUplot();
    assert.deepEqual(tx.alignTo(xs), [null, 20, null, 40]);
  });

  it('aligns millisecond timestamps that do not divide evenly into seconds', () => {
    const a = filled(4, [1_700_000_000_123, 1_700_000_001_457]);
    const b = new Ring(4);
    b.push(1_700_000_000_123, 1);
    b.push(1_700_000_001_457, 2);
    assert.deepEqual(b.alignTo(a.toUplot()[0]), [1, 2]);
  });

  it('resizes keeping the newest samples', () => {
    const ring = filled(5, [1000, 2000, 3000, 4000, 5000]);
    const smaller = ring.resized(2);
    assert.deepEqual(smaller.toUplot()[0], [4, 5]);
    const larger = ring.resized(10);
    assert.equal(larger.capacity, 10);
    assert.equal(larger.length, 5);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new Ring(0), RangeError);
    assert.throws(() => new Ring(2.5), RangeError);
  });
});
