import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { Context } from 'koa';
import { type Me } from '../../../shared/auth.ts';
import { auditQuery, displayCreateSchema, displayPatchSchema, loginSchema, userCreateSchema, userPatchSchema } from '../../../shared/auth-schemas.ts';
import { listAudit } from '../../auth/audit.ts';
import { SESSION_MAX_MS, type AuthService } from '../../auth/service.ts';
import type { Db } from '../../store/db.ts';
import { principalOf, requestOrigin, requireRole, SESSION_COOKIE } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { idParam, jsonBody } from './params.ts';

export function authRoutes(deps: { auth: AuthService; db: Db; secureCookies: boolean }) {
  const { auth } = deps;
  const router = new Router();

  router.post(API.login, async (ctx) => {
    const { username, password } = parseInput(ctx, loginSchema, jsonBody(ctx), 'body');
    try {
      const { token, principal } = await auth.login(username, password, requestOrigin(ctx));
      // Behind a TLS-terminating proxy the hop to us is plain HTTP; PUBLIC_URL says what browsers see.
      if (deps.secureCookies) ctx.cookies.secure = true;
      ctx.cookies.set(SESSION_COOKIE, token, {
        httpOnly: true, sameSite: 'strict', secure: deps.secureCookies || ctx.secure, path: '/', maxAge: SESSION_MAX_MS, overwrite: true,
      });
      ctx.body = { kind: 'user', name: username, role: principal.role } satisfies Me;
    } catch (err) {
      const retry = (err as { retryAfterSec?: number }).retryAfterSec;
      if (retry) ctx.set('Retry-After', String(retry));
      throw err;
    }
  });

  router.post(API.logout, async (ctx) => {
    const token = ctx.cookies.get(SESSION_COOKIE);
    if (token) await auth.logout(token, requestOrigin(ctx));
    ctx.cookies.set(SESSION_COOKIE, null, { path: '/' });
    ctx.status = 204;
  });

  router.get(API.me, requireRole('viewer'), (ctx) => {
    const p = principalOf(ctx);
    ctx.body = { kind: p.kind, name: p.kind === 'user' ? p.username : p.name, role: p.role } satisfies Me;
  });

  const admin = requireRole('admin');
  router.get(API.users, admin, async (ctx) => {
    ctx.body = { users: await auth.listUsers() };
  });
  router.post(API.users, admin, async (ctx) => {
    const input = parseInput(ctx, userCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await auth.createUser(input, principalOf(ctx), requestOrigin(ctx));
  });
  router.patch(API.user, admin, async (ctx) => {
    const id = idParam(ctx);
    const patch = parseInput(ctx, userPatchSchema, jsonBody(ctx), 'body');
    ctx.body = await auth.updateUser(id, patch, principalOf(ctx), requestOrigin(ctx));
  });
  router.delete(API.user, admin, async (ctx) => {
    await auth.deleteUser(idParam(ctx), principalOf(ctx), requestOrigin(ctx));
    ctx.status = 204;
  });

  router.get(API.displays, admin, async (ctx) => {
    ctx.body = { displays: await auth.listDisplays() };
  });
  router.post(API.displays, admin, async (ctx) => {
    const input = parseInput(ctx, displayCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await auth.createDisplay(input, principalOf(ctx), requestOrigin(ctx));
  });
  router.patch(API.display, admin, async (ctx) => {
    const id = idParam(ctx);
    const patch = parseInput(ctx, displayPatchSchema, jsonBody(ctx), 'body');
    ctx.body = await auth.updateDisplay(id, patch, principalOf(ctx), requestOrigin(ctx));
  });
  router.delete(API.display, admin, async (ctx) => {
    await auth.revokeDisplay(idParam(ctx), principalOf(ctx), requestOrigin(ctx));
    ctx.status = 204;
  });

  router.get(API.audit, admin, async (ctx: Context) => {
    ctx.body = { entries: await listAudit(deps.db, parseInput(ctx, auditQuery, ctx.query)) };
  });

  return router;
}
