/**
 * Authentication and the people and screens it knows: users with roles,
 * login sessions (stored, so they survive restarts), display tokens for wall
 * screens, login limits, and the audit entries for all of it — each written
 * in the transaction of the change it records.
 *
 * Cheap for strangers, steady in an outage: a session cookie carries an HMAC
 * of its random part, so a made-up cookie is refused without a database
 * query; a known session is checked in the database at most every 30 s and
 * served from a cache in between — and from the cache while the database is
 * away. Display tokens (a few) are held in memory.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, gte, isNull, lt, or, sql } from 'drizzle-orm';
import type { AuditAction, DisplaySettings, DisplayToken, Principal, Role, User } from '../../shared/auth.ts';
import { ServiceError, notFound } from '../lib/errors.ts';
import type { Db } from '../store/db.ts';
import { auditLog, displayTokens, sessions, settings, users, type UserRow } from '../store/schema.ts';
import { audit, type Writer } from './audit.ts';
import { clearAttempts, countAttempt, loginKeys, pruneAttempts } from './login-limits.ts';
import { decoyHash, generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { newToken, tokenHash } from './tokens.ts';
import { throttled } from '../lib/throttle.ts';

export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_MAX_MS = 7 * 24 * 3600_000;
/** last_seen_at is written at most this often per session. */
const TOUCH_EVERY_MS = 60_000;
/** A cached session is checked against the database again after this long. */
const SESSION_RECHECK_MS = 30_000;
const SESSION_CACHE_MAX = 10_000;
/** An address a user logged in from within this long counts as theirs (login-limits.ts). */
const KNOWN_ADDRESS_MS = 30 * 86_400_000;

export interface RequestOrigin {
  address: string | null;
  userAgent?: string | null;
}

/** Who acts, and from where: every change a service makes is audited with it. */
export interface Actor {
  principal: Principal;
  from: RequestOrigin;
}

/** Something that should end live connections: a session, every session of a user, or a display token. */
export type Revocation =
  | { kind: 'session'; sessionId: string }
  | { kind: 'user'; userId: number }
  /** `reconnect`: the token stays valid; its screens reconnect to pick up new settings. */
  | { kind: 'display'; displayId: number; reconnect?: boolean };

export type AuthService = Awaited<ReturnType<typeof createAuthService>>;
export type SessionPrincipal = Principal & { kind: 'user'; sessionId: string };
export type DisplayPrincipal = Principal & { kind: 'display'; settings: DisplaySettings };

const toUser = (u: UserRow): User => ({
  id: u.id, username: u.username, role: u.role, disabled: u.disabled, createdAt: u.createdAt.getTime(), updatedAt: u.updatedAt.getTime(),
});

const toDisplay = (d: typeof displayTokens.$inferSelect): DisplayToken => ({
  id: d.id, name: d.name, createdBy: d.createdBy, createdAt: d.createdAt.getTime(), lastUsedAt: d.lastUsedAt?.getTime() ?? null, revokedAt: d.revokedAt?.getTime() ?? null,
  views: d.views, rotateSeconds: d.rotateSeconds, sound: d.sound,
});

export const actorName = (p: Principal) => (p.kind === 'user' ? p.username : `display:${p.name}`);

/** The audit entry of an action, as every service writes it inside its transaction. */
export const auditOf = (by: Actor, action: AuditAction, target: string, detail?: Record<string, unknown>) => ({
  actor: actorName(by.principal), action, target, detail: detail ?? null, address: by.from.address,
});

interface CachedSession {
  principal: SessionPrincipal;
  expiresAt: number;
  lastSeenAt: number;
  checkedAt: number;
}

const SECRET_KEY = 'session_secret';

