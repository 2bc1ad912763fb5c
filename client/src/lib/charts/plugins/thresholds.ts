import uPlot from 'uplot';
import type { MetricName } from '$shared/catalog.ts';
import { formatMetricText } from '$shared/format.ts';
import { STATUS_LABEL } from '$shared/status.ts';
import { catalog } from '../../catalog.svelte.ts';
import { FONT_FAMILY, STATUS_COLOR, withAlpha } from '../../theme.ts';

/** One dashed line: a level's threshold, from the catalog or from an alert rule. */
export interface ThresholdLine {
  level: 'warning' | 'critical';
  value: number;
  /** Shown before the value when the bad side is not "at or above" (a rule on `<`). */
  operator?: string;
}

/** The catalog's warning and critical thresholds of `metric`, as lines. */
export function catalogThresholds(metric: MetricName): ThresholdLine[] {
  const def = catalog.def(metric);
  return (['warning', 'critical'] as const).flatMap((level) => (def[level] === undefined ? [] : [{ level, value: def[level] }]));
}

/**
 * Dashed warning and critical lines at the thresholds of `metric` (the
 * catalog's unless `given`), labelled at the right edge (critical above its
 * line, warning below, so close thresholds do not collide); lines outside the
 * y range are skipped.
 */
export function thresholdsPlugin(metric: MetricName, scaleKey = 'y', given?: readonly ThresholdLine[]): uPlot.Plugin {
  const def = catalog.def(metric);
  const lines = (given ?? catalogThresholds(metric)).map((t) => ({
    value: t.value,
    above: t.level === 'critical',
    color: STATUS_COLOR[t.level],
    label: `${STATUS_LABEL[t.level]} ${t.operator ? `${t.operator} ` : ''}${formatMetricText(def, t.value)}`,
  }));

  function draw(u: uPlot): void {
    if (lines.length === 0) return;
    const { ctx, bbox } = u;
    const px = uPlot.pxRatio;
    ctx.save();
    ctx.font = `${Math.round(10 * px)}px ${FONT_FAMILY}`;
    ctx.textAlign = 'right';
    for (const line of lines) {
      const y = Math.round(u.valToPos(line.value, scaleKey, true)) + 0.5;
      if (!Number.isFinite(y) || y < bbox.top || y > bbox.top + bbox.height) continue;
      ctx.strokeStyle = withAlpha(line.color, 0.85);
      ctx.lineWidth = px;
      ctx.setLineDash([5 * px, 4 * px]);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      // The label sits on a light plate so busy data underneath does not swallow it.
      const x = bbox.left + bbox.width - 4 * px;
      const textY = line.above ? y - 2 * px : y + 2 * px;
      const w = ctx.measureText(line.label).width;
      const h = 12 * px;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.78)';
      ctx.fillRect(x - w - 2 * px, line.above ? textY - h : textY, w + 4 * px, h);
      ctx.fillStyle = line.color;
      ctx.textBaseline = line.above ? 'bottom' : 'top';
      ctx.fillText(line.label, x, textY);
    }
    ctx.restore();
  }

  return { hooks: { draw } };
}
