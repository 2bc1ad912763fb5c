/**
 * Users, roles, sessions, display tokens and the audit trail: shapes and
 * input schemas shared by server and client.
 */
import { z } from 'zod';
import type { TsMs } from './events.ts';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

/** True when `role` may do what `needed` may. */
export function hasRole(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** Who is asking: a logged-in user, or a wall screen with a display token (read-only). */
export type Principal =
  | { kind: 'user'; id: number; username: string; role: Role }
  | { kind: 'display'; id: number; name: string; role: 'viewer'; settings?: DisplaySettings };

export interface Me {
  kind: Principal['kind'];
  name: string;
  role: Role;
}

export interface User {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  createdAt: TsMs;
  updatedAt: TsMs;
}

/** What a wall screen can show: everything at a glance, one host in detail, or the alerts. */
export const KIOSK_VIEWS = ['overview', 'hosts', 'alerts'] as const;
export type KioskView = (typeof KIOSK_VIEWS)[number];

/** How a wall screen behaves, set by an admin per display token. */
export interface DisplaySettings {
  /** Views to rotate through, in order (one view: no rotation). */
  views: KioskView[];
  /** Seconds per view; null: no rotation. Rotation pauses while an unacknowledged CRITICAL alert is open. */
  rotateSeconds: number | null;
  /** Sound an alarm while an unacknowledged CRITICAL alert is open (off by default). */
  sound: boolean;
}

export interface DisplayToken extends DisplaySettings {
  id: number;
  name: string;
  createdBy: string;
  createdAt: TsMs;
  lastUsedAt: TsMs | null;
  revokedAt: TsMs | null;
}

export interface AuditEntry {
  id: number;
  at: TsMs;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown> | null;
  address: string | null;
}

export const AUDIT_ACTIONS = [
  'login', 'login_failed', 'logout',
  'alert.ack', 'alert.unack', 'alert.resolve',
  'silence.create', 'silence.delete',
  'rule.create', 'rule.update', 'rule.delete',
  'user.create', 'user.update', 'user.delete',
  'display.create', 'display.update', 'display.revoke',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/;
const username = z.string().trim().regex(USERNAME, 'username: 1–64 letters, digits, . _ @ - (starting with a letter or digit)');
const password = z.string().min(10, 'password needs at least 10 characters').max(200, 'password is at most 200 characters');

export const loginSchema = z.object({ username: z.string().trim().min(1, 'username is required').max(64), password: z.string().min(1, 'password is required').max(200) }).strict();

export const userCreateSchema = z.object({ username, password, role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }) }).strict();

export const userPatchSchema = z
  .object({ role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }), password, disabled: z.boolean() })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

const displaySettingsFields = {
  views: z
    .array(z.enum(KIOSK_VIEWS, { error: `views are ${KIOSK_VIEWS.join(', ')}` }))
    .min(1, 'at least one view')
    .refine((v) => new Set(v).size === v.length, 'views repeat'),
  rotateSeconds: z.number().int('whole seconds').min(10, 'rotate every 10 s at the fastest').max(3600).nullable(),
  sound: z.boolean(),
};
const displayName = z.string().trim().min(1, 'name is required').max(80, 'name is at most 80 characters');

export const displayCreateSchema = z
  .object({
    name: displayName,
    views: displaySettingsFields.views.default(['overview']),
    rotateSeconds: displaySettingsFields.rotateSeconds.default(null),
    sound: displaySettingsFields.sound.default(false),
  })
  .strict();

export const displayPatchSchema = z
  .object({ name: displayName, ...displaySettingsFields })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

export const auditQuery = z.object({
  actor: z.string().trim().max(64).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  from: z.string().regex(/^\d+$/, 'from must be epoch milliseconds').transform(Number).optional(),
  to: z.string().regex(/^\d+$/, 'to must be epoch milliseconds').transform(Number).optional(),
  limit: z.string().regex(/^\d+$/, 'limit must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1000)).default(200),
});