export async function createAuthService(deps: { db: Db; adminPassword?: string | undefined; now?: () => number }) {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const listeners = new Set<(r: Revocation, remote: boolean) => void>();
  const cache = new Map<string, CachedSession>();

  // The HMAC key of session cookies: made once, shared by every server node through the database.
  await db.insert(settings).values({ key: SECRET_KEY, value: newToken() }).onConflictDoNothing();
  const [secretRow] = await db.select().from(settings).where(eq(settings.key, SECRET_KEY));
  const secret = String(secretRow!.value);
  const sign = (random: string) => createHmac('sha256', secret).update(random).digest('base64url').slice(0, 22);
  const newSessionToken = () => {
    const random = newToken();
    return `${random}.${sign(random)}`;
  };
  /** True when the cookie is one this installation issued (not when it is still valid: that takes the database). */
  const signedByUs = (token: string) => {
    const dot = token.indexOf('.');
    if (dot < 1 || token.length > 120) return false;
    const expected = Buffer.from(sign(token.slice(0, dot)));
    const given = Buffer.from(token.slice(dot + 1));
    return expected.length === given.length && timingSafeEqual(expected, given);
  };

  /** Live display tokens by hash: a wall screen's connect costs no query, a made-up token neither. */
  let displays = new Map<string, DisplayPrincipal>();
  const displayTouched = new Map<number, number>();
  async function loadDisplays() {
    const rows = await db.select().from(displayTokens).where(isNull(displayTokens.revokedAt));
    displays = new Map(rows.map((r) => [r.tokenHash, { kind: 'display', id: r.id, name: r.name, role: 'viewer', settings: { views: r.views, rotateSeconds: r.rotateSeconds, sound: r.sound } }]));
    for (const r of rows) displayTouched.set(r.id, r.lastUsedAt?.getTime() ?? 0);
  }
  await loadDisplays();

  /** `remote`: another node made it (this node only applies it, and does not pass it on). */
  const revoke = (r: Revocation, remote = false) => {
    for (const [id, c] of cache) {
      if ((r.kind === 'session' && id === r.sessionId) || (r.kind === 'user' && c.principal.id === r.userId)) cache.delete(id);
    }
    listeners.forEach((l) => l(r, remote));
  };

  /** On a first start with no users: an admin, with ADMIN_PASSWORD or a generated password printed once. */
  async function ensureAdmin(): Promise<{ username: string; password: string; generated: boolean } | null> {
    const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
    if (n > 0) return null;
    const password = deps.adminPassword ?? generatePassword();
    await db.insert(users).values({ username: 'admin', passwordHash: await hashPassword(password), role: 'admin' }).onConflictDoNothing();
    return { username: 'admin', password, generated: deps.adminPassword === undefined };
  }

  async function knownAddress(username: string, address: string | null): Promise<boolean> {
    if (!address) return false;
    const [row] = await db
      .select({ id: auditLog.id })
      .from(auditLog)
      .where(and(eq(auditLog.actor, username), eq(auditLog.action, 'login'), eq(auditLog.address, address), gte(auditLog.at, new Date(now() - KNOWN_ADDRESS_MS))))
      .orderBy(desc(auditLog.at))
      .limit(1);
    return row !== undefined;
  }

  async function login(username: string, password: string, from: RequestOrigin): Promise<{ token: string; principal: Principal }> {
    const keys = loginKeys(username, from.address, await knownAddress(username, from.address));
    // Counted before the password is checked: concurrent guesses each take their own number.
    const wait = await countAttempt(db, keys, now());
    if (wait > 0) {
      await audit(db, { actor: username, action: 'login_failed', detail: { reason: 'rate limited' }, address: from.address });
      throw Object.assign(new ServiceError(429, 'too_many_attempts', `too many login attempts: try again in ${Math.ceil(wait / 60_000)} min`), { retryAfterSec: Math.ceil(wait / 1000) });
    }
    const [user] = await db.select().from(users).where(eq(users.username, username));
    // Unknown user, wrong password and disabled user get one answer and take as long.
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !ok || user.disabled) {
      await audit(db, { actor: username, action: 'login_failed', address: from.address });
      throw new ServiceError(401, 'invalid_credentials', 'wrong username or password');
    }
    const token = newSessionToken();
    const at = now();
    await db.transaction(async (tx) => {
      await tx.insert(sessions).values({
        id: tokenHash(token), userId: user.id, createdAt: new Date(at), lastSeenAt: new Date(at), expiresAt: new Date(at + SESSION_MAX_MS),
        address: from.address, userAgent: from.userAgent?.slice(0, 300) ?? null,
      });
      await audit(tx, { actor: user.username, action: 'login', address: from.address });
    });
    await clearAttempts(db, keys);
    return { token, principal: { kind: 'user', id: user.id, username: user.username, role: user.role } };
  }

  /**
   * The user behind a session cookie, or null when it is not ours, unknown,
   * expired (idle or absolute) or the user is disabled. While the database is
   * away a session checked before keeps working (until it would expire).
   */
  async function resolveSession(token: string | undefined): Promise<SessionPrincipal | null> {
    if (!token || !signedByUs(token)) return null;
    const id = tokenHash(token);
    const at = now();
    const cached = cache.get(id);
    const alive = (c: { expiresAt: number; lastSeenAt: number }) => c.expiresAt > at && c.lastSeenAt + SESSION_IDLE_MS > at;
    if (cached && at - cached.checkedAt < SESSION_RECHECK_MS && alive(cached)) return cached.principal;
    let row;
    try {
      [row] = await db.select({ s: sessions, u: users }).from(sessions).innerJoin(users, eq(users.id, sessions.userId)).where(eq(sessions.id, id));
    } catch (err) {
      if (cached && alive(cached)) return cached.principal;
      throw err;
    }
    if (!row || row.u.disabled || row.s.expiresAt.getTime() <= at || row.s.lastSeenAt.getTime() + SESSION_IDLE_MS <= at) {
      cache.delete(id);
      if (row) await db.delete(sessions).where(eq(sessions.id, id));
      return null;
    }
    let lastSeenAt = row.s.lastSeenAt.getTime();
    if (at - lastSeenAt >= TOUCH_EVERY_MS) {
      // Not awaited: keeping a session alive must not make a read wait (or fail) on a write.
      void db.update(sessions).set({ lastSeenAt: new Date(at) }).where(eq(sessions.id, id)).catch(() => {});
      lastSeenAt = at;
    }
    const principal: SessionPrincipal = { kind: 'user', id: row.u.id, username: row.u.username, role: row.u.role, sessionId: id };
    cache.delete(id); // re-inserted last: the Map keeps least-recently-checked first
    cache.set(id, { principal, expiresAt: row.s.expiresAt.getTime(), lastSeenAt, checkedAt: at });
    if (cache.size > SESSION_CACHE_MAX) cache.delete(cache.keys().next().value!);
    return principal;
  }

  /** Keeps a session alive while its dashboard is open; false once it has ended. */
  async function touchSession(sessionId: string): Promise<boolean> {
    const [row] = await db
      .select({ expiresAt: sessions.expiresAt, disabled: users.disabled })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(sessions.id, sessionId));
    const at = now();
    if (!row || row.disabled || row.expiresAt.getTime() <= at) {
      cache.delete(sessionId);
      return false;
    }
    await db.update(sessions).set({ lastSeenAt: new Date(at) }).where(eq(sessions.id, sessionId));
    const cached = cache.get(sessionId);
    if (cached) cached.lastSeenAt = at;
    return true;
  }

  async function logout(token: string, from: RequestOrigin) {
    if (!signedByUs(token)) return;
    const id = tokenHash(token);
    const gone = await db.transaction(async (tx) => {
      const [row] = await tx.delete(sessions).where(eq(sessions.id, id)).returning({ userId: sessions.userId });
      if (!row) return undefined;
      const [user] = await tx.select({ username: users.username }).from(users).where(eq(users.id, row.userId));
      await audit(tx, { actor: user?.username ?? '?', action: 'logout', address: from.address });
      return row;
    });
    cache.delete(id);
    if (gone) revoke({ kind: 'session', sessionId: id });
  }

  // A token another server node just created is not in memory yet: look once more (at most once a second).
  const reloadDisplays = throttled(loadDisplays, 1000);

  /** The wall screen a display token belongs to, from memory; last use is written at most once a minute. */
  async function resolveDisplay(token: string | undefined): Promise<DisplayPrincipal | null> {
    if (!token || token.length > 200) return null;
    const hash = tokenHash(token);
    if (!displays.has(hash)) await reloadDisplays().catch(() => {});
    const display = displays.get(hash);
    if (!display) return null;
    const at = now();
    if (at - (displayTouched.get(display.id) ?? 0) >= TOUCH_EVERY_MS) {
      displayTouched.set(display.id, at);
      void db.update(displayTokens).set({ lastUsedAt: new Date(at) }).where(eq(displayTokens.id, display.id)).catch(() => {});
    }
    return display;
  }

  /** Runs a change and its audit entry in one transaction. */
  const audited = <T>(work: (tx: Writer & Db) => Promise<T>) => db.transaction((tx) => work(tx as unknown as Writer & Db));

  async function adminCount(tx: Db, excludingId: number) {
    const [{ n } = { n: 0 }] = await tx
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
    onRevoke(listener: (r: Revocation, remote: boolean) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Another node revoked something, or changed display tokens: apply it here. */
    applyRemote(r: Revocation | { kind: 'displays-changed' }) {
      if (r.kind === 'displays-changed') return void loadDisplays();
      if (r.kind === 'display') void loadDisplays();
      revoke(r, true);
    },

    async listUsers(): Promise<User[]> {
      return (await db.select().from(users).orderBy(users.username)).map(toUser);
    },
    async createUser(input: { username: string; password: string; role: Role }, by: Actor): Promise<User> {
      const passwordHash = await hashPassword(input.password);
      return audited(async (tx) => {
        const [row] = await tx.insert(users).values({ username: input.username, passwordHash, role: input.role }).onConflictDoNothing().returning();
        if (!row) throw new ServiceError(409, 'conflict', `user "${input.username}" exists`);
        await audit(tx, auditOf(by, 'user.create', input.username, { role: input.role }));
        return toUser(row);
      });
    },
    async updateUser(id: number, patch: { role?: Role; password?: string; disabled?: boolean }, by: Actor): Promise<User> {
      const passwordHash = patch.password ? await hashPassword(patch.password) : undefined;
      const user = await audited(async (tx) => {
        const [current] = await tx.select().from(users).where(eq(users.id, id));
        if (!current) throw notFound(`user ${id}`);
        const losesAdmin = current.role === 'admin' && !current.disabled && ((patch.role && patch.role !== 'admin') || patch.disabled === true);
        if (losesAdmin && (await adminCount(tx, id)) === 0) throw new ServiceError(409, 'conflict', 'the last admin cannot be demoted or disabled');
        const [row] = await tx
          .update(users)
          .set({
            ...(patch.role ? { role: patch.role } : {}),
            ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
            ...(passwordHash ? { passwordHash } : {}),
            updatedAt: new Date(),
          })
          .where(eq(users.id, id))
          .returning();
        // A new role, a reset password or a disabled account ends the user's sessions: they log in again.
        await tx.delete(sessions).where(eq(sessions.userId, id));
        await audit(tx, auditOf(by, 'user.update', current.username, {
          ...(patch.role ? { role: patch.role } : {}),
          ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
          ...(patch.password ? { password: 'reset' } : {}),
        }));
        return toUser(row!);
      });
      revoke({ kind: 'user', userId: id });
      return user;
    },
    async deleteUser(id: number, by: Actor): Promise<void> {
      await audited(async (tx) => {
        const [current] = await tx.select().from(users).where(eq(users.id, id));
        if (!current) throw notFound(`user ${id}`);
        if (by.principal.kind === 'user' && by.principal.id === id) throw new ServiceError(409, 'conflict', 'you cannot delete yourself');
        if (current.role === 'admin' && (await adminCount(tx, id)) === 0) throw new ServiceError(409, 'conflict', 'the last admin cannot be deleted');
        await tx.delete(users).where(eq(users.id, id));
        await audit(tx, auditOf(by, 'user.delete', current.username));
      });
      revoke({ kind: 'user', userId: id });
    },

    async listDisplays(): Promise<DisplayToken[]> {
      return (await db.select().from(displayTokens).orderBy(displayTokens.createdAt)).map(toDisplay);
    },
    /** Returns the token in clear this once; only its hash is kept. */
    async createDisplay(input: { name: string } & DisplaySettings, by: Actor): Promise<DisplayToken & { token: string }> {
      const token = newToken();
      const row = await audited(async (tx) => {
        const [created] = await tx.insert(displayTokens).values({ ...input, tokenHash: tokenHash(token), createdBy: actorName(by.principal) }).returning();
        await audit(tx, auditOf(by, 'display.create', input.name, { ...input }));
        return created!;
      });
      await loadDisplays();
      return { ...toDisplay(row), token };
    },
    /** Renames a display or changes its kiosk settings; its screens pick them up on their next connect. */
    async updateDisplay(id: number, patch: Partial<{ name: string } & DisplaySettings>, by: Actor): Promise<DisplayToken> {
      const row = await audited(async (tx) => {
        const [updated] = await tx.update(displayTokens).set(patch).where(and(eq(displayTokens.id, id), isNull(displayTokens.revokedAt))).returning();
        if (!updated) throw notFound(`display token ${id}`);
        await audit(tx, auditOf(by, 'display.update', updated.name, patch));
        return updated;
      });
      await loadDisplays();
      revoke({ kind: 'display', displayId: id, reconnect: true });
      return toDisplay(row);
    },
    async revokeDisplay(id: number, by: Actor): Promise<void> {
      await audited(async (tx) => {
        const [row] = await tx
          .update(displayTokens)
          .set({ revokedAt: new Date(now()) })
          .where(and(eq(displayTokens.id, id), isNull(displayTokens.revokedAt)))
          .returning();
        if (!row) throw notFound(`display token ${id}`);
        await audit(tx, auditOf(by, 'display.revoke', row.name));
      });
      await loadDisplays();
      revoke({ kind: 'display', displayId: id });
    },

    /** Deletes expired sessions and ended login windows (run now and then). */
    async pruneSessions() {
      const at = now();
      await db.delete(sessions).where(or(lt(sessions.expiresAt, new Date(at)), lt(sessions.lastSeenAt, new Date(at - SESSION_IDLE_MS))));
      await pruneAttempts(db, at);
    },
  };
}
