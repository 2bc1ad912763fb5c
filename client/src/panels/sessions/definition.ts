import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';

export const panel = {
  id: 'sessions',
  title: METRICS['app.sessions'].label,
  icon: 'users',
  metric: 'app.sessions',
  chart: ['app.sessions'],
  figures: ['app.viewers'],
} satisfies PanelDef;
