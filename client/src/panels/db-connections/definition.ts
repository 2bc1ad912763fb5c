import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';
import DbConnectionsPanel from './DbConnectionsPanel.svelte';

export const panel = {
  id: 'db-connections',
  title: METRICS['db.active_connections'].label,
  icon: 'plug',
  metric: 'db.active_connections',
  chart: ['db.active_connections'],
  figures: ['db.size_mb'],
  component: DbConnectionsPanel,
} satisfies PanelDef;
