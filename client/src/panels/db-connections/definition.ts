import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';

export const panel = {
  id: 'db-connections',
  title: METRICS['db.active_connections'].label,
  icon: 'plug',
  metric: 'db.active_connections',
  chart: ['db.active_connections'],
  figures: ['db.size_mb'],
} satisfies PanelDef;
