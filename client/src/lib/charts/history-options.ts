import type uPlot from 'uplot';
import type { HistoryResponse } from '$shared/api.ts';
import type { MetricName } from '$shared/catalog.ts';
import { formatMetricText } from '$shared/format.ts';
import { catalog } from '../catalog.svelte.ts';
import { seriesColor, withAlpha } from '../theme.ts';
import { timeAxis, valueAxis } from './axes.ts';
import type { ChartConfig, ChartOptions } from './chart.svelte.ts';
import { axisLabel, isCount } from './live-options.ts';
import { thresholdsPlugin } from './plugins/thresholds.ts';
import { tooltipPlugin } from './plugins/tooltip.ts';
import { valueRange } from './scales.ts';

/**
 * History of one metric: the average as a line inside a min–max band. Data:
 * `[tsSec, min, avg, max]`. `span()` is the asked-for range (ms): the x axis
 * shows all of it, so a range with little data looks like one.
 */
export function historyChartOptions(metric: MetricName, span: () => [fromMs: number, toMs: number]): ChartOptions {
  const color = seriesColor(0);
  const edge = { stroke: withAlpha(color, 0.35), width: 1, points: { show: false }, spanGaps: false };
  const rows = (['Min', 'Avg', 'Max'] as const).map((label, i) => ({
    label,
    color: i === 1 ? color : withAlpha(color, 0.45),
    text: (u: uPlot, idx: number) => formatMetricText(catalog.def(metric), u.data[i + 1]?.[idx]),
  }));
  return {
    legend: { show: false },
    cursor: { y: false, drag: { x: false, y: false }, points: { size: 7 } },
    scales: {
      x: {
        time: true,
        range: () => {
          const [from, to] = span();
          return [from / 1000, to / 1000];
        },
      },
      y: { range: valueRange(metric) },
    },
    axes: [timeAxis({ space: 90 }), valueAxis((v, d) => axisLabel(metric, v, d), { integers: isCount(metric), space: 40 })],
    series: [
      {},
      { label: 'Min', ...edge },
      { label: catalog.def(metric).label, stroke: color, width: 2, points: { show: false }, spanGaps: false },
      { label: 'Max', ...edge },
    ],
    bands: [{ series: [3, 1], fill: withAlpha(color, 0.16) }],
    plugins: [thresholdsPlugin(metric), tooltipPlugin(rows, { withDate: true })],
  };
}

/**
 * `[tsMs, min, avg, max]` rows → uPlot columns (seconds). Buckets without
 * samples may be left out by the server: where rows are much further apart
 * than a bucket (or a tick, `intervalMs`), a null row makes the chart show the hole.
 */
export function historyColumns(result: HistoryResponse, intervalMs: number): uPlot.AlignedData {
  const gapMs = 2.5 * Math.max(result.stepMs, intervalMs);
  const xs: number[] = [];
  const mins: (number | null)[] = [];
  const avgs: (number | null)[] = [];
  const maxs: (number | null)[] = [];
  let prev = Number.NaN;
  for (const [ts, min, avg, max] of result.points) {
    if (ts - prev > gapMs) {
      xs.push((prev + ts) / 2000);
      mins.push(null);
      avgs.push(null);
      maxs.push(null);
    }
    xs.push(ts / 1000);
    mins.push(min);
    avgs.push(avg);
    maxs.push(max);
    prev = ts;
  }
  return [xs, mins, avgs, maxs];
}

/** The history chart of one answer: drawn again when another answer (or tick) comes. */
export function historyChart(result: () => HistoryResponse, intervalMs: () => number): ChartConfig {
  return {
    options: () => historyChartOptions(result().metric, () => [result().from, result().to]),
    data: () => historyColumns(result(), intervalMs()),
    changed: () => [result(), intervalMs()],
  };
}
