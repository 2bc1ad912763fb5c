import uPlot from 'uplot';
import type { MetricName } from '$shared/catalog.ts';
import { catalog } from '../catalog.svelte.ts';

/**
 * The y range of a metric: the catalog's fixed bounds (percentages: 0–100),
 * else from 0 to a round number above the data.
 */
export function valueRange(metric: MetricName): uPlot.Scale.Range {
  const max = catalog.def(metric).max;
  if (max !== undefined) return [0, max];
  return (_u, dataMin, dataMax) => {
    const lo = dataMin == null || dataMin >= 0 ? 0 : dataMin;
    const hi = dataMax == null || dataMax <= lo ? lo + 1 : dataMax;
    const [nLo, nHi] = uPlot.rangeNum(lo, hi, 0.1, true);
    return [lo === 0 ? 0 : nLo, nHi];
  };
}
