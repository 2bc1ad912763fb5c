import type uPlot from 'uplot';
import type { MetricName } from '$shared/catalog.ts';
import { formatMetric, formatMetricText } from '$shared/format.ts';
import { catalog } from '../catalog.svelte.ts';
import type { HostLive } from '../host-live.svelte.ts';
import { seriesColor } from '../theme.ts';
import { timeAxis, valueAxis } from './axes.ts';
import type { ChartConfig, ChartOptions } from './chart.svelte.ts';
import { gradientFill } from './fill.ts';
import { thresholdsPlugin, type ThresholdLine } from './plugins/thresholds.ts';
import { tooltipPlugin } from './plugins/tooltip.ts';
import { ringColumns } from './ring-data.ts';
import { valueRange } from './scales.ts';

/** Axis label of a value: "80%", "2.5 ms", "1.2 MB/s" (byte rates scale themselves). */
export function axisLabel(metric: MetricName, value: number, decimals: number): string {
  const def = catalog.def(metric);
  const formatted = formatMetric(def, value);
  const text = def.unit === 'B/s' ? formatted.value : value.toFixed(decimals);
  const unit = formatted.unit;
  return unit === '' || unit === '%' ? `${text}${unit}` : `${text} ${unit}`;
}

/** Whether a metric is shown without decimals (counts, bytes): its axis ticks are whole numbers. */
export function isCount(metric: MetricName): boolean {
  return catalog.def(metric).decimals === 0;
}

/** A streaming chart of one or more metrics sharing a unit (first metric decides the y axis; its thresholds are the catalog's unless given). */
export function liveChartOptions(metrics: readonly MetricName[], thresholds?: readonly ThresholdLine[]): ChartOptions {
  const first = metrics[0]!;
  const series: uPlot.Series[] = metrics.map((metric, i) => ({
    label: catalog.def(metric).label,
    stroke: seriesColor(i),
    width: 2,
    fill: gradientFill(seriesColor(i), metrics.length > 1 ? 0.16 : 0.28),
    points: { show: false },
    spanGaps: false,
  }));
  return {
    legend: { show: false },
    cursor: { y: false, drag: { x: false, y: false }, points: { size: 7 } },
    scales: { x: { time: true }, y: { range: valueRange(first) } },
    axes: [timeAxis(), valueAxis((v, d) => axisLabel(first, v, d), { integers: isCount(first) })],
    series: [{}, ...series],
    plugins: [
      thresholdsPlugin(first, { lines: thresholds }),
      tooltipPlugin(
        metrics.map((metric, i) => ({
          label: catalog.def(metric).label,
          color: seriesColor(i),
          text: (u, idx) => formatMetricText(catalog.def(metric), u.data[i + 1]?.[idx]),
        })),
      ),
    ],
  };
}

/**
 * A dashboard chart of a host's metrics over the live window: redrawn when
 * the host's rings change (`version`), from the rings themselves.
 */
export function liveChart(host: () => HostLive, metrics: () => readonly MetricName[], thresholds: () => readonly ThresholdLine[] | undefined): ChartConfig {
  return {
    options: () => liveChartOptions(metrics(), thresholds()),
    data: ringColumns(host, metrics),
    changed: () => host().version,
  };
}
