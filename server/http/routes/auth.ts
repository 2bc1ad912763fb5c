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
import { collectionRoutes } from './collection.ts';
import { parseBody } from './params.ts';

export function authRoutes(deps: { auth: AuthService; db: Db; secureCookies: boolean }) {
  const { auth } = deps;
  const router = new Router();

  router.post(API.login, async (ctx) => {
    const { username, password } = parseBody(ctx, loginSchema);
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
  collectionRoutes(router, { list: API.users, one: API.user }, { read: admin, write: admin }, {
    list: async () => ({ users: await auth.listUsers() }),
    create: [userCreateSchema, (input, by) => auth.createUser(input, by)],
    update: [userPatchSchema, (id, patch, by) => auth.updateUser(id, patch, by)],
    remove: (id, by) => auth.deleteUser(id, by),
  });
  collectionRoutes(router, { list: API.displays, one: API.display }, { read: admin, write: admin }, {
    list: async () => ({ displays: await auth.listDisplays() }),
    create: [displayCreateSchema, (input, by) => auth.createDisplay(input, by)],
    update: [displayPatchSchema, (id, patch, by) => auth.updateDisplay(id, patch, by)],
    remove: (id, by) => auth.revokeDisplay(id, by),
  });

  router.get(API.audit, admin, async (ctx: Context) => {
    ctx.body = { entries: await listAudit(deps.db, parseInput(ctx, auditQuery, ctx.query)) };
  });

  return router;
}
