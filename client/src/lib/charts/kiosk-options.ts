/**
 * uPlot options for the wall screen: dark, thick lines, labels sized from the
 * element's font (the kiosk's root font follows the screen height, so a 4K
 * screen gets twice the pixels), no cursor or tooltip (nobody holds a mouse),
 * and an x axis that ends at *now*: when data stops, the line stops short of
 * the right edge and the hole grows, instead of a frozen chart looking live.
 */
import uPlot from 'uplot';
import type { MetricName } from '$shared/catalog.ts';
import { SNAPSHOT_WINDOW_MS } from '$shared/events.ts';
import { catalog } from '../catalog.svelte.ts';
import type { HostLive } from '../host-live.svelte.ts';
import type { ChartConfig, ChartOptions } from './chart.svelte.ts';
import { textWidth } from './axes.ts';
import { axisLabel, isCount } from './live-options.ts';
import { thresholdsPlugin } from './plugins/thresholds.ts';
import { ringColumns } from './ring-data.ts';
import { gradientFill } from './fill.ts';
import { valueRange } from './scales.ts';
import { FONT_FAMILY } from '../theme.ts';
import { formatTick } from '../time.ts';

/** Line colours on the dark glass: the brand's hues, lightened to stand out from across a room. */
export const KIOSK_SERIES_COLORS = ['#8fa2ff', '#d39bff', '#64b5f6', '#4dd0c4'] as const;
const AXIS_COLOR = '#b8c0dc';
const GRID_COLOR = 'rgba(184, 192, 220, 0.13)';

export function kioskSeriesColor(i: number): string {
  return KIOSK_SERIES_COLORS[i % KIOSK_SERIES_COLORS.length]!;
}

const TIME_STEPS = [60, 120, 300, 600, 900, 1800, 3600];
const WHOLE_STEPS = Array.from({ length: 13 }, (_, k) => [1, 2, 2.5, 5].map((m) => m * 10 ** k))
  .flat()
  .filter(Number.isInteger);

export interface KioskChartInput {
  metrics: readonly MetricName[];
  /** The element's font size in CSS px: every label scales from it. */
  fontPx: number;
  /** The x window in seconds (15 min). */
  windowSec: number;
  /** Right edge of the x axis in seconds: now, or the newest sample if that is later. */
  xEnd: () => number | null;
}

export function kioskChartOptions({ metrics, fontPx, windowSec, xEnd }: KioskChartInput): ChartOptions {
  const first = metrics[0]!;
  const axisFontPx = Math.round(fontPx * 0.6);
  const font = `600 ${axisFontPx}px ${FONT_FAMILY}`;
  const fitY = (self: uPlot, values: string[] | null): number => {
    let longest = '';
    for (const v of values ?? []) if (v.length > longest.length) longest = v;
    return Math.ceil(textWidth(self.ctx, font, longest) + axisFontPx * 0.8);
  };
  return {
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: {
        time: true,
        range: (_u, min, max) => {
          const end = xEnd();
          return end === null ? [min, max] : [end - windowSec, end];
        },
      },
      y: { range: valueRange(first) },
    },
    axes: [
      {
        stroke: AXIS_COLOR,
        font,
        size: Math.round(axisFontPx * 1.7),
        gap: Math.round(axisFontPx * 0.3),
        space: axisFontPx * 5,
        incrs: TIME_STEPS,
        grid: { stroke: GRID_COLOR, width: 1 },
        ticks: { show: false },
        // A label too close to the left edge would run into the y axis's bottom label: left out.
        values: (u, splits, _i, _s, incr) => {
          const { min = 0, max = 1 } = u.scales.x!;
          const widthPx = u.bbox.width / uPlot.pxRatio;
          return splits.map((s) => (((s - min) / (max - min || 1)) * widthPx < axisFontPx * 1.8 ? null : formatTick(s * 1000, incr * 1000)));
        },
      },
      {
        stroke: AXIS_COLOR,
        font,
        size: fitY,
        gap: Math.round(axisFontPx * 0.35),
        space: axisFontPx * 2.2,
        grid: { stroke: GRID_COLOR, width: 1 },
        ticks: { show: false },
        ...(isCount(first) ? { incrs: WHOLE_STEPS } : {}),
        values: (_u, splits, _i, _s, incr) => {
          const decimals = incr >= 1 ? 0 : Math.min(4, Math.ceil(-Math.log10(incr) - 1e-9));
          return splits.map((v) => axisLabel(first, v, decimals));
        },
      },
    ],
    series: [
      {},
      ...metrics.map(
        (metric, i): uPlot.Series => ({
          label: catalog.def(metric).label,
          stroke: kioskSeriesColor(i),
          width: Math.max(2, fontPx / 9),
          fill: gradientFill(kioskSeriesColor(i), metrics.length > 1 ? 0.18 : 0.32),
          points: { show: false },
          spanGaps: false,
        }),
      ),
    ],
    plugins: [thresholdsPlugin(first, { look: { fontPx: axisFontPx * 0.85, scale: axisFontPx / 16, dark: true } })],
  };
}

/** Redraws at most this often: shorter than the fastest tick (250 ms), so live data is never held back, yet a flood costs little. */
const MIN_DRAW_GAP_MS = 200;

/**
 * A wall-screen chart of a host's metrics over the live window, its x axis
 * ending at `serverNow()` (server time, ms). `changed` says when to redraw:
 * every sample while the host is live, every second while not (the axis
 * keeps moving to now, so a hole opens at the right). The element carries
 * what tests check, as drawn: points on the chart, values, holes, first and
 * newest sample.
 */
export function kioskChart(host: () => HostLive, metrics: () => readonly MetricName[], serverNow: () => number, changed: () => unknown): ChartConfig {
  const columns = ringColumns(host, metrics);
  let xEnd: number | null = null;
  return {
    options: (el) =>
      kioskChartOptions({
        metrics: metrics(),
        fontPx: Number.parseFloat(getComputedStyle(el).fontSize) || 16,
        windowSec: SNAPSHOT_WINDOW_MS / 1000,
        xEnd: () => xEnd,
      }),
    data: () => {
      const data = columns();
      xEnd = Math.max(serverNow(), host().ring(metrics()[0]!).lastTs() ?? 0) / 1000;
      return data;
    },
    changed,
    minGapMs: MIN_DRAW_GAP_MS,
    drawn: (el, data) => {
      const first = host().ring(metrics()[0]!);
      let values = 0;
      for (const y of data[1] ?? []) if (y != null) values++;
      el.dataset.points = String(first.length);
      el.dataset.values = String(values);
      el.dataset.gaps = String(data[0].length - first.length);
      el.dataset.firstTs = String(first.firstTs() ?? '');
      el.dataset.lastTs = String(first.lastTs() ?? '');
    },
  };
}
