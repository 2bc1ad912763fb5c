import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';

export const panel = {
  id: 'db-response',
  title: METRICS['db.query_ms'].label,
  icon: 'database',
  metric: 'db.query_ms',
  chart: ['db.query_ms'],
  figures: ['db.cache_hit_percent'],
} satisfies PanelDef;
