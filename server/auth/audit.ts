/** The audit trail: appended by every service that changes something; read by admins. */
import { and, desc, eq, gte, lte, type SQL } from 'drizzle-orm';
import type { AuditAction, AuditEntry } from '../../shared/auth.ts';
import type { Db } from '../store/db.ts';
import { auditLog } from '../store/schema.ts';

export interface AuditRecord {
  actor: string;
  action: AuditAction;
  target?: string | null;
  detail?: Record<string, unknown> | null;
  address?: string | null;
}

/** A transaction or the database: an audit entry goes in with the change it records. */
export type Writer = Pick<Db, 'insert'>;

export async function audit(db: Writer, r: AuditRecord): Promise<void> {
  await db.insert(auditLog).values({ actor: r.actor, action: r.action, target: r.target ?? null, detail: r.detail ?? null, address: r.address ?? null });
}

export async function listAudit(
  db: Db,
  q: { actor?: string | undefined; action?: AuditAction | undefined; from?: number | undefined; to?: number | undefined; limit: number },
): Promise<AuditEntry[]> {
  const where: SQL[] = [];
  if (q.actor) where.push(eq(auditLog.actor, q.actor));
  if (q.action) where.push(eq(auditLog.action, q.action));
  if (q.from !== undefined) where.push(gte(auditLog.at, new Date(q.from)));
  if (q.to !== undefined) where.push(lte(auditLog.at, new Date(q.to)));
  const rows = await db.select().from(auditLog).where(and(...where)).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(q.limit);
  return rows.map((r) => ({ id: r.id, at: r.at.getTime(), actor: r.actor, action: r.action, target: r.target, detail: r.detail, address: r.address }));
}
