import type { PanelDef } from '../types.ts';
import NetworkPanel from './NetworkPanel.svelte';

export const panel = {
  id: 'network',
  title: 'Network',
  icon: 'network',
  metric: 'net.rx_bytes_per_s',
  status: ['net.rx_bytes_per_s', 'net.tx_bytes_per_s'],
  chart: ['net.rx_bytes_per_s', 'net.tx_bytes_per_s'],
  component: NetworkPanel,
} satisfies PanelDef;
