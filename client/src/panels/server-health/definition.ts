import type { PanelDef } from '../types.ts';

export const panel = {
  id: 'server-health',
  title: 'Server health',
  icon: 'heartbeat',
  metric: 'self.event_loop_lag_ms',
  chart: ['self.event_loop_lag_ms'],
  figures: ['self.cpu_percent', 'self.rss_mb'],
} satisfies PanelDef;
