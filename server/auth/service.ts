/**
 * Authentication and the people and screens it knows: users with roles,
 * login sessions (stored, so they survive restarts), display tokens for wall
 * screens, login rate limits, and the audit entries for all of it.
 */
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { AuditAction, DisplaySettings, DisplayToken, Principal, Role, User } from '../../shared/auth.ts';
import { ServiceError, notFound } from '../lib/errors.ts';
import type { Db } from '../store/db.ts';
import { displayTokens, sessions, users, type UserRow } from '../store/schema.ts';
import { audit } from './audit.ts';
import { decoyHash, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { createRateLimiter } from './rate-limit.ts';
import { newToken, tokenHash } from './tokens.ts';

export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** last_seen_at is written at most this often per session. */
const TOUCH_EVERY_MS = 60_000;

export interface RequestOrigin {
  address: string | null;
  userAgent?: string | null;
}

/** Something that should end live connections: a session, every session of a user, or a display token. */
export type Revocation =
  | { kind: 'session'; sessionId: string }
  | { kind: 'user'; userId: number }
  /** `reconnect`: the token stays valid; its screens reconnect to pick up new settings. */
  | { kind: 'display'; displayId: number; reconnect?: boolean };

export type AuthService = Awaited<ReturnType<typeof createAuthService>>;

const toUser = (u: UserRow): User => ({
  id: u.id, username: u.username, role: u.role, disabled: u.disabled, createdAt: u.createdAt.getTime(), updatedAt: u.updatedAt.getTime(),
});

const toDisplay = (d: typeof displayTokens.$inferSelect): DisplayToken => ({
  id: d.id, name: d.name, createdBy: d.createdBy, createdAt: d.createdAt.getTime(), lastUsedAt: d.lastUsedAt?.getTime() ?? null, revokedAt: d.revokedAt?.getTime() ?? null,
  views: d.views, rotateSeconds: d.rotateSeconds, sound: d.sound,
});

export const actorName = (p: Principal) => (p.kind === 'user' ? p.username : `display:${p.name}`);

export async function createAuthService(deps: { db: Db; adminPassword?: string | undefined; now?: () => number }) {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const perUser = createRateLimiter({ max: 5, windowMs: 15 * 60_000 });
  const perAddress = createRateLimiter({ max: 20, windowMs: 15 * 60_000 });
  const listeners = new Set<(r: Revocation) => void>();
  const revoke = (r: Revocation) => listeners.forEach((l) => l(r));

  /** On a first start with no users: an admin, with ADMIN_PASSWORD or a generated password printed once. */
  async function ensureAdmin(): Promise<{ username: string; password: string; generated: boolean } | null> {
    const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
    if (n > 0) return null;
    const password = deps.adminPassword ?? generatePassword();
    await db.insert(users).values({ username: 'admin', passwordHash: await hashPassword(password), role: 'admin' }).onConflictDoNothing();
    return { username: 'admin', password, generated: deps.adminPassword === undefined };
  }

  async function login(username: string, password: string, from: RequestOrigin): Promise<{ token: string; principal: Principal }> {
    const userKey = username.toLowerCase();
    const wait = Math.max(perUser.blockedFor(userKey), from.address ? perAddress.blockedFor(from.address) : 0);
    if (wait > 0) {
      await audit(db, { actor: username, action: 'login_failed', detail: { reason: 'rate limited' }, address: from.address });
      throw Object.assign(new ServiceError(429, 'too_many_attempts', `too many failed logins: try again in ${Math.ceil(wait / 60_000)} min`), { retryAfterSec: Math.ceil(wait / 1000) });
    }
    const [user] = await db.select().from(users).where(eq(users.username, username));
    // Unknown user, wrong password and disabled user get one answer and take as long.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !ok || user.disabled) {
      perUser.fail(userKey);
      if (from.address) perAddress.fail(from.address);
      await audit(db, { actor: username, action: 'login_failed', address: from.address });
      throw new ServiceError(401, 'invalid_credentials', 'wrong username or password');
    }
    perUser.reset(userKey);
    const token = newToken();
    const at = now();
    await db.insert(sessions).values({
      id: tokenHash(token), userId: user.id, createdAt: new Date(at), lastSeenAt: new Date(at), expiresAt: new Date(at + SESSION_MAX_MS),
      address: from.address, userAgent: from.userAgent?.slice(0, 300) ?? null,
    });
    await audit(db, { actor: user.username, action: 'login', address: from.address });
    return { token, principal: { kind: 'user', id: user.id, username: user.username, role: user.role } };
  }

  /** The user behind a session cookie, or null when it is unknown, expired (idle or absolute) or the user is disabled. */
  async function resolveSession(token: string | undefined): Promise<(Principal & { kind: 'user'; sessionId: string }) | null> {
    if (!token) return null;
    const id = tokenHash(token);
    const [row] = await db
      .select({ s: sessions, u: users })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, id));
    if (!row) return null;
    const at = now();
    if (row.u.disabled || row.s.expiresAt.getTime() <= at || row.s.lastSeenAt.getTime() + SESSION_IDLE_MS <= at) {
      await db.delete(sessions).where(eq(sessions.id, id));
      return null;
    }
    if (at - row.s.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await db.update(sessions).set({ lastSeenAt: new Date(at) }).where(eq(sessions.id, id));
    return { kind: 'user', id: row.u.id, username: row.u.username, role: row.u.role, sessionId: id };
  }

  /** Keeps a session alive while its dashboard is open; false once it has ended. */
  async function touchSession(sessionId: string): Promise<boolean> {
    const [row] = await db
      .select({ expiresAt: sessions.expiresAt, disabled: users.disabled })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, sessionId));
    const at = now();
    if (!row || row.disabled || row.expiresAt.getTime() <= at) return false;
    await db.update(sessions).set({ lastSeenAt: new Date(at) }).where(eq(sessions.id, sessionId));
    return true;
  }

  async function logout(token: string, from: RequestOrigin) {
    const id = tokenHash(token);
    const [gone] = await db.delete(sessions).where(eq(sessions.id, id)).returning({ userId: sessions.userId });
    if (!gone) return;
    const [user] = await db.select({ username: users.username }).from(users).where(eq(users.id, gone.userId));
    await audit(db, { actor: user?.username ?? '?', action: 'logout', address: from.address });
    revoke({ kind: 'session', sessionId: id });
  }

  async function resolveDisplay(token: string | undefined): Promise<(Principal & { kind: 'display'; settings: DisplaySettings }) | null> {
    if (!token) return null;
    const [row] = await db.select().from(displayTokens).where(and(eq(displayTokens.tokenHash, tokenHash(token)), isNull(displayTokens.revokedAt)));
    if (!row) return null;
    const at = now();
    if (!row.lastUsedAt || at - row.lastUsedAt.getTime() >= TOUCH_EVERY_MS) {
      await db.update(displayTokens).set({ lastUsedAt: new Date(at) }).where(eq(displayTokens.id, row.id));
    }
    return { kind: 'display', id: row.id, name: row.name, role: 'viewer', settings: { views: row.views, rotateSeconds: row.rotateSeconds, sound: row.sound } };
  }

  // ---- administration (callers check the admin role) -------------------------
  const record = (actor: Principal, action: AuditAction, target: string, from: RequestOrigin, detail?: Record<string, unknown>) =>
    audit(db, { actor: actorName(actor), action, target, detail: detail ?? null, address: from.address });

  async function adminCount(excludingId: number) {
    const [{ n } = { n: 0 }] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false), sql`${users.id} <> ${excludingId}`));
    return n;
  }

  return {
    ensureAdmin,
    login,
    logout,
    resolveSession,
    resolveDisplay,
    touchSession,
    onRevoke(listener: (r: Revocation) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    record,

    async listUsers(): Promise<User[]> {
      return (await db.select().from(users).orderBy(users.username)).map(toUser);
    },
    async createUser(input: { username: string; password: string; role: Role }, actor: Principal, from: RequestOrigin): Promise<User> {
      const [row] = await db
        .insert(users)
        .values({ username: input.username, passwordHash: await hashPassword(input.password), role: input.role })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new ServiceError(409, 'conflict', `user "${input.username}" exists`);
      await record(actor, 'user.create', input.username, from, { role: input.role });
      return toUser(row);
    },
    async updateUser(id: number, patch: { role?: Role; password?: string; disabled?: boolean }, actor: Principal, from: RequestOrigin): Promise<User> {
      const [current] = await db.select().from(users).where(eq(users.id, id));
      if (!current) throw notFound(`user ${id}`);
      const losesAdmin = current.role === 'admin' && !current.disabled && ((patch.role && patch.role !== 'admin') || patch.disabled === true);
      if (losesAdmin && (await adminCount(id)) === 0) throw new ServiceError(409, 'conflict', 'the last admin cannot be demoted or disabled');
      const [row] = await db
        .update(users)
        .set({
          ...(patch.role ? { role: patch.role } : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          ...(patch.password ? { passwordHash: await hashPassword(patch.password) } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, id))
        .returning();
      // A new role, a reset password or a disabled account ends the user's sessions: they log in again.
      await db.delete(sessions).where(eq(sessions.userId, id));
      revoke({ kind: 'user', userId: id });
      await record(actor, 'user.update', current.username, from, {
        ...(patch.role ? { role: patch.role } : {}),
        ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
        ...(patch.password ? { password: 'reset' } : {}),
      });
      return toUser(row!);
    },
    async deleteUser(id: number, actor: Principal, from: RequestOrigin): Promise<void> {
      const [current] = await db.select().from(users).where(eq(users.id, id));
      if (!current) throw notFound(`user ${id}`);
      if (actor.kind === 'user' && actor.id === id) throw new ServiceError(409, 'conflict', 'you cannot delete yourself');
      if (current.role === 'admin' && (await adminCount(id)) === 0) throw new ServiceError(409, 'conflict', 'the last admin cannot be deleted');
      await db.delete(users).where(eq(users.id, id));
      revoke({ kind: 'user', userId: id });
      await record(actor, 'user.delete', current.username, from);
    },

    async listDisplays(): Promise<DisplayToken[]> {
      return (await db.select().from(displayTokens).orderBy(displayTokens.createdAt)).map(toDisplay);
    },
    /** Returns the token in clear this once; only its hash is kept. */
    async createDisplay(input: { name: string } & DisplaySettings, actor: Principal, from: RequestOrigin): Promise<DisplayToken & { token: string }> {
      const token = newToken();
      const [row] = await db.insert(displayTokens).values({ ...input, tokenHash: tokenHash(token), createdBy: actorName(actor) }).returning();
      await record(actor, 'display.create', input.name, from, { ...input });
      return { ...toDisplay(row!), token };
    },
    /** Renames a display or changes its kiosk settings; its screens pick them up on their next connect. */
    async updateDisplay(id: number, patch: Partial<{ name: string } & DisplaySettings>, actor: Principal, from: RequestOrigin): Promise<DisplayToken> {
      const [row] = await db.update(displayTokens).set(patch).where(and(eq(displayTokens.id, id), isNull(displayTokens.revokedAt))).returning();
      if (!row) throw notFound(`display token ${id}`);
      await record(actor, 'display.update', row.name, from, patch);
      revoke({ kind: 'display', displayId: id, reconnect: true });
      return toDisplay(row);
    },
    async revokeDisplay(id: number, actor: Principal, from: RequestOrigin): Promise<void> {
      const [row] = await db
        .update(displayTokens)
        .set({ revokedAt: new Date(now()) })
        .where(and(eq(displayTokens.id, id), isNull(displayTokens.revokedAt)))
        .returning();
      if (!row) throw notFound(`display token ${id}`);
      revoke({ kind: 'display', displayId: id });
      await record(actor, 'display.revoke', row.name, from);
    },

    /** Deletes expired sessions (run now and then). */
    async pruneSessions() {
      const at = now();
      await db.delete(sessions).where(or(lt(sessions.expiresAt, new Date(at)), lt(sessions.lastSeenAt, new Date(at - SESSION_IDLE_MS))));
    },
  };
}
