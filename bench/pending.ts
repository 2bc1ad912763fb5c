/**
 * DESIGN.md targets this suite does not measure. They are listed with
 * met: null and the reason, never with a made-up figure.
 */
import { notMeasured, type BenchResult } from './lib.ts';

export async function run(): Promise<BenchResult[]> {
  return [
    notMeasured(
      'wall screen, 24 h of 1 Hz data (accelerated), heap growth',
      '< 10 %',
      'measured by the browser test tests/e2e/kiosk-soak.test.ts (it asserts a bound; a day of data fed at speed takes minutes), not by this suite',
    ),
  ];
}
