/**
 * Users, roles, sessions, display tokens and the audit trail: the shapes and
 * constants server and client share. No validation library here, so every
 * page can import it; the input schemas are in auth-schemas.ts.
 */
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
  'agent.create', 'agent.revoke', 'host.retire',
  'target.create', 'target.update', 'target.delete',
  'derived.create', 'derived.delete', 'settings.update',
  'report.send',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
