import { Router } from '@koa/router';
import { PUBLIC } from '../../../shared/routes.ts';
import { isBuiltinMetric, metricDef, seriesFamily, type MetricDef } from '../../../shared/catalog.ts';
import type { HostRegistry } from '../../fleet/hosts.ts';
import type { RecentWindow } from '../../realtime/recent-window.ts';
import type { MetricCatalog } from '../../store/metric-catalog.ts';

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** `cpu.usage_percent` → `glasswatch_cpu_usage_percent`; a scraped `x_total:rate` keeps its colon. */
export function promName(family: string): string {
  return `glasswatch_${family.replace(/[^A-Za-z0-9_:]/g, '_')}`;
}

/** The label set of a series name (`x{a="1"}` → `a="1"`), or "". */
function seriesLabels(name: string): string {
  const brace = name.indexOf('{');
  return brace === -1 ? '' : name.slice(brace + 1, -1);
}

export interface ExposedHost {
  host: string;
  values: Record<string, number | null>;
  ts: number;
}

/**
 * Prometheus text exposition (format 0.0.4) of the current value of every
 * series of every host: built-in metrics and the ones found at run time,
 * with a `host` label, plus the server's own `glasswatch_info`.
 */
export function renderExposition(hosts: ExposedHost[], info: { version: string; startedAtMs: number; node?: string }, defs: { get(name: string): MetricDef | undefined }): string {
  const node = info.node ? `,glasswatch_node="${escapeLabel(info.node)}"` : '';
  const nodeOnly = info.node ? `{glasswatch_node="${escapeLabel(info.node)}"}` : '';
  const lines: string[] = [
    '# HELP glasswatch_info Version of the glasswatch server.',
    '# TYPE glasswatch_info gauge',
    `glasswatch_info{version="${escapeLabel(info.version)}"${node}} 1`,
    '# HELP glasswatch_start_time_seconds When the glasswatch server started.',
    '# TYPE glasswatch_start_time_seconds gauge',
    `glasswatch_start_time_seconds${nodeOnly} ${info.startedAtMs / 1000}`,
  ];
  const families = new Map<string, string[]>();
  for (const h of hosts) {
    for (const [name, value] of Object.entries(h.values)) {
      if (value == null || !Number.isFinite(value)) continue;
      const family = seriesFamily(name);
      const extra = seriesLabels(name);
      const line = `${promName(family)}{host="${escapeLabel(h.host)}"${node}${extra ? `,${extra}` : ''}} ${value} ${h.ts}`;
      const list = families.get(family);
      if (list) list.push(line);
      else families.set(family, [line]);
    }
  }
  const order = [...families.keys()].sort((a, b) => Number(isBuiltinMetric(b)) - Number(isBuiltinMetric(a)) || a.localeCompare(b));
  for (const family of order) {
    const def = metricDef(family, defs);
    // "Orders not yet shipped." → "Orders not yet shipped (/s)." — one full stop, the unit before it.
    const help = (def.help || def.label).replace(/\.+$/, '');
    lines.push(`# HELP ${promName(family)} ${escapeHelp(help)}${def.unit ? ` (${escapeHelp(def.unit)})` : ''}.`, `# TYPE ${promName(family)} gauge`, ...families.get(family)!);
  }
  return `${lines.join('\n')}\n`;
}

export function prometheusRoutes(deps: { recent: RecentWindow; hosts: HostRegistry; catalog: MetricCatalog; version: string; startedAtMs: number; node?: string }) {
  const router = new Router();
  router.get(PUBLIC.metrics, (ctx) => {
    const now = Date.now();
    const exposed: ExposedHost[] = [];
    for (const h of deps.hosts.list(now)) {
      // Only current values: a host that stopped sending shows host.up 0, not its last numbers.
      const current = deps.recent.current(h.name, 3.5 * h.intervalMs, now);
      if (current) exposed.push({ host: h.name, ts: current.ts, values: current.values });
    }
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = renderExposition(exposed, deps, deps.catalog.defs);
  });
  return router;
}
