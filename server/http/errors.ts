/**
 * The one error boundary: every error leaving a route becomes the contract's
 * `{"error": {"code", "message"}}`. Client errors keep their message; server
 * errors are logged and answered with a generic message, never a stack trace.
 */
import type { Context, Next } from 'koa';
import { z } from 'zod';
import { findUnstorableText, unstorableMessage } from '../../shared/text.ts';
import { createLogger } from '../lib/log.ts';
import type { DatabaseHealth } from '../store/health.ts';

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
  message?: string;
}

/** While the database is away, a request that needed it gets this (and the log says so once, not per request). */
export const DATABASE_UNAVAILABLE = {
  code: 'database_unavailable',
  message: 'the database is unavailable: live data continues, but changes and history wait until it is back; try again shortly',
};

export function errorBoundary(health?: Pick<DatabaseHealth, 'failed'>) {
  return async function errorBoundary(ctx: Context, next: Next) {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) ctx.throw(404, `no route for ${ctx.method} ${ctx.path}`);
    } catch (caught) {
      const err = (caught ?? {}) as HttpishError;
      const status = err.status ?? err.statusCode ?? 500;
      const clientError = status >= 400 && status < 500 && err.expose !== false;
      ctx.type = 'application/json';
      if (!clientError && status !== 503 && health?.failed(caught)) {
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = { error: DATABASE_UNAVAILABLE };
        return;
      }
      // A deliberate 503 (not ready, not built) is an answer, not a failure of ours.
      if (!clientError && status !== 503) log.error(`${ctx.method} ${ctx.path} failed`, caught);
      ctx.status = clientError || status === 503 ? status : 500;
      ctx.body = { error: describe(err, ctx.status) };
    }
  };
}

/** What the client may know: its own mistakes in full, our failures in general terms. */
function describe(err: HttpishError, status: number): { code: string; message: string } {
  if (status === 500) return { code: 'internal', message: 'internal server error' };
  return { code: errorCode(err, status), message: err.message || 'request failed' };
}

function errorCode(err: HttpishError, status: number): string {
  if (typeof err.code === 'string' && /^[a-z_]+$/.test(err.code)) return err.code;
  return CODE_BY_STATUS[status] ?? 'bad_request';
}

/** Malformed input: wrong types or shapes. Anything else a schema rejects is an impossible value. */
const MALFORMED = new Set(['invalid_type', 'unrecognized_keys', 'invalid_union']);

/**
 * Parses input with a shared schema. A query string mismatch is a 400; a
 * JSON body is a 400 when malformed and a 422 when well-formed but
 * impossible (unknown metric, negative duration, 150 % CPU). The message
 * names the field.
 */
export function parseInput<S extends z.ZodType>(ctx: Context, schema: S, input: unknown, source: 'query' | 'body' = 'query'): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    const impossible = source === 'body' && issue !== undefined && !MALFORMED.has(issue.code);
    ctx.throw(impossible ? 422 : 400, `${where}${issue?.message ?? 'invalid input'}`, { code: impossible ? 'invalid_value' : 'bad_request' });
  }
  return result.data;
}

/**
 * Refuses input that cannot be stored (a NUL character, an unpaired
 * surrogate) in the body or the query, before any route sees it: a 400
 * naming the field, and nothing half-written.
 */
export function storableInput() {
  return async function storableInput(ctx: Context, next: Next) {
    const bad = findUnstorableText(ctx.request.body, 'body') ?? findUnstorableText(ctx.query, 'query');
    if (bad) ctx.throw(400, unstorableMessage(bad), { code: 'invalid_text' });
    await next();
  };
}

/** Body parser errors in the contract's terms. */
export function bodyParseError(err: Error & { status?: number }, ctx: Context): never {
  if (err.status === 413) ctx.throw(413, 'request body larger than 64 kB', { code: 'body_too_large' });
  ctx.throw(400, `request body is not valid JSON: ${err.message}`, { code: 'invalid_json' });
}
