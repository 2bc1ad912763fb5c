/**
 * What the server knows about hosts, from memory: the registered hosts joined
 * with the live window, and whether each is online (a sample within three
 * ticks).
 */
import type { HostInfo } from '../../shared/events.ts';
import type { SeriesIds } from '../store/series-ids.ts';
import type { RecentWindow } from './recent-window.ts';

/** A host is offline once it has missed this many ticks. */
export const OFFLINE_AFTER_TICKS = 3;

export interface HostDirectory {
  list(now?: number): HostInfo[];
}

export function createHostDirectory(deps: { ids: SeriesIds; recent: RecentWindow; intervalMs: number }): HostDirectory {
  return {
    list(now = Date.now()) {
      return deps.ids.listHosts().map((h) => {
        const lastSeen = Math.max(deps.recent.lastSeen(h.name) ?? 0, h.lastSeen ?? 0) || null;
        return { ...h, lastSeen, online: lastSeen !== null && now - lastSeen <= OFFLINE_AFTER_TICKS * deps.intervalMs };
      });
    },
  };
}
