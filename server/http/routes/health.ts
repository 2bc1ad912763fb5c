import { Router } from '@koa/router';
import { PUBLIC } from '../../../shared/routes.ts';
import type { Database } from '../../store/db.ts';

/** Liveness (the process serves) and readiness (the database answers). */
export function healthRoutes(deps: { database: Database }) {
  const router = new Router();
  router.get(PUBLIC.healthz, (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get(PUBLIC.readyz, async (ctx) => {
    try {
      await deps.database.ping();
      ctx.body = { status: 'ready', database: deps.database.kind };
    } catch {
      ctx.throw(503, 'the database does not answer', { code: 'database_unavailable' });
    }
  });
  return router;
}
