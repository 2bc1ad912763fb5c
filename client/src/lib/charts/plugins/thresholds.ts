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

/** How the lines and their labels look. */
export interface ThresholdLook {
  /** Label size in CSS pixels. */
  fontPx: number;
  /** Line width and dashes grow with this (1 on a card; larger on a wall screen). */
  scale: number;
  /** A dark wall screen: bold labels on a dark plate; otherwise on a light one. */
  dark: boolean;
}

const ON_GLASS: ThresholdLook = { fontPx: 10, scale: 1, dark: false };

/**
 * Dashed warning and critical lines at the thresholds of `metric` (the
 * catalog's unless `lines` are given), labelled with word and value at the
 * right edge on a plate, so busy data underneath does not swallow them and
 * colour is never the only cue (critical above its line, warning below, so
 * close thresholds do not collide); lines outside the y range are skipped.
 */
export function thresholdsPlugin(
  metric: MetricName,
  { scaleKey = 'y', lines: given, look = ON_GLASS }: { scaleKey?: string; lines?: readonly ThresholdLine[]; look?: ThresholdLook } = {},
): uPlot.Plugin {
  const def = catalog.def(metric);
  const lines = (given ?? catalogThresholds(metric)).map((t) => ({
    value: t.value,
    above: t.level === 'critical',
    color: STATUS_COLOR[t.level],
    label: `${STATUS_LABEL[t.level]} ${t.operator ? `${t.operator} ` : ''}${formatMetricText(def, t.value)}`,
  }));
  const { fontPx, scale, dark } = look;

  function draw(u: uPlot): void {
    if (lines.length === 0) return;
    const { ctx, bbox } = u;
    const px = uPlot.pxRatio;
    const unit = scale * px;
    ctx.save();
    ctx.font = `${dark ? '700 ' : ''}${Math.round(fontPx * px)}px ${FONT_FAMILY}`;
    ctx.textAlign = 'right';
    for (const line of lines) {
      const y = Math.round(u.valToPos(line.value, scaleKey, true)) + 0.5;
      if (!Number.isFinite(y) || y < bbox.top || y > bbox.top + bbox.height) continue;
      ctx.strokeStyle = withAlpha(line.color, 0.85);
      ctx.lineWidth = (dark ? 2 : 1) * unit;
      ctx.setLineDash(dark ? [8 * unit, 6 * unit] : [5 * unit, 4 * unit]);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      const pad = (dark ? 4 : 2) * px;
      const x = bbox.left + bbox.width - 4 * px;
      const textY = line.above ? y - pad : y + pad;
      const w = ctx.measureText(line.label).width;
      const h = fontPx * 1.2 * px;
      ctx.fillStyle = dark ? 'rgba(10, 14, 30, 0.82)' : 'rgba(255, 255, 255, 0.78)';
      ctx.fillRect(x - w - pad, line.above ? textY - h : textY, w + 2 * pad, h);
      ctx.fillStyle = line.color;
      ctx.textBaseline = line.above ? 'bottom' : 'top';
      ctx.fillText(line.label, x, textY);
    }
    ctx.restore();
  }

  return { hooks: { draw } };
}
