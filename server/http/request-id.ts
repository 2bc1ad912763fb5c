/**
 * Every request gets an id — the caller's `X-Request-Id` when it is a sane
 * one (a proxy's), else a fresh one — echoed in the answer and carried by
 * every log line written while the request is handled.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { withRequestId } from '../lib/log.ts';

const SANE = /^[A-Za-z0-9._-]{1,64}$/;

export function requestId() {
  return function requestId(ctx: Context, next: Next) {
    const given = ctx.get('X-Request-Id');
    const id = SANE.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', id);
    return withRequestId(id, next);
  };
}
