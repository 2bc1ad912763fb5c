/**
 * Reading and writing alerts, rules, states, silences and the outbox. Row →
 * contract shape conversions live here and nowhere else.
 */
import { and, asc, desc, eq, gte, inArray, lte, ne, type SQL } from 'drizzle-orm';
import type { Alert, AlertDetail, AlertEventKind, Channel, Delivery, Rule, Silence } from '../../shared/alerts.ts';
import { maskChannel } from '../../shared/channels.ts';
import type { MetricName } from '../../shared/catalog.ts';
import type { Db } from '../store/db.ts';
import {
  alertEvents, alertRules, alertRuleStates, alerts, notificationOutbox, silences, type AlertRow, type OutboxRow,
  type RuleRow, type SilenceRow,
} from '../store/schema.ts';

/** A transaction or the database: both run the same queries. */
export type Tx = Pick<Db, 'select' | 'insert' | 'update' | 'delete' | 'execute'>;

const ms = (d: Date | null) => d?.getTime() ?? null;

export function toRule(r: RuleRow): Rule {
  return {
    id: r.id,
    name: r.name,
    metric: r.metric as MetricName,
    host: r.host,
    operator: r.operator,
    threshold: r.threshold,
    level: r.level,
    forSeconds: r.forSeconds,
    clearMargin: r.clearMargin,
    enabled: r.enabled,
    channels: r.channels,
    repeatSeconds: r.repeatSeconds,
    createdAt: r.createdAt.getTime(),
    updatedAt: r.updatedAt.getTime(),
  };
}

export function toSilence(s: SilenceRow): Silence {
  return {
    id: s.id,
    ruleId: s.ruleId,
    host: s.host,
    startsAt: s.startsAt.getTime(),
    endsAt: s.endsAt.getTime(),
    reason: s.reason,
    createdBy: s.createdBy,
    createdAt: s.createdAt.getTime(),
  };
}

function toDelivery(o: OutboxRow): Delivery {
  // Rows read by alert id are alert notifications: their reason is never 'report'.
  // Every viewer sees deliveries: a secret target (a webhook URL, a routing key) is masked.
  return { channel: maskChannel(o.channel) as Channel, reason: o.reason as Delivery['reason'], status: o.status, attempts: o.attempts, lastError: o.lastError, sentAt: ms(o.sentAt) };
}

function toAlert(a: AlertRow, deliveries: OutboxRow[]): Alert {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    metric: a.metric as MetricName,
    host: a.host,
    level: a.level,
    state: a.state,
    value: a.value,
    threshold: a.threshold,
    operator: a.operator,
    message: a.message,
    startedAt: a.startedAt.getTime(),
    acknowledgedAt: ms(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    resolvedAt: ms(a.resolvedAt),
    resolvedBy: a.resolvedBy,
    note: a.note,
    silenced: a.silenced,
    deliveries: deliveries.map(toDelivery),
  };
}

/** Alerts with their deliveries, in the given order. */
async function withDeliveries(db: Tx, rows: AlertRow[]): Promise<Alert[]> {
  if (rows.length === 0) return [];
  const outbox = await db
    .select()
    .from(notificationOutbox)
    .where(inArray(notificationOutbox.alertId, rows.map((r) => r.id)))
    .orderBy(asc(notificationOutbox.id));
  const byAlert = new Map<number, OutboxRow[]>();
  for (const o of outbox) if (o.alertId !== null) byAlert.set(o.alertId, [...(byAlert.get(o.alertId) ?? []), o]);
  return rows.map((r) => toAlert(r, byAlert.get(r.id) ?? []));
}

export async function loadAlert(db: Tx, id: number): Promise<Alert | undefined> {
  const rows = await db.select().from(alerts).where(eq(alerts.id, id));
  return (await withDeliveries(db, rows))[0];
}

