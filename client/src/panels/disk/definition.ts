import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';

export const panel = {
  id: 'disk',
  title: METRICS['disk.usage_percent'].label,
  icon: 'disk',
  metric: 'disk.usage_percent',
  chart: ['disk.usage_percent'],
  figures: ['disk.free_gb'],
} satisfies PanelDef;
