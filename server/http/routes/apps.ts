import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import { bodyParser } from '@koa/bodyparser';
import type { AppPanels, DerivedResponse } from '../../../shared/apps.ts';
import { appPanelSchema, derivedCreateSchema, targetCreateSchema, targetPatchSchema } from '../../../shared/apps-schemas.ts';
import type { TargetsResponse } from '../../../shared/fleet.ts';
import type { AppPanelService } from '../../apps/panels.ts';
import type { DerivedService } from '../../ingest/derived.ts';
import type { createPushIngest } from '../../ingest/push.ts';
import type { TargetService } from '../../scrape/targets.ts';
import { actorOf, requireRole } from '../auth.ts';
import { parseInput, storableInput } from '../errors.ts';
import { collectionRoutes } from './collection.ts';
import { hostParam, parseBody } from './params.ts';

/** A push body may be this large (the rest of the API takes 64 kB). */
export const PUSH_BODY_LIMIT = '1mb';

export interface AppRouteDeps {
  targets: TargetService;
  derived: DerivedService;
  panels: AppPanelService;
  push: ReturnType<typeof createPushIngest>;
}

/**
 * Application metrics: scrape targets (viewers read, admins write), pushes
 * (an agent token), derived ratios and the Application panels.
 */
export function appRoutes(deps: AppRouteDeps) {
  const router = new Router();
  const viewer = requireRole('viewer');
  const admin = requireRole('admin');

  const { targets, derived } = deps;
  collectionRoutes(router, { list: API.targets, one: API.target }, { read: viewer, write: admin }, {
    list: () => ({ targets: targets.list() }) satisfies TargetsResponse,
    create: [targetCreateSchema, (input, by) => targets.create(input, by)],
    update: [targetPatchSchema, (id, patch, by) => targets.update(id, patch, by)],
    remove: (id, by) => targets.remove(id, by),
  });
  collectionRoutes(router, { list: API.derived, one: API.derivedOne }, { read: viewer, write: admin }, {
    list: () => ({ derived: derived.list() }) satisfies DerivedResponse,
    create: [derivedCreateSchema, (input, by) => derived.create(input, by)],
    remove: (id, by) => derived.remove(id, by),
  });

  router.get(API.appPanels, viewer, (ctx) => {
    ctx.body = deps.panels.get() satisfies AppPanels;
  });
  router.put(API.appPanel, admin, async (ctx) => {
    const host = hostParam(ctx);
    const { series } = parseBody(ctx, appPanelSchema);
    ctx.body = await deps.panels.choose(host, series, actorOf(ctx));
  });
  router.delete(API.appPanel, admin, async (ctx) => {
    ctx.body = await deps.panels.choose(hostParam(ctx), null, actorOf(ctx));
  });

  // The push door: an agent token, JSON or Prometheus text, up to PUSH_BODY_LIMIT.
  const pushBody = bodyParser({
    enableTypes: ['json', 'text'],
    extendTypes: { text: ['text/plain', 'application/openmetrics-text'] },
    jsonLimit: PUSH_BODY_LIMIT,
    textLimit: PUSH_BODY_LIMIT,
    encoding: 'utf-8',
    onError(err, ctx) {
      if ((err as { status?: number }).status === 413) ctx.throw(413, `a push body is at most ${PUSH_BODY_LIMIT}`, { code: 'body_too_large' });
      ctx.throw(400, `request body is not valid JSON: ${err.message}`, { code: 'invalid_json' });
    },
  });
  router.post(API.ingest, pushBody, storableInput(), async (ctx) => {
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    let body: Parameters<typeof deps.push.push>[1];
    if (ctx.is('application/json')) body = { kind: 'json', body: ctx.request.body };
    else if (ctx.is('text/plain', 'application/openmetrics-text')) body = { kind: 'text', text: typeof ctx.request.body === 'string' ? ctx.request.body : '' };
    else return ctx.throw(415, 'send application/json ({"values": {...}}) or Prometheus text (text/plain)', { code: 'unsupported_media_type' });
    await deps.push.push(token, body);
    ctx.status = 204;
  });

  return router;
}
