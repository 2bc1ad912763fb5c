/**
 * Reports: computes them (compute.ts), keeps the report of every finished
 * day the schedule or an admin mailed (table `reports`), and queues report
 * emails in the notification outbox — the same durable, retried delivery as
 * alerts. A stored day is answered as stored, so it stays readable after
 * the aggregates it came from have expired.
 *
 * Exactly once per day: the scheduled email is queued in the transaction
 * that marks the day's row as scheduled, and only an upsert that finds it
 * unmarked does so — whatever the number of nodes, restarts or retries.
 */
import { desc, eq, sql } from 'drizzle-orm';
import {
  addDays, dayRange, daysBetween, localDayOf, REPORT_MAX_DAYS, timeOnDay, type Report, type ReportDelivery, type ReportSendResponse,
} from '../../shared/reports.ts';
import type { ReportQuery } from '../../shared/reports-schemas.ts';
import { audit } from '../auth/audit.ts';
import { auditOf, type Actor } from '../auth/service.ts';
import { ServiceError } from '../lib/errors.ts';
import type { Mail } from '../notify/email.ts';
import { queryRows, type Db } from '../store/db.ts';
import { retentionPolicy } from '../store/maintenance.ts';
import { notificationOutbox, reports, type OutboxRow } from '../store/schema.ts';
import { computeAlertSummary, computeReport, reportLink, type ReportRange } from './compute.ts';
import { reportCsv } from './csv.ts';
import { renderReportMail } from './mail.ts';

export interface ReportServiceDeps {
  db: Db;
  /** Days are local days in this zone. */
  timeZone: string;
  publicUrl: string;
  /** RETENTION_DAYS: how long minute aggregates last follows from it. */
  retentionDays: number;
  /** REPORT_EMAIL_TO (default ALERT_EMAIL_TO); unset: reports are stored, not mailed. */
  emailTo: string | undefined;
  /** Report emails were queued: deliver them now. */
  onQueued(): void;
  now?: () => number;
}


/** What one pass of the schedule did. */
export type ScheduleOutcome =
  | { outcome: 'not yet'; day: string; dueAt: number }
  | { outcome: 'already scheduled'; day: string }
  /** This node settled the day in an earlier pass (nothing asked of the database). */
  | { outcome: 'settled'; day: string }
  | { outcome: 'no data'; day: string }
  | { outcome: 'queued'; day: string; reportId: number; deliveryId: number | null };

export type ReportService = ReturnType<typeof createReportService>;

const ms = (d: Date | null) => d?.getTime() ?? null;

function toDelivery(o: OutboxRow, day: string): ReportDelivery {
  return {
    id: o.id, day, channel: 'email', to: o.recipient, status: o.status, attempts: o.attempts, lastError: o.lastError,
    createdAt: o.createdAt.getTime(), sentAt: ms(o.sentAt),
  };
}

const invalid = (message: string, code = 'invalid_range') => new ServiceError(422, code, message);

