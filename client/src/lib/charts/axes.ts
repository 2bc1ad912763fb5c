import type uPlot from 'uplot';
import { AXIS_COLOR, FONT_FAMILY, GRID_COLOR } from '../theme.ts';
import { formatTick } from '../time.ts';

const FONT = `11px ${FONT_FAMILY}`;

/** 1, 2, 2.5, 5 × 10^k up to 10^12: tick steps for whole numbers. */
const WHOLE_STEPS = Array.from({ length: 13 }, (_, k) => [1, 2, 2.5, 5].map((m) => m * 10 ** k))
  .flat()
  .filter(Number.isInteger);

/** Width of a y axis from its longest label, so "1.2 MB/s" is never clipped. */
function fitToLabels(self: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = self.axes[axisIdx]!;
  // uPlot keeps the last size on the axis; reuse it on the re-measure cycles.
  const previous = (axis as { _size?: number })._size;
  if (cycleNum > 1 && previous !== undefined) return previous;
  let longest = '';
  for (const v of values ?? []) if (v.length > longest.length) longest = v;
  return Math.ceil(textWidth(self.ctx, FONT, longest) + 12);
}

/** Label widths already measured (every redraw asks again for the same few labels). */
const measured = new Map<string, number>();

/** The width of `text` in `font`, measured once. */
export function textWidth(ctx: CanvasRenderingContext2D, font: string, text: string): number {
  if (!text) return 0;
  const key = `${font}\n${text}`;
  let width = measured.get(key);
  if (width === undefined) {
    if (measured.size > 500) measured.clear();
    ctx.font = font;
    width = ctx.measureText(text).width;
    measured.set(key, width);
  }
  return width;
}

const MIN = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Tick steps in seconds: never below a second (the tick is ≥ 250 ms, labels show seconds). */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, MIN, 2 * MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY];

/** Seconds on x; one line per tick, as precise as the tick spacing needs. */
export function timeAxis({ space = 64 } = {}): uPlot.Axis {
  return {
    stroke: AXIS_COLOR,
    font: FONT,
    size: 24,
    gap: 4,
    space,
    incrs: TIME_STEPS,
    grid: { stroke: GRID_COLOR, width: 1 },
    ticks: { show: false },
    values: (_u, splits, _axisIdx, _space, incr) => splits.map((s) => formatTick(s * 1000, incr * 1000)),
  };
}

/** A y axis whose labels come from `format(value, decimals)`, decimals fitted to the tick spacing. */
export function valueAxis(
  format: (value: number, decimals: number) => string,
  { integers = false, space = 26 } = {},
): uPlot.Axis {
  return {
    stroke: AXIS_COLOR,
    font: FONT,
    size: fitToLabels,
    gap: 6,
    space,
    grid: { stroke: GRID_COLOR, width: 1 },
    ticks: { show: false },
    // Counts (connections, sessions, bytes) never get a tick at 0.5.
    ...(integers ? { incrs: WHOLE_STEPS } : {}),
    values: (_u, splits, _axisIdx, _space, incr) => {
      const decimals = incr >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(incr) - 1e-9));
      return splits.map((v) => format(v, decimals));
    },
  };
}
