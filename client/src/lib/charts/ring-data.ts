import type uPlot from 'uplot';
import type { MetricName } from '$shared/catalog.ts';
import type { HostLive } from '../host-live.svelte.ts';

/**
 * Columns of one or more metrics of a host, from its rings: the first
 * metric's timestamps (with nulls across holes) and each other metric lined
 * up on them. Every array is reused from call to call — nothing per point is
 * allocated — and a ring that did not change hands back its last columns.
 */
export function ringColumns(host: () => HostLive, metrics: () => readonly MetricName[]): () => uPlot.AlignedData {
  const aligned: (number | null)[][] = [];
  return () => {
    const h = host();
    const ms = metrics();
    const [xs, ys] = h.ring(ms[0]!).toUplot();
    const data: uPlot.AlignedData = [xs, ys];
    for (let i = 1; i < ms.length; i++) data.push(h.ring(ms[i]!).alignTo(xs, (aligned[i - 1] ??= [])));
    return data;
  };
}
