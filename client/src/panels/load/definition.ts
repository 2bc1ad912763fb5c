import { METRICS } from '$shared/catalog.ts';
import type { PanelDef } from '../types.ts';
import LoadPanel from './LoadPanel.svelte';

export const panel = {
  id: 'load',
  title: METRICS['cpu.load_1m'].label,
  icon: 'gauge',
  metric: 'cpu.load_1m',
  chart: ['cpu.load_1m'],
  figures: ['cpu.count'],
  component: LoadPanel,
} satisfies PanelDef;
