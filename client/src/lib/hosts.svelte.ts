import type { HostsResponse } from '$shared/api.ts';
import type { HostInfo } from '$shared/events.ts';
import { API } from '$shared/routes.ts';
import { getJson } from './api.ts';
import { live } from './live.svelte.ts';
import { LoadState } from './load-state.svelte.ts';

/**
 * Every host, of every kind, for pickers (history, rules): read from
 * `GET API.hosts` when a page opens, kept current by the socket's `hosts` events.
 */
class HostDirectory extends LoadState {
  #read = $state.raw<HostInfo[]>([]);

  all = $derived.by((): HostInfo[] => {
    const byName = new Map(this.#read.map((h) => [h.name, h]));
    for (const h of live.hosts) byName.set(h.name, h);
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  });

  load(): Promise<void> {
    return this.track('loading the hosts', async (signal) => {
      this.#read = (await getJson<HostsResponse>(API.hosts, {}, signal)).hosts;
    });
  }
}

export const hostDirectory = new HostDirectory();
