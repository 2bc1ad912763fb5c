import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';

export const panel = {
  id: 'cpu',
  title: METRICS['cpu.usage_percent'].label,
  icon: 'cpu',
  metric: 'cpu.usage_percent',
  chart: ['cpu.usage_percent'],
  figures: ['cpu.count'],
} satisfies PanelDef;
