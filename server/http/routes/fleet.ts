import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { AgentCreated, AgentsResponse } from '../../../shared/fleet.ts';
import { agentCreateSchema } from '../../../shared/fleet-schemas.ts';
import type { AgentService } from '../../fleet/agents.ts';
import { principalOf, requestOrigin, requireRole } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { idParam, jsonBody } from './params.ts';

/** Agents (admin): create (the token is answered once), list with status, revoke. */
export function fleetRoutes(deps: { agents: AgentService }) {
  const router = new Router();
  const admin = requireRole('admin');

  router.get(API.agents, admin, async (ctx) => {
    ctx.body = { agents: await deps.agents.list() } satisfies AgentsResponse;
  });
  router.post(API.agents, admin, async (ctx) => {
    const { name } = parseInput(ctx, agentCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = (await deps.agents.create(name, principalOf(ctx), requestOrigin(ctx))) satisfies AgentCreated;
  });
  router.delete(API.agent, admin, async (ctx) => {
    await deps.agents.revoke(idParam(ctx), principalOf(ctx), requestOrigin(ctx));
    ctx.status = 204;
  });

  return router;
}
