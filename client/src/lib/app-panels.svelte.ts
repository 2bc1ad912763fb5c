import type { Operator, Rule } from '$shared/alerts.ts';
import type { AppPanelInput, AppPanels } from '$shared/apps.ts';
import { isBuiltinMetric, type MetricDef, type MetricName } from '$shared/catalog.ts';
import type { HostInfo } from '$shared/events.ts';
import { API, routeTo } from '$shared/routes.ts';
import type { Status } from '$shared/status.ts';
import { catalog } from './catalog.svelte.ts';
import { errorMessage, getJson, sendJson } from './api.ts';
import type { ThresholdLine } from './charts/plugins/thresholds.ts';
import { LoadState } from './load-state.svelte.ts';

/**
 * The Application panels: per host, the runtime series its panel shows (an
 * admin's choice, else the server's defaults), and the alert rules that
 * give those series their thresholds. Read when the dashboard opens and
 * again when a host comes or goes — never on a timer.
 */
class AppPanelsStore extends LoadState {
  hosts = $state.raw<Record<string, string[]>>({});
  /** Hosts whose series an admin chose (the others show the server's defaults). */
  custom = $state.raw<string[]>([]);
  rules = $state.raw<Rule[]>([]);
  rulesRead = $state(false);

  load(): Promise<void> {
    return this.track('loading the Application panels', async () => {
      this.show(await getJson<AppPanels>(API.appPanels, {}));
    });
  }

  /** Reads the panels again without showing them loading (a host came: its defaults exist now). */
  async refresh(): Promise<void> {
    if (this.status === 'loading') return;
    if (this.status !== 'ready') return void this.load();
    try {
      this.show(await getJson<AppPanels>(API.appPanels, {}));
    } catch (err) {
      errorMessage(err, 'refreshing the Application panels'); // logged; the panels stay as they were
    }
  }

  /** The rules, once: their thresholds colour the application series (the catalog has none for most). */
  async loadRules(): Promise<void> {
    if (this.rulesRead) return;
    this.rulesRead = true;
    try {
      this.rules = (await getJson<{ rules: Rule[] }>(API.rules, {})).rules;
    } catch (err) {
      this.rulesRead = false;
      errorMessage(err, 'reading the rules for the Application panel');
    }
  }

  /** The series a host's panel shows; undefined: the host has none. */
  seriesOf(host: string): string[] | undefined {
    return this.hosts[host];
  }

  /** Pins one host's series (admin), or with null goes back to the defaults. Throws ApiError. */
  async choose(host: string, series: string[] | null): Promise<void> {
    const path = routeTo(API.appPanel, { host });
    this.show(series ? await sendJson<AppPanels>('PUT', path, { series } satisfies AppPanelInput) : await sendJson<AppPanels>('DELETE', path));
  }

  private show(panels: AppPanels): void {
    this.hosts = panels.hosts;
    this.custom = panels.custom;
  }
}

export const appPanels = new AppPanelsStore();

/** An application host: scraped or pushed, or any host with application series on its panel. */
export function isAppHost(info: HostInfo | undefined, series: readonly string[] | undefined): boolean {
  return info !== undefined && (info.kind === 'target' || info.kind === 'push' || (series?.length ?? 0) > 0);
}

/** A host's runtime series as they arrive (its latest values): what the panel can pin. */
export function runtimeSeries(latest: Record<MetricName, number | null>): MetricName[] {
  return Object.keys(latest)
    .filter((m) => !isBuiltinMetric(m))
    .sort((a, b) => a.localeCompare(b));
}

const LEVEL: Partial<Record<Rule['level'], ThresholdLine['level']>> = { WARNING: 'warning', CRITICAL: 'critical' };
const OPERATOR_TEXT: Record<Operator, string> = { '>': '>', '<': '<', '>=': '≥', '<=': '≤', '==': '=' };

/** A threshold line and the comparison that makes a value cross it (a rule's operator; default "at or above"). */
export type SeriesThreshold = ThresholdLine & { condition?: Operator };

/** A series' threshold lines: its enabled WARNING/CRITICAL rules on this host (or every host), else the catalog's. */
export function thresholdsOf(metric: MetricName, host: string | null, def: MetricDef, rules: readonly Rule[]): SeriesThreshold[] {
  const own = rules.filter((r) => r.enabled && r.metric === metric && (r.host === null || r.host === host) && LEVEL[r.level]);
  if (own.length > 0) {
    return own.map((r): SeriesThreshold => ({
      level: LEVEL[r.level]!,
      value: r.threshold,
      ...(r.operator === '>=' ? {} : { operator: OPERATOR_TEXT[r.operator] }),
      condition: r.operator,
    }));
  }
  return (['warning', 'critical'] as const).flatMap((level) => (def[level] === undefined ? [] : [{ level, value: def[level] }]));
}

function holds(value: number, operator: Operator, threshold: number): boolean {
  switch (operator) {
    case '>':
      return value > threshold;
    case '<':
      return value < threshold;
    case '>=':
      return value >= threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
  }
}

/** Normal / Warning / Critical of a value against those lines (a rule's operator; the catalog's "at or above"). */
export function statusOf(value: number | null | undefined, lines: readonly SeriesThreshold[]): Status {
  if (value == null || !Number.isFinite(value)) return 'unknown';
  let status: Status = 'normal';
  for (const line of lines) {
    if (!holds(value, line.condition ?? '>=', line.value)) continue;
    if (line.level === 'critical') return 'critical';
    status = 'warning';
  }
  return status;
}

/** The statuses of a host's Application panel series now (empty when it has none): its rules' thresholds, else the catalog's. */
export function appStatuses(host: string, latest: Record<MetricName, number | null>): Status[] {
  return (appPanels.seriesOf(host) ?? []).map((m) => statusOf(latest[m], thresholdsOf(m, host, catalog.def(m), appPanels.rules)));
}
