/**
 * The arithmetic of reports that is not SQL: the line through hourly
 * averages (from sums the database computes), the date it reaches a
 * threshold, the union of silences, and the percentile definition the SQL
 * uses (PostgreSQL's `percentile_cont`), stated here so it can be tested.
 */
import {
  FORECAST_HORIZON_DAYS, FORECAST_MIN_POINTS, FORECAST_MIN_SPAN_DAYS, type ForecastStatus, type ForecastWindow,
} from '../../shared/reports.ts';

export const DAY_MS = 86_400_000;

/**
 * The q-quantile (0…1) of `sorted` (ascending) by linear interpolation
 * between the closest ranks — PostgreSQL's `percentile_cont(q)`, numpy's
 * default: position q·(n−1). Null for no values.
 */
export function percentileCont(sorted: readonly number[], q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Sums over points (x, y) — what SQL aggregates cheaply and a least-squares line needs. */
export interface Moments {
  n: number;
  sx: number;
  sy: number;
  sxx: number;
  sxy: number;
}

export function momentsOf(points: ReadonlyArray<readonly [number, number]>): Moments {
  const m: Moments = { n: 0, sx: 0, sy: 0, sxx: 0, sxy: 0 };
  for (const [x, y] of points) {
    m.n++;
    m.sx += x;
    m.sy += y;
    m.sxx += x * x;
    m.sxy += x * y;
  }
  return m;
}

/**
 * Ordinary least squares y = intercept + slope·x; null for fewer than two
 * distinct x. (x in days relative to the end of the range keeps the sums
 * small: no cancellation to speak of.)
 */
export function fitLine(m: Moments): { slope: number; intercept: number } | null {
  const d = m.n * m.sxx - m.sx * m.sx;
  if (m.n < 2 || !(d > 1e-12 * Math.max(1, m.n * m.sxx))) return null;
  const slope = (m.n * m.sxy - m.sx * m.sy) / d;
  return { slope, intercept: (m.sy - slope * m.sx) / m.n };
}

/** Whether a trend over `window` days has enough history: FORECAST_MIN_SPAN_DAYS of it, half of those hours present. */
export function enoughHistory(window: ForecastWindow, points: number, spanDays: number): boolean {
  return spanDays >= FORECAST_MIN_SPAN_DAYS[window] - 1e-9 && points >= FORECAST_MIN_POINTS[window];
}

export interface Crossing {
  status: ForecastStatus;
  reachesCriticalAt: number | null;
  daysToCritical: number | null;
}

/**
 * When a line with `valueAtEnd` at `endMs`, rising `slopePerDay`, reaches
 * `critical`: null when it is already there, does not rise, or gets there
 * only beyond the horizon.
 */
export function crossing(line: { slopePerDay: number; valueAtEnd: number }, critical: number | null, endMs: number, horizonDays = FORECAST_HORIZON_DAYS): Crossing {
  if (critical === null) return { status: 'no threshold', reachesCriticalAt: null, daysToCritical: null };
  if (line.valueAtEnd >= critical) return { status: 'already critical', reachesCriticalAt: null, daysToCritical: 0 };
  if (!(line.slopePerDay > 1e-9)) return { status: 'not rising', reachesCriticalAt: null, daysToCritical: null };
  const days = (critical - line.valueAtEnd) / line.slopePerDay;
  if (days > horizonDays) return { status: 'beyond horizon', reachesCriticalAt: null, daysToCritical: days };
  return { status: 'reaches critical', reachesCriticalAt: Math.round(endMs + days * DAY_MS), daysToCritical: days };
}

/** Total length of the union of [start, end) intervals clipped to [from, to), in ms. */
export function unionLength(intervals: ReadonlyArray<readonly [number, number]>, from: number, to: number): number {
  const clipped = intervals
    .map(([s, e]) => [Math.max(s, from), Math.min(e, to)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curS = -Infinity;
  let curE = -Infinity;
  for (const [s, e] of clipped) {
    if (s > curE) {
      if (curE > curS) total += curE - curS;
      curS = s;
      curE = e;
    } else if (e > curE) {
      curE = e;
    }
  }
  if (curE > curS) total += curE - curS;
  return total;
}
