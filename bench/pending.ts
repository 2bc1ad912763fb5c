/**
 * DESIGN.md targets this suite does not measure yet. They are listed with
 * met: null and the reason, never with a made-up figure.
 */
import { notMeasured, type BenchResult } from './lib.ts';

export async function run(): Promise<BenchResult[]> {
  return [
    notMeasured('viewers held by one node at 1 Hz × 1 kB', '≥ 5,000 within 100 ms, ≤ 1 core', 'needs load-generator processes beyond this 2-core machine; this suite goes to 100 viewers'),
    notMeasured('dashboard load to first drawn chart, loopback', '< 1 s', 'browser benchmark not written yet'),
    notMeasured('browser main-thread time per 1 Hz update, 10 charts × 3,600 points', '≤ 2 ms', 'browser benchmark not written yet'),
    notMeasured('wall screen, 24 h of 1 Hz data (accelerated), heap growth', '< 10 %', 'browser benchmark not written yet'),
  ];
}
