import type { Context } from 'koa';
import type { z } from 'zod';
import { HOST_NAME } from '../../../shared/fleet.ts';
import { parseInput } from '../errors.ts';

/** A numeric `:id`; anything else cannot name a row, so it is a 404. */
export function idParam(ctx: Context): number {
  const raw = ctx.params.id ?? '';
  if (!/^\d{1,9}$/.test(raw)) ctx.throw(404, `no such id "${raw}"`, { code: 'not_found' });
  return Number(raw);
}

/** A `:host`; a name no host can have is a 404. */
export function hostParam(ctx: Context): string {
  const raw = ctx.params.host ?? '';
  if (!HOST_NAME.test(raw)) ctx.throw(404, `no such host "${raw.slice(0, 80)}"`, { code: 'not_found' });
  return raw;
}

/** The JSON body of a mutating request; a body in another format is a 415. */
function jsonBody(ctx: Context): unknown {
  if (ctx.request.length && !ctx.is('application/json')) {
    ctx.throw(415, 'send the body as application/json', { code: 'unsupported_media_type' });
  }
  return ctx.request.body ?? {};
}

/** The JSON body of a mutating request, checked by its schema from shared/: a 400 or 422 naming the field, a 415 for another format. */
export function parseBody<S extends z.ZodType>(ctx: Context, schema: S): z.output<S> {
  return parseInput(ctx, schema, jsonBody(ctx), 'body');
}
