import { isSeriesName, type MetricName } from '$shared/catalog.ts';
import type { HistoryResponse } from '$shared/api.ts';
import { API } from '$shared/routes.ts';
import { getJson } from './api.ts';
import { LoadState } from './load-state.svelte.ts';

export const RANGES = [
  { key: '1h', label: '1 h', ms: 3_600_000 },
  { key: '6h', label: '6 h', ms: 6 * 3_600_000 },
  { key: '24h', label: '24 h', ms: 24 * 3_600_000 },
  { key: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { key: '30d', label: '30 d', ms: 30 * 86_400_000 },
] as const;

export type RangeKey = (typeof RANGES)[number]['key'];

/** Rows asked for: about one per two pixels of a wide chart. */
const POINTS = 720;

function isRangeKey(key: string | null): key is RangeKey {
  return RANGES.some((r) => r.key === key);
}

/**
 * The history page's selection and its last answer. Fetched when the
 * selection changes or on request — never on a timer.
 */
export class HistoryView extends LoadState {
  metric = $state<MetricName>('cpu.usage_percent');
  range = $state<RangeKey>('1h');
  /** null: the server's default host. */
  host = $state<string | null>(null);
  result = $state.raw<HistoryResponse | null>(null);

  /** Takes `?metric=&range=&host=` from a page URL. */
  readQuery(search: string): void {
    const q = new URLSearchParams(search);
    const metric = q.get('metric');
    const range = q.get('range');
    if (isSeriesName(metric)) this.metric = metric;
    if (isRangeKey(range)) this.range = range;
    this.host = q.get('host') || null;
  }

  toQuery(): string {
    const q = new URLSearchParams({ metric: this.metric, range: this.range });
    if (this.host) q.set('host', this.host);
    return `?${q}`;
  }

  load(): Promise<void> {
    const to = Date.now();
    const from = to - RANGES.find((r) => r.key === this.range)!.ms;
    return this.track('loading the history', async (signal) => {
      const result = await getJson<HistoryResponse>(API.metricsHistory, { metric: this.metric, host: this.host ?? undefined, from, to, points: POINTS }, signal);
      if (!signal.aborted) this.result = result;
    });
  }
}
