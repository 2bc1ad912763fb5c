import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { ClusterResponse } from '../../../shared/cluster.ts';
import type { Leadership } from '../../cluster/leader.ts';
import type { NodeRegistry } from '../../cluster/nodes.ts';
import { requireRole } from '../auth.ts';

export interface ClusterRouteDeps {
  node: string;
  leadership: Leadership;
  nodes: NodeRegistry;
}

/** `GET /api/cluster` (admin): the nodes, which one leads and since when, each node's viewers and agents. */
export function clusterRoutes(deps: ClusterRouteDeps) {
  const router = new Router();
  router.get(API.cluster, requireRole('admin'), async (ctx) => {
    const leader = deps.leadership.leader;
    ctx.body = { self: deps.node, leaderSince: leader?.since ?? null, nodes: await deps.nodes.list(leader?.node ?? null) } satisfies ClusterResponse;
  });
  return router;
}
