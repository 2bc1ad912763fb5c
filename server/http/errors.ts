/**
 * The one error boundary: every error leaving a route becomes the contract's
 * `{"error": {"code", "message"}}`. Client errors keep their message; server
 * errors are logged and answered with a generic message, never a stack trace.
 */
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { createLogger } from '../lib/log.ts';

const log = createLogger('http');

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'body_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_value',
  429: 'too_many_requests',
  503: 'unavailable',
};

interface HttpishError {
  status?: number;
  statusCode?: number;
  expose?: boolean;
  code?: unknown;
  type?: unknown;
  message?: string;
}

export function errorBoundary() {
  return async function errorBoundary(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404, `no route for ${ctx.method} ${ctx.path}`);
    } catch (caught) {
      const err = (caught ?? {}) as HttpishError;
      const status = err.status ?? err.statusCode ?? 500;
      const clientError = status >= 400 && status < 500 && err.expose !== false;
      if (!clientError) log.error(`${ctx.method} ${ctx.path} failed`, caught);
      ctx.status = clientError || status === 503 ? status : 500;
      ctx.type = 'application/json';
      ctx.body = { error: describe(err, ctx.status) };
    }
  };
}

/** What the client may know: its own mistakes in full, our failures in general terms. */
function describe(err: HttpishError, status: number): { code: string; message: string } {
  if (status === 500) return { code: 'internal', message: 'internal server error' };
  if (err.type === 'entity.parse.failed') return { code: 'invalid_json', message: 'request body is not valid JSON' };
  return { code: errorCode(err, status), message: err.message || 'request failed' };
}

function errorCode(err: HttpishError, status: number): string {
  if (typeof err.code === 'string' && /^[a-z_]+$/.test(err.code)) return err.code;
  return CODE_BY_STATUS[status] ?? 'bad_request';
}

/** Parses input with a shared schema; a mismatch is a 400 naming the field. */
export function parseInput<S extends z.ZodType>(ctx: Context, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    ctx.throw(400, `${where}${issue?.message ?? 'invalid input'}`, { code: 'bad_request' });
  }
  return result.data;
}