export function createReportService(deps: ReportServiceDeps) {
  const { db, timeZone: tz } = deps;
  const now = deps.now ?? Date.now;
  const minuteDays = retentionPolicy(deps.retentionDays).minuteDays;
  const options = (nowMs: number) => ({ tz, publicUrl: deps.publicUrl, nowMs, minuteDays });
  const yesterday = (nowMs: number) => addDays(localDayOf(nowMs, tz), -1);

  /** The range a query asks for, checked: real days, in order, at most 31, begun; a host that exists. */
  async function resolve(q: ReportQuery, nowMs: number): Promise<ReportRange> {
    const fromDay = q.day ?? q.from ?? yesterday(nowMs);
    const toDay = q.day ?? q.to ?? fromDay;
    if (fromDay > toDay) throw invalid(`from (${fromDay}) is after to (${toDay})`);
    const days = daysBetween(fromDay, toDay) + 1;
    if (days > REPORT_MAX_DAYS) throw invalid(`a report covers at most ${REPORT_MAX_DAYS} days; ${fromDay} to ${toDay} is ${days}`);
    const today = localDayOf(nowMs, tz);
    if (toDay > today) throw invalid(`${toDay} has not begun yet (today is ${today} in ${tz})`);
    const host = q.host ?? null;
    if (host !== null) {
      const [row] = await queryRows<{ id: number }>(db, sql`SELECT id FROM hosts WHERE name = ${host}`);
      if (!row) throw invalid(`unknown host "${host}"`, 'unknown_host');
    }
    return { fromDay, toDay, host };
  }

  async function storedRow(day: string) {
    const [row] = await db.select().from(reports).where(eq(reports.day, day));
    return row;
  }

  async function deliveriesOf(reportId: number, day: string): Promise<ReportDelivery[]> {
    const rows = await db.select().from(notificationOutbox).where(eq(notificationOutbox.reportId, reportId)).orderBy(notificationOutbox.id);
    return rows.map((o) => toDelivery(o, day));
  }

  /** A stored report as answered: with its deliveries; for one host, that host's part (its alerts counted anew: alerts are kept for good). */
  async function fromStored(row: NonNullable<Awaited<ReturnType<typeof storedRow>>>, range: ReportRange, nowMs: number): Promise<Report> {
    const stored: Report = { ...row.report, source: 'stored', deliveries: await deliveriesOf(row.id, row.day) };
    if (range.host === null) return stored;
    const host = stored.hosts.find((h) => h.host === range.host);
    const { host: _name, ...fleetPart } = host ?? { host: '', availabilityPercent: null, observedSeconds: 0, downSeconds: 0, metrics: {} };
    return {
      ...stored,
      host: range.host,
      link: reportLink(deps.publicUrl, range),
      hosts: host ? [host] : [],
      fleet: { hosts: host ? 1 : 0, ...fleetPart },
      forecasts: stored.forecasts.filter((f) => f.host === range.host),
      alerts: await computeAlertSummary(db, { fromMs: stored.fromMs, toMs: stored.toMs, prevFromMs: dayRange(stored.comparison.previousFrom, stored.comparison.previousFrom, stored.tz).fromMs, host: range.host }, options(nowMs)),
    };
  }

  /** The report a query asks for: a stored day as stored (unless `fresh`), anything else computed now. */
  async function get(q: ReportQuery): Promise<Report> {
    const nowMs = now();
    const range = await resolve(q, nowMs);
    if (range.fromDay === range.toDay && !q.fresh) {
      const row = await storedRow(range.fromDay);
      if (row) return fromStored(row, range, nowMs);
    }
    return computeReport(db, range, options(nowMs));
  }

  async function csv(q: ReportQuery): Promise<{ filename: string; body: string }> {
    const report = await get(q);
    const range = report.from === report.to ? report.from : `${report.from}_${report.to}`;
    return { filename: `glasswatch-report-${range}${report.host ? `-${report.host.replace(/[^A-Za-z0-9._-]/g, '_')}` : ''}.csv`, body: reportCsv(report) };
  }

  /** Whether a report has anything in it: a day before the installation existed has not. */
  const hasData = (r: Report) => r.hosts.length > 0 || r.alerts.total > 0;

  type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

  async function queueMail(tx: Tx, reportId: number, to: string): Promise<OutboxRow> {
    const [row] = await tx.insert(notificationOutbox).values({ reportId, channel: 'email', reason: 'report', recipient: to }).returning();
    return row!;
  }

  /**
   * The schedule's pass at `nowMs`: once REPORT_TIME has come today, the
   * report of yesterday is stored and its email queued — unless that was
   * done already (by this node before a restart, or by another).
   * `settledDay`: the day the caller already settled.
   */
  async function runSchedule(nowMs: number, at: { hour: number; minute: number }, settledDay?: string): Promise<ScheduleOutcome> {
    const today = localDayOf(nowMs, tz);
    const day = addDays(today, -1);
    const dueAt = timeOnDay(today, at.hour, at.minute, tz);
    if (nowMs < dueAt) return { outcome: 'not yet', day, dueAt };
    if (day === settledDay) return { outcome: 'settled', day };
    if ((await storedRow(day))?.scheduledAt) return { outcome: 'already scheduled', day };
    const report = await computeReport(db, { fromDay: day, toDay: day, host: null }, options(nowMs));
    if (!hasData(report)) return { outcome: 'no data', day };
    const done = await db.transaction(async (tx) => {
      // Inserted, or a row a manual send left unscheduled: ours. Already scheduled: someone else's (nothing returned).
      const [row] = await queryRows<{ id: number }>(tx as unknown as Db, sql`
        INSERT INTO reports (day, tz, generated_at, scheduled_at, report)
        VALUES (${day}::date, ${tz}, ${new Date(nowMs).toISOString()}::timestamptz, ${new Date(nowMs).toISOString()}::timestamptz, ${JSON.stringify(report)}::jsonb)
        ON CONFLICT (day) DO UPDATE SET scheduled_at = excluded.scheduled_at WHERE reports.scheduled_at IS NULL
        RETURNING id`);
      if (!row) return undefined;
      const delivery = deps.emailTo ? await queueMail(tx, row.id, deps.emailTo) : undefined;
      return { reportId: row.id, deliveryId: delivery?.id ?? null };
    });
    if (!done) return { outcome: 'already scheduled', day };
    if (done.deliveryId !== null) deps.onQueued();
    return { outcome: 'queued', day, ...done };
  }

  /** An admin's "send now": the day's report (stored if it was not) emailed, audited in the same transaction. */
  async function send(dayAsked: string | undefined, by: Actor): Promise<ReportSendResponse> {
    const nowMs = now();
    const day = dayAsked ?? yesterday(nowMs);
    const { toMs } = dayRange(day, day, tz);
    if (toMs > nowMs) throw invalid(`${day} is not over yet in ${tz}: only finished days are sent`);
    const to = deps.emailTo;
    if (!to) throw new ServiceError(409, 'not_configured', 'report emails have no recipient: set REPORT_EMAIL_TO (or ALERT_EMAIL_TO)');
    const existing = await storedRow(day);
    const report = existing ? undefined : await computeReport(db, { fromDay: day, toDay: day, host: null }, options(nowMs));
    const { reportId, delivery } = await db.transaction(async (tx) => {
      let id = existing?.id;
      if (id === undefined) {
        const [inserted] = await tx.insert(reports).values({ day, tz, generatedAt: new Date(nowMs), report: report! }).onConflictDoNothing().returning({ id: reports.id });
        // Stored meanwhile by another request or node: send that one.
        id = inserted?.id ?? (await tx.select({ id: reports.id }).from(reports).where(eq(reports.day, day)))[0]!.id;
      }
      const queued = await queueMail(tx, id, to);
      await audit(tx, auditOf(by, 'report.send', `report ${day}`, { to, delivery: queued.id }));
      return { reportId: id, delivery: queued };
    });
    deps.onQueued();
    return { day, reportId, delivery: toDelivery(delivery, day) };
  }

  async function deliveries(q: { day?: string | undefined; limit?: number | undefined }): Promise<ReportDelivery[]> {
    const rows = await db
      .select({ o: notificationOutbox, day: reports.day })
      .from(notificationOutbox)
      .innerJoin(reports, eq(reports.id, notificationOutbox.reportId))
      .where(q.day ? eq(reports.day, q.day) : undefined)
      .orderBy(desc(notificationOutbox.id))
      .limit(q.limit ?? 50);
    return rows.map((r) => toDelivery(r.o, r.day));
  }

  /** The email of a stored report (for the outbox). */
  async function compose(reportId: number, to: string): Promise<Mail | undefined> {
    const [row] = await db.select().from(reports).where(eq(reports.id, reportId));
    if (!row) return undefined;
    return { to, ...renderReportMail({ ...row.report, source: 'stored' }) };
  }

  return { get, csv, send, deliveries, compose, runSchedule, timeZone: tz };
}
