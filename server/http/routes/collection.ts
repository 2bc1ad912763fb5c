import type { Router } from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import type { Actor } from '../../auth/service.ts';
import { actorOf } from '../auth.ts';
import { idParam, parseBody } from './params.ts';

/** What a collection offers; each change is made (and audited, with the actor) by its service. */
export interface CollectionOps<C extends z.ZodType, P extends z.ZodType> {
  /** GET the collection: the response body. */
  list: (ctx: Context) => unknown;
  /** POST a new one (201): its input schema from shared/ and the service call. */
  create?: readonly [C, (input: z.output<C>, by: Actor) => Promise<unknown>];
  /** PATCH one: its patch schema and the service call. */
  update?: readonly [P, (id: number, patch: z.output<P>, by: Actor) => Promise<unknown>];
  /** DELETE one (204). */
  remove?: (id: number, by: Actor) => Promise<unknown>;
}

/**
 * The routes of a collection people edit (rules, silences, users, displays,
 * agents, targets, derived metrics), in one shape: GET `paths.list` for those
 * who may `read`; POST there, PATCH and DELETE `paths.one` (`:id`) for those
 * who may `write`. A body is checked by its shared schema before the service
 * sees it (400/415/422 naming the field); a bad `:id` is a 404.
 */
export function collectionRoutes<C extends z.ZodType, P extends z.ZodType>(
  router: Router,
  paths: { list: string; one: string },
  roles: { read: Middleware; write: Middleware },
  ops: CollectionOps<C, P>,
): void {
  router.get(paths.list, roles.read, async (ctx) => {
    ctx.body = await ops.list(ctx);
  });
  const { create, update, remove } = ops;
  if (create) {
    router.post(paths.list, roles.write, async (ctx) => {
      const input = parseBody(ctx, create[0]);
      ctx.body = await create[1](input, actorOf(ctx));
      ctx.status = 201;
    });
  }
  if (update) {
    router.patch(paths.one, roles.write, async (ctx) => {
      const id = idParam(ctx);
      ctx.body = await update[1](id, parseBody(ctx, update[0]), actorOf(ctx));
    });
  }
  if (remove) {
    router.delete(paths.one, roles.write, async (ctx) => {
      await remove(idParam(ctx), actorOf(ctx));
      ctx.status = 204;
    });
  }
}
