import type { ClusterResponse } from '$shared/cluster.ts';
import { API } from '$shared/routes.ts';
import { getJson } from '../api.ts';
import { LoadState } from '../load-state.svelte.ts';

/**
 * The server nodes (Admin → Cluster): read when the tab opens and when
 * someone presses Refresh — never on a timer (nothing in the browser polls).
 * The figures are as of `readAt`, and the page says so.
 */
export class ClusterStore extends LoadState {
  cluster = $state.raw<ClusterResponse | null>(null);
  /** Client time of the last successful read. */
  readAt = $state<number | null>(null);

  load(): Promise<void> {
    return this.track('loading the cluster', async () => {
      this.cluster = await getJson<ClusterResponse>(API.cluster, {});
      this.readAt = Date.now();
    });
  }
}
