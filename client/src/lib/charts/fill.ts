import type uPlot from 'uplot';
import { withAlpha } from '../theme.ts';

/** A vertical gradient under a line: the colour at the top fading out at the bottom. */
export function gradientFill(color: string, topAlpha = 0.28): uPlot.Series.Fill {
  return (u) => {
    const { top, height } = u.bbox;
    if (!Number.isFinite(top) || height <= 0) return withAlpha(color, topAlpha / 2);
    const g = u.ctx.createLinearGradient(0, top, 0, top + height);
    g.addColorStop(0, withAlpha(color, topAlpha));
    g.addColorStop(1, withAlpha(color, 0.02));
    return g;
  };
}
