import { METRICS, type BuiltinMetric } from '$shared/catalog.ts';
import type { IconName } from '../lib/icons.ts';
import type { PanelDef } from './types.ts';
import { panel as network } from './network/definition.ts';
import { panel as load } from './load/definition.ts';

/** A plain card for one catalog metric: its label as the title, its own chart, a few figures beside it. */
function metricPanel(id: string, icon: IconName, metric: BuiltinMetric, figures: readonly BuiltinMetric[], title?: string): PanelDef {
  return { id, title: title ?? METRICS[metric].label, icon, metric, chart: [metric], figures };
}

/** The dashboard's cards, in reading order. */
export const DASHBOARD_PANELS: readonly PanelDef[] = [
  metricPanel('cpu', 'cpu', 'cpu.usage_percent', ['cpu.count']),
  metricPanel('memory', 'memory', 'memory.usage_percent', ['memory.available_mb']),
  metricPanel('disk', 'disk', 'disk.usage_percent', ['disk.free_gb']),
  network,
  load,
  metricPanel('db-response', 'database', 'db.query_ms', ['db.cache_hit_percent']),
  metricPanel('db-connections', 'plug', 'db.active_connections', ['db.size_mb']),
  metricPanel('sessions', 'users', 'app.sessions', ['app.viewers']),
  metricPanel('server-health', 'heartbeat', 'self.event_loop_lag_ms', ['self.cpu_percent', 'self.rss_mb'], 'Server health'),
];
