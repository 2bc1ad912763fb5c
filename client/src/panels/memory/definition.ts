import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';

export const panel = {
  id: 'memory',
  title: METRICS['memory.usage_percent'].label,
  icon: 'memory',
  metric: 'memory.usage_percent',
  chart: ['memory.usage_percent'],
  figures: ['memory.available_mb'],
} satisfies PanelDef;
