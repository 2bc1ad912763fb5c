/**
 * The doors: who is asking (session cookie, or a wall screen's display
 * token), whether their role may pass, whether a state-changing request
 * really comes from our own pages, and the security headers of every answer.
 */
import type { Context, Next } from 'koa';
import { hasRole, type Principal, type Role } from '../../shared/auth.ts';
import type { Actor, AuthService, RequestOrigin } from '../auth/service.ts';

export const SESSION_COOKIE = 'glasswatch_session';

declare module 'koa' {
  interface DefaultState {
    principal?: Principal & { sessionId?: string };
  }
}

export function requestOrigin(ctx: Context): RequestOrigin {
  return { address: ctx.ip || null, userAgent: ctx.get('User-Agent') || null };
}

/** Who asks, and from where: what a service audits a change with. */
export function actorOf(ctx: Context): Actor {
  return { principal: principalOf(ctx), from: requestOrigin(ctx) };
}

/** A display token from `Authorization: Bearer …`, or from `?token=` on a GET (wall screens, scrapers). */
export function displayTokenOf(ctx: Context): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
  if (bearer) return bearer;
  const query = ctx.query.token;
  return ctx.method === 'GET' && typeof query === 'string' && query ? query : undefined;
}

export function authenticate(auth: AuthService) {
  return async function authenticate(ctx: Context, next: Next) {
    const cookie = ctx.cookies.get(SESSION_COOKIE);
    const principal = (await auth.resolveSession(cookie)) ?? (await auth.resolveDisplay(displayTokenOf(ctx)));
    if (principal) ctx.state.principal = principal;
    else if (cookie) ctx.cookies.set(SESSION_COOKIE, null); // expired or unknown: forget it
    await next();
  };
}

/** 401 without a session or token, 403 with too low a role. */
export function requireRole(role: Role) {
  return async function requireRole(ctx: Context, next: Next) {
    const p = ctx.state.principal;
    if (!p) ctx.throw(401, 'log in first', { code: 'unauthenticated' });
    if (!hasRole(p.role, role)) ctx.throw(403, `needs the ${role} role`, { code: 'forbidden' });
    await next();
  };
}

/** The principal of a request behind `requireRole`. */
export function principalOf(ctx: Context): Principal {
  const p = ctx.state.principal;
  if (!p) ctx.throw(401, 'log in first', { code: 'unauthenticated' });
  return p;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(url: string): string {
  try {
    return url ? new URL(url).origin : '';
  } catch {
    return 'invalid';
  }
}

/**
 * Whether a browser's Origin is ours: PUBLIC_URL's, or the scheme and Host
 * the request itself was sent to. One rule for HTTP writes and for the
 * Socket.IO handshake.
 */
export function ownOrigin(publicUrl: string) {
  const configured = new URL(publicUrl).origin;
  return (claimed: string, host: string | undefined, protocol: string) => claimed === configured || (host !== undefined && claimed === `${protocol}://${host}`);
}

/**
 * Cross-site request protection on top of SameSite=Strict: a state-changing
 * request must name our own origin in Origin (or, failing that, Referer).
 * Clients outside a browser (scripts) send neither and carry no cookie, so
 * they pass here and meet the role check like everyone else.
 */
export function sameOrigin(publicUrl: string) {
  const isOwn = ownOrigin(publicUrl);
  return async function sameOrigin(ctx: Context, next: Next) {
    if (!SAFE_METHODS.has(ctx.method)) {
      const claimed = ctx.get('Origin') || originOf(ctx.get('Referer'));
      // ctx.host, not ctx.origin: Koa 3 takes that from the Origin header.
      if (claimed && !isOwn(claimed, ctx.host, ctx.protocol)) ctx.throw(403, `cross-site request from ${claimed} refused`, { code: 'bad_origin' });
      if (!claimed && ctx.cookies.get(SESSION_COOKIE)) ctx.throw(403, 'a request with a session cookie must name its Origin', { code: 'bad_origin' });
    }
    await next();
  };
}

/** Strict CSP fit for the built client (no inline scripts), and the usual hardening headers. */
export function securityHeaders() {
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return async function securityHeaders(ctx: Context, next: Next) {
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (ctx.secure) ctx.set('Strict-Transport-Security', 'max-age=31536000');
    await next();
  };
}
