import type { Ring } from './ring.ts';

/**
 * An SVG path (in a `width` × `height` box) of a ring's samples within the
 * `windowMs` ending at `endMs`, values scaled from 0 to `max`: at most one
 * point per x unit (the newest), and the pen lifted over a missing value or
 * where samples lie more than `gapMs` apart. A host that went quiet draws a
 * line that stops short of the right edge.
 */
export function sparkPath(ring: Ring, endMs: number, windowMs: number, max: number, gapMs: number, width = 100, height = 24): string {
  const start = endMs - windowMs;
  const xs: number[] = [];
  const ys: number[] = [];
  const moves: boolean[] = [];
  let prevTs = Number.NEGATIVE_INFINITY;
  let pen = false;
  for (let i = 0; i < ring.length; i++) {
    const ts = ring.tsAt(i);
    const v = ring.valueAt(i);
    if (ts < start) continue;
    if (ts - prevTs > gapMs) pen = false;
    prevTs = ts;
    if (v === null) {
      pen = false;
      continue;
    }
    const x = Math.round(((ts - start) / windowMs) * width);
    const y = Math.round((height - (Math.min(Math.max(v, 0), max) / max) * height) * 10) / 10;
    if (pen && xs[xs.length - 1] === x) ys[ys.length - 1] = y;
    else {
      xs.push(x);
      ys.push(y);
      moves.push(!pen);
    }
    pen = true;
  }
  let d = '';
  for (let k = 0; k < xs.length; k++) d += `${moves[k] ? 'M' : 'L'}${xs[k]} ${ys[k]}`;
  return d;
}
