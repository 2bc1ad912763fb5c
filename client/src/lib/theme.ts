import type { Status } from '$shared/status.ts';

/**
 * Colours for canvas drawing (uPlot). CSS has the same values as custom
 * properties in app.css: change both together.
 */
export const STATUS_COLOR: Record<Status, string> = {
  normal: '#4caf50',
  warning: '#ff9800',
  critical: '#f44336',
  unknown: '#9e9e9e',
};

/** Series colours, in order: the brand gradient's ends first. */
export const SERIES_COLORS = ['#667eea', '#764ba2', '#2196f3', '#26a69a'] as const;

export const AXIS_COLOR = '#6b7280';
export const GRID_COLOR = 'rgba(102, 126, 234, 0.10)';
export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif';

export function seriesColor(index: number): string {
  return SERIES_COLORS[index % SERIES_COLORS.length]!;
}

/** `#667eea` + alpha → `rgba(…)`. */
export function withAlpha(hex: string, alpha: number): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
