import type { HostKind } from '$shared/events.ts';
import type { IconName } from './icons.ts';

/** Where a host's samples come from, as an icon and a word (never the icon alone). */
export const HOST_KIND: Record<HostKind, { icon: IconName; label: string }> = {
  server: { icon: 'server', label: 'server' },
  agent: { icon: 'box', label: 'agent' },
  target: { icon: 'target', label: 'scraped' },
  push: { icon: 'upload', label: 'pushed' },
};

/** The figures a host's tile (fleet grid) or row (wall screen) shows, with their short labels. */
export const HOST_FIGURES = [
  ['cpu.usage_percent', 'CPU'],
  ['memory.usage_percent', 'Mem'],
  ['disk.usage_percent', 'Disk'],
] as const;

/** "1.2 s ahead", "350 ms behind"; null below a tenth of a second (network noise). */
export function formatSkew(skewMs: number | null): string | null {
  if (skewMs === null || Math.abs(skewMs) < 100) return null;
  const size = Math.abs(skewMs) < 1000 ? `${Math.round(Math.abs(skewMs))} ms` : `${(Math.abs(skewMs) / 1000).toFixed(1)} s`;
  return `${size} ${skewMs > 0 ? 'ahead' : 'behind'}`;
}
