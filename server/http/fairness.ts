/**
 * Every address gets its share of the server, and no more: a token bucket
 * per client address for API requests (bursts welcome, floods refused with
 * 429 and Retry-After), and a cap on expensive requests (history reads) a
 * client may have in flight at once. In memory, per node; bounded.
 */
import type { Context, Next } from 'koa';
import { isApiPath, PUBLIC } from '../../shared/routes.ts';
import { createTokenBucket, type TokenBucket } from '../lib/token-bucket.ts';

const MAX_ADDRESSES = 10_000;

export interface FairnessOptions {
  /** Sustained API requests per second per address. */
  perSecond?: number;
  burst?: number;
}

export function requestBudget(opts: FairnessOptions = {}) {
  const perSecond = opts.perSecond ?? 50;
  const burst = opts.burst ?? 200;
  const buckets = new Map<string, TokenBucket>();
  return async function requestBudget(ctx: Context, next: Next) {
    if (!isApiPath(ctx.path) && ctx.path !== PUBLIC.metrics) return next();
    const key = ctx.ip || 'unknown';
    let bucket = buckets.get(key);
    if (bucket) buckets.delete(key); // re-inserted last: least recently seen first
    else bucket = createTokenBucket({ perSecond, burst });
    buckets.set(key, bucket);
    if (buckets.size > MAX_ADDRESSES) buckets.delete(buckets.keys().next().value!);
    if (!bucket.take()) {
      ctx.set('Retry-After', String(Math.max(1, Math.ceil(bucket.waitMs() / 1000))));
      ctx.throw(429, `too many requests from ${key}: at most ${perSecond} a second`, { code: 'too_many_requests' });
    }
    await next();
  };
}

/** At most `max` of these requests in flight per client (session, token or address); the rest get 429. */
export function concurrencyCap(max: number) {
  const inFlight = new Map<string, number>();
  return async function concurrencyCap(ctx: Context, next: Next) {
    const p = ctx.state.principal;
    const key = p ? `${p.kind}:${p.id}` : `ip:${ctx.ip}`;
    const n = inFlight.get(key) ?? 0;
    if (n >= max) ctx.throw(429, `at most ${max} of these requests at once: wait for the others`, { code: 'too_many_requests' });
    inFlight.set(key, n + 1);
    try {
      await next();
    } finally {
      const left = (inFlight.get(key) ?? 1) - 1;
      if (left <= 0) inFlight.delete(key);
      else inFlight.set(key, left);
    }
  };
}

/**
 * Node answers a request whose headers are too large (431) or malformed (400)
 * itself, with an empty body; this gives such answers the contract's JSON.
 */
export function answerClientErrors(server: import('node:http').Server) {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: import('node:stream').Duplex) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request';
    const body = JSON.stringify({
      error: tooLarge
        ? { code: 'headers_too_large', message: 'the request line and headers are larger than the server takes (16 kB): send a shorter URL or fewer cookies' }
        : { code: 'bad_request', message: 'malformed HTTP request' },
    });
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
}