export async function loadAlertDetail(db: Tx, id: number): Promise<AlertDetail | undefined> {
  const alert = await loadAlert(db, id);
  if (!alert) return undefined;
  const events = await db.select().from(alertEvents).where(eq(alertEvents.alertId, id)).orderBy(asc(alertEvents.at), asc(alertEvents.id));
  return { ...alert, timeline: events.map((e) => ({ at: e.at.getTime(), kind: e.kind, actor: e.actor, detail: e.detail })) };
}

export interface AlertFilter {
  state: 'open' | 'all' | Alert['state'];
  level?: Alert['level'] | undefined;
  host?: string | undefined;
  ruleId?: number | undefined;
  fromMs?: number | undefined;
  toMs?: number | undefined;
  limit: number;
}

export async function listAlerts(db: Tx, f: AlertFilter): Promise<Alert[]> {
  const where: SQL[] = [];
  if (f.state === 'open') where.push(ne(alerts.state, 'resolved'));
  else if (f.state !== 'all') where.push(eq(alerts.state, f.state));
  if (f.level) where.push(eq(alerts.level, f.level));
  if (f.host) where.push(eq(alerts.host, f.host));
  if (f.ruleId !== undefined) where.push(eq(alerts.ruleId, f.ruleId));
  if (f.fromMs !== undefined) where.push(gte(alerts.startedAt, new Date(f.fromMs)));
  if (f.toMs !== undefined) where.push(lte(alerts.startedAt, new Date(f.toMs)));
  const rows = await db
    .select()
    .from(alerts)
    .where(and(...where))
    .orderBy(desc(alerts.startedAt), desc(alerts.id))
    .limit(f.limit);
  return withDeliveries(db, rows);
}

export async function addEvent(db: Tx, alertId: number, kind: AlertEventKind, actor: string | null, detail: string | null, at?: number) {
  await db.insert(alertEvents).values({ alertId, kind, actor, detail, ...(at ? { at: new Date(at) } : {}) });
}

export async function queueNotifications(db: Tx, alertId: number, channels: Channel[], reason: Delivery['reason']) {
  if (channels.length === 0) return;
  await db.insert(notificationOutbox).values(channels.map((channel) => ({ alertId, channel, reason })));
}

export async function saveState(db: Tx, ruleId: number, host: string, phase: 'pending' | 'latched', since: number) {
  await db
    .insert(alertRuleStates)
    .values({ ruleId, host, phase, since: new Date(since) })
    .onConflictDoUpdate({ target: [alertRuleStates.ruleId, alertRuleStates.host], set: { phase, since: new Date(since) } });
}

export async function clearState(db: Tx, ruleId: number, host: string) {
  await db.delete(alertRuleStates).where(and(eq(alertRuleStates.ruleId, ruleId), eq(alertRuleStates.host, host)));
}

export async function loadStates(db: Tx) {
  return db.select().from(alertRuleStates);
}

export async function loadRules(db: Tx): Promise<Rule[]> {
  return (await db.select().from(alertRules).orderBy(asc(alertRules.id))).map(toRule);
}

export async function loadActiveSilences(db: Tx, nowMs: number): Promise<Silence[]> {
  return (await db.select().from(silences).where(gte(silences.endsAt, new Date(nowMs))).orderBy(asc(silences.endsAt))).map(toSilence);
}

export async function openAlertRows(db: Tx): Promise<AlertRow[]> {
  return db.select().from(alerts).where(ne(alerts.state, 'resolved'));
}

/** Open alerts of one rule (every host), or of one rule on one host. */
export function openAlertsOf(ruleId: number, host?: string) {
  return and(eq(alerts.ruleId, ruleId), ne(alerts.state, 'resolved'), host === undefined ? undefined : eq(alerts.host, host));
}

/** A silence covers an alert when its rule (or any rule) and its host (or any host) match. */
export function silenceCovers(s: Pick<Silence, 'ruleId' | 'host' | 'startsAt' | 'endsAt'>, alert: { ruleId: number | null; host: string }, nowMs: number) {
  return s.startsAt <= nowMs && nowMs < s.endsAt && (s.ruleId === null || s.ruleId === alert.ruleId) && (s.host === null || s.host === alert.host);
}
