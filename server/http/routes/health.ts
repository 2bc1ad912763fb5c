import { Router } from '@koa/router';
import type { Database } from '../../store/db.ts';

/** Liveness (the process serves) and readiness (the database answers). */
export function healthRoutes(deps: { database: Database }) {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await deps.database.ping();
      ctx.body = { status: 'ready', database: deps.database.kind };
    } catch {
      ctx.throw(503, 'the database does not answer', { code: 'database_unavailable' });
    }
  });
  return router;
}
