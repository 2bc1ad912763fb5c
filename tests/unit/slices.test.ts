import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringifyInSlices, timeSlices } from '../../server/lib/slices.ts';

test('stringifyInSlices writes exactly what JSON.stringify writes, whatever the list and the chunk', async () => {
  const points = Array.from({ length: 1234 }, (_, i) => [1_700_000_000_000 + i * 8640, i / 3, i === 7 ? null : -i * 1e-9, Number.MAX_VALUE]);
  const head = { metric: 'cpu.usage_percent', unit: '%', host: 'a "quoted" host', from: 1, to: 2, stepMs: 8640 };
  for (const chunk of [1, 7, 500, 5000]) {
    assert.equal(await stringifyInSlices(head, 'points', points, chunk), JSON.stringify({ ...head, points }), `chunk ${chunk}`);
  }
  assert.equal(await stringifyInSlices(head, 'points', []), JSON.stringify({ ...head, points: [] }));
  assert.equal(await stringifyInSlices({}, 'points', [1, 2]), '{"points":[1,2]}');
});

test('timeSlices yields to the event loop once the slice has used its budget, and not before', async () => {
  const slices = timeSlices(20);
  let timerRan = false;
  setImmediate(() => (timerRan = true));
  await slices.pause(); // well under 20 ms since creation: no yield
  assert.equal(timerRan, false);
  const until = performance.now() + 25;
  while (performance.now() < until); // hold the loop past the budget
  await slices.pause();
  assert.equal(timerRan, true);
});
