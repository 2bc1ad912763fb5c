import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { AgentCreated, AgentsResponse } from '../../../shared/fleet.ts';
import { agentCreateSchema } from '../../../shared/fleet-schemas.ts';
import type { AgentService } from '../../fleet/agents.ts';
import { requireRole } from '../auth.ts';
import { collectionRoutes } from './collection.ts';

/** Agents (admin): create (the token is answered once), list with status, revoke. */
export function fleetRoutes(deps: { agents: AgentService }) {
  const router = new Router();
  const admin = requireRole('admin');

  const { agents } = deps;
  collectionRoutes(router, { list: API.agents, one: API.agent }, { read: admin, write: admin }, {
    list: async () => ({ agents: await agents.list() }) satisfies AgentsResponse,
    create: [agentCreateSchema, async ({ name }, by): Promise<AgentCreated> => agents.create(name, by)],
    remove: (id, by) => agents.revoke(id, by),
  });

  return router;
}
