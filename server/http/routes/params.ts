import type { Context } from 'koa';

/** A numeric `:id`; anything else cannot name a row, so it is a 404. */
export function idParam(ctx: Context): number {
  const raw = ctx.params.id ?? '';
  if (!/^\d{1,9}$/.test(raw)) ctx.throw(404, `no such id "${raw}"`, { code: 'not_found' });
  return Number(raw);
}

/** The JSON body of a mutating request; a body in another format is a 415. */
export function jsonBody(ctx: Context): unknown {
  if (ctx.request.length && !ctx.is('application/json')) {
    ctx.throw(415, 'send the body as application/json', { code: 'unsupported_media_type' });
  }
  return ctx.request.body ?? {};
}
