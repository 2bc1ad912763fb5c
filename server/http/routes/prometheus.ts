import { Router } from '@koa/router';
import { METRIC_NAMES, METRICS } from '../../../shared/catalog.ts';
import type { MetricsEvent } from '../../../shared/events.ts';
import type { RecentWindow } from '../../realtime/recent-window.ts';

const promName = (metric: string) => `glasswatch_${metric.replace(/\./g, '_')}`;
const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Prometheus text exposition (format 0.0.4) of the latest sample of every host. */
export function renderExposition(latest: MetricsEvent[], info: { version: string; startedAtMs: number }): string {
  const lines: string[] = [
    '# HELP glasswatch_info Version of the glasswatch server.',
    '# TYPE glasswatch_info gauge',
    `glasswatch_info{version="${escapeLabel(info.version)}"} 1`,
    '# HELP glasswatch_start_time_seconds When the glasswatch server started.',
    '# TYPE glasswatch_start_time_seconds gauge',
    `glasswatch_start_time_seconds ${info.startedAtMs / 1000}`,
  ];
  for (const metric of METRIC_NAMES) {
    const samples = latest.filter((e) => e.values[metric] != null);
    if (samples.length === 0) continue;
    const name = promName(metric);
    const def = METRICS[metric];
    lines.push(`# HELP ${name} ${def.help}${def.unit ? ` (${def.unit})` : ''}.`, `# TYPE ${name} gauge`);
    for (const e of samples) lines.push(`${name}{host="${escapeLabel(e.host)}"} ${e.values[metric]} ${e.ts}`);
  }
  return `${lines.join('\n')}\n`;
}

export function prometheusRoutes(deps: { recent: RecentWindow; version: string; startedAtMs: number }) {
  const router = new Router();
  router.get('/metrics', (ctx) => {
    const latest = deps.recent.hosts().flatMap((h) => deps.recent.latest(h) ?? []);
    ctx.type = 'text/plain; version=0.0.4; charset=utf-8';
    ctx.body = renderExposition(latest, deps);
  });
  return router;
}
