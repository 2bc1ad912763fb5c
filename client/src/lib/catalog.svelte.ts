import { SvelteMap } from 'svelte/reactivity';
import type { CatalogResponse } from '$shared/api.ts';
import { BUILTIN_METRICS, builtinInfo, metricDef, seriesFamily, type MetricDef, type MetricInfo, type MetricName } from '$shared/catalog.ts';
import { API } from '$shared/routes.ts';
import { getJson } from './api.ts';
import { LoadState } from './load-state.svelte.ts';

/** Built-in metrics are grouped in pickers by the name's area (`cpu.…`, `db.…`). */
const AREAS: Record<string, string> = {
  cpu: 'CPU',
  memory: 'Memory',
  disk: 'Disk',
  net: 'Network',
  db: 'Database',
  host: 'Hosts',
  app: 'Viewers',
  self: 'glasswatch server',
};

export interface MetricGroup {
  title: string;
  metrics: MetricInfo[];
}

/**
 * Every metric the client can name: the compiled built-ins and the runtime
 * catalog (scraped and pushed series), learnt from the snapshot, the
 * `catalog` event and `GET API.metricsCatalog`. `def(name)` is what every
 * card, chart, alert and picker formats, labels and thresholds with.
 */
class CatalogStore extends LoadState {
  #runtime = new SvelteMap<MetricName, MetricInfo>();

  /** The definition of any metric (reactive: a runtime metric's arrives with the catalog). */
  def(name: MetricName): MetricDef {
    return metricDef(name, this.#runtime);
  }

  add(entries: readonly MetricInfo[]): void {
    for (const e of entries) if (!e.builtin) this.#runtime.set(e.name, e);
  }

  /** Fetches the whole catalog (pages with metric pickers; the socket keeps it current afterwards). */
  load(): Promise<void> {
    return this.track('loading the metric catalog', async (signal) => this.add((await getJson<CatalogResponse>(API.metricsCatalog, {}, signal)).metrics));
  }

  /** Picker groups: built-ins by area, runtime series by family (one-series families together as "Application"). */
  groups = $derived.by((): MetricGroup[] => {
    const groups: MetricGroup[] = Object.entries(AREAS).map(([area, title]) => ({
      title,
      metrics: BUILTIN_METRICS.filter((m) => m.split('.')[0] === area).map(builtinInfo),
    }));
    const families = new Map<string, MetricInfo[]>();
    for (const info of [...this.#runtime.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const family = seriesFamily(info.name);
      families.set(family, [...(families.get(family) ?? []), info]);
    }
    const single: MetricInfo[] = [];
    for (const [title, metrics] of families) {
      if (metrics.length > 1) groups.push({ title, metrics });
      else single.push(...metrics);
    }
    if (single.length) groups.push({ title: 'Application', metrics: single });
    return groups;
  });
}

export const catalog = new CatalogStore();
