/**
 * Every table of glasswatch. Migrations in ../../migrations are generated
 * from this file by drizzle-kit (`npm run db:generate`); never edit them.
 */
import { sql } from 'drizzle-orm';
import {
  bigserial, boolean, check, customType, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, real, serial, smallint,
  smallserial, text, timestamp, uniqueIndex,
} from 'drizzle-orm/pg-core';
import type { AlertEventKind, AlertState, Channel, DeliveryStatus, Level, Operator } from '../../shared/alerts.ts';
import type { KioskView, Role } from '../../shared/auth.ts';
import type { MetricKind } from '../../shared/catalog.ts';
import type { SeriesSelector } from '../../shared/apps.ts';
import type { HostKind } from '../../shared/events.ts';
import type { Report } from '../../shared/reports.ts';

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const tsCol = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Monitored hosts: the server's own, agents', scrape targets' and pushers'. */
export const hosts = pgTable('hosts', {
  id: smallserial('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind').$type<HostKind>().notNull().default('server'),
  /** The host's own tick (an agent's COLLECT_INTERVAL_MS, a target's interval): it is down after 3 missed ones. */
  intervalMs: integer('interval_ms'),
  lastSeen: tsCol('last_seen'),
  createdAt: tsCol('created_at').notNull().defaultNow(),
  /** No longer watched (its agent was revoked, its target deleted, or an admin retired it): history stays, `host.up` stops. */
  retiredAt: tsCol('retired_at'),
});

/**
 * The runtime metric catalog: every metric name ↔ a small id (a sample row
 * stores the id, not the string), with what a person needs to read it.
 * Built-in metrics are registered from shared/catalog.ts at every start;
 * scraped, pushed and derived ones as they first appear.
 */
export const metrics = pgTable('metrics', {
  id: smallserial('id').primaryKey(),
  name: text('name').notNull().unique(),
  kind: text('kind').$type<MetricKind>().notNull().default('gauge'),
  builtin: boolean('builtin').notNull().default(true),
  label: text('label'),
  unit: text('unit').notNull().default(''),
  help: text('help').notNull().default(''),
  createdAt: tsCol('created_at').notNull().defaultNow(),
});

/**
 * The head of the sample store: samples not yet sealed into blocks, one
 * narrow row per (tick, host, metric) — the current minute, the one before,
 * and late arrivals (an agent's backlog) until the next seal. No null
 * values: a missing sample is a gap. The key makes a sample stored twice (an
 * agent re-sending a batch whose acknowledgement it lost) a no-op.
 * float8, so a value comes back exactly as it went in.
 */
export const samples = pgTable(
  'samples',
  {
    ts: tsCol('ts').notNull(),
    hostId: smallint('host_id').notNull(),
    metricId: smallint('metric_id').notNull(),
    value: doublePrecision('value').notNull(),
  },
  (t) => [
    primaryKey({ name: 'samples_pk', columns: [t.hostId, t.metricId, t.ts] }),
    // Retention deletes by time: a BRIN index is tiny and enough for that.
    index('samples_ts_brin').using('brin', t.ts),
  ],
);

/**
 * Sealed samples: one row per series per minute, the minute's samples
 * encoded in `data` (server/store/codec.ts, ~1.5 bytes a sample) beside
 * their aggregates — so the row is also the 1-minute rollup that long
 * charts and reports read in SQL. `warn_seconds`/`crit_seconds`: time the
 * series spent at or above its default warning/critical threshold (null: it
 * has none). Past RETENTION_DAYS `data` is dropped and the aggregates stay.
 */
export const sampleBlocks = pgTable(
  'sample_blocks',
  {
    hostId: smallint('host_id').notNull(),
    metricId: smallint('metric_id').notNull(),
    start: tsCol('start').notNull(),
    n: integer('n').notNull(),
    min: doublePrecision('min').notNull(),
    max: doublePrecision('max').notNull(),
    sum: doublePrecision('sum').notNull(),
    warnSeconds: real('warn_seconds'),
    critSeconds: real('crit_seconds'),
    data: bytea('data'),
  },
  (t) => [primaryKey({ name: 'sample_blocks_pk', columns: [t.hostId, t.metricId, t.start] }), index('sample_blocks_start_brin').using('brin', t.start)],
);

/**
 * Agents: a revocable token per host that may push that host's samples (over
 * the `/agent` socket, or to POST /api/ingest). Only the token's SHA-256 is stored.
 */
export const agents = pgTable(
  'agents',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    createdBy: text('created_by').notNull(),
    createdAt: tsCol('created_at').notNull().defaultNow(),
    revokedAt: tsCol('revoked_at'),
    lastSeen: tsCol('last_seen'),
    version: text('version'),
    platform: text('platform'),
    clockSkewMs: integer('clock_skew_ms'),
  },
  // One live token per host name; a revoked one's name can be given again.
  (t) => [uniqueIndex('agents_live_name').on(t.name).where(sql`revoked_at IS NULL`)],
);

/** min/avg/max/count per series and hour, from the minute blocks; kept longest. */
export const samples1h = pgTable(
  'samples_1h',
  {
    ts: tsCol('ts').notNull(),
    hostId: smallint('host_id').notNull(),
    metricId: smallint('metric_id').notNull(),
    min: doublePrecision('min').notNull(),
    avg: doublePrecision('avg').notNull(),
    max: doublePrecision('max').notNull(),
    count: integer('count').notNull(),
    /** Seconds of the hour at or above the warning / critical threshold (null: no threshold). */
    warnSeconds: real('warn_seconds'),
    critSeconds: real('crit_seconds'),
  },
  (t) => [primaryKey({ name: 'samples_1h_pk', columns: [t.hostId, t.metricId, t.ts] })],
);

/** Prometheus endpoints glasswatch scrapes (Admin → Targets). Status columns are written after each scrape, at most every few seconds. */
export const scrapeTargets = pgTable('scrape_targets', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  url: text('url').notNull(),
  /** The host its series belong to (default: the name). */
  host: text('host').notNull(),
  intervalSeconds: integer('interval_seconds').notNull().default(5),
  seriesLimit: integer('series_limit').notNull().default(500),
  enabled: boolean('enabled').notNull().default(true),
  createdAt: tsCol('created_at').notNull().defaultNow(),
  lastScrapeAt: tsCol('last_scrape_at'),
  lastDurationMs: integer('last_duration_ms'),
  lastError: text('last_error'),
  series: integer('series').notNull().default(0),
});

/**
 * Ratio metrics an admin defines from two sums of series, e.g. the error
 * rate: Σ erp_http_requests_total:rate{status=~"5.*"} ÷ Σ erp_http_requests_total:rate × 100.
 */
export const derivedMetrics = pgTable('derived_metrics', {
  id: serial('id').primaryKey(),
  name: text('name').notNull().unique(),
  label: text('label'),
  unit: text('unit').notNull().default(''),
  numerator: jsonb('numerator').$type<SeriesSelector>().notNull(),
  denominator: jsonb('denominator').$type<SeriesSelector>().notNull(),
  factor: doublePrecision('factor').notNull().default(1),
  createdBy: text('created_by').notNull(),
  createdAt: tsCol('created_at').notNull().defaultNow(),
});

/** Installation-wide settings an admin changes in the UI (the Application panels' pinned series, …). */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').$type<unknown>().notNull(),
  updatedBy: text('updated_by'),
  updatedAt: tsCol('updated_at').notNull().defaultNow(),
});

/** The server nodes of one installation (PostgreSQL), each refreshing its row every few seconds. */
export const clusterNodes = pgTable('cluster_nodes', {
  name: text('name').primaryKey(),
  startedAt: tsCol('started_at').notNull(),
  lastSeen: tsCol('last_seen').notNull(),
  viewers: integer('viewers').notNull().default(0),
  agents: integer('agents').notNull().default(0),
});

/**
 * The leader's fencing token: a node that takes the advisory lock bumps
 * `epoch`; leader-only writes check it in their own transaction, so a node
 * that lost the lock (and does not know yet) has its late writes refused.
 */
export const clusterLeader = pgTable('cluster_leader', {
  id: smallint('id').primaryKey(),
  epoch: integer('epoch').notNull(),
  node: text('node').notNull(),
  since: tsCol('since').notNull(),
});

/** Used by @socket.io/postgres-adapter when several server nodes share PostgreSQL. */
export const socketIoAttachments = pgTable('socket_io_attachments', {
  id: bigserial('id', { mode: 'number' }).unique(),
  createdAt: tsCol('created_at').default(sql`now()`),
  payload: bytea('payload'),
});

/** Alert rules (see shared/alerts.ts for the meaning of each field). */
export const alertRules = pgTable('alert_rules', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  metric: text('metric').notNull(),
  host: text('host'),
  operator: text('operator').$type<Operator>().notNull(),
  threshold: doublePrecision('threshold').notNull(),
  level: text('level').$type<Level>().notNull(),
  forSeconds: integer('for_seconds').notNull().default(0),
  clearMargin: doublePrecision('clear_margin').notNull().default(0),
  enabled: boolean('enabled').notNull().default(true),
  channels: jsonb('channels').$type<Channel[]>().notNull(),
  repeatSeconds: integer('repeat_seconds'),
  createdAt: tsCol('created_at').notNull().defaultNow(),
  updatedAt: tsCol('updated_at').notNull().defaultNow(),
});

/**
 * Alerts, open and past. At most one open alert per (rule, host), enforced
 * by a partial unique index: a condition that stays true fires once.
 */
export const alerts = pgTable(
  'alerts',
  {
    id: serial('id').primaryKey(),
    ruleId: integer('rule_id').references(() => alertRules.id, { onDelete: 'set null' }),
    ruleName: text('rule_name').notNull(),
    metric: text('metric').notNull(),
    host: text('host').notNull(),
    level: text('level').$type<Level>().notNull(),
    state: text('state').$type<AlertState>().notNull(),
    value: doublePrecision('value').notNull(),
    threshold: doublePrecision('threshold').notNull(),
    operator: text('operator').$type<Operator>().notNull(),
    message: text('message').notNull(),
    startedAt: tsCol('started_at').notNull(),
    acknowledgedAt: tsCol('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
    resolvedAt: tsCol('resolved_at'),
    resolvedBy: text('resolved_by'),
    note: text('note'),
    silenced: boolean('silenced').notNull().default(false),
    lastNotifiedAt: tsCol('last_notified_at'),
  },
  (t) => [
    uniqueIndex('alerts_one_open_per_rule_host').on(t.ruleId, t.host).where(sql`state <> 'resolved'`),
    index('alerts_started_idx').on(t.startedAt),
  ],
);

/** The timeline of each alert: fired, notified, acknowledged, resolved… */
export const alertEvents = pgTable(
  'alert_events',
  {
    id: serial('id').primaryKey(),
    alertId: integer('alert_id')
      .notNull()
      .references(() => alerts.id, { onDelete: 'cascade' }),
    at: tsCol('at').notNull().defaultNow(),
    kind: text('kind').$type<AlertEventKind>().notNull(),
    actor: text('actor'),
    detail: text('detail'),
  },
  (t) => [index('alert_events_alert_idx').on(t.alertId, t.at)],
);

/**
 * The evaluator's state per (rule, host) that is not an open alert: pending
 * since when, or latched after a manual resolution. Survives restarts.
 */
export const alertRuleStates = pgTable(
  'alert_rule_states',
  {
    ruleId: integer('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    host: text('host').notNull(),
    phase: text('phase').$type<'pending' | 'latched'>().notNull(),
    since: tsCol('since').notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.host] })],
);

/**
 * Daily reports, kept once the day is over: readable after the samples
 * they were made from have expired. One per local day (the unique key is
 * what makes the scheduled email go out once, whatever the number of
 * server nodes or restarts).
 */
export const reports = pgTable('reports', {
  id: serial('id').primaryKey(),
  day: date('day', { mode: 'string' }).notNull().unique(),
  /** The time zone the day was taken in. */
  tz: text('tz').notNull(),
  generatedAt: tsCol('generated_at').notNull().defaultNow(),
  /** When the daily schedule queued its email; null: not yet (the report was stored by a manual send). Set once. */
  scheduledAt: tsCol('scheduled_at'),
  report: jsonb('report').$type<Report>().notNull(),
});

/** Why a notification is sent: an alert fired, still fires or resolved, or a report is mailed. */
export type OutboxReason = 'firing' | 'repeat' | 'resolved' | 'report';

/**
 * Notifications to send, written in the same transaction as the change
 * that causes them (an alert's, or a report queued for email); a worker
 * delivers them with retries. Each row is about one alert or one report.
 */
export const notificationOutbox = pgTable(
  'notification_outbox',
  {
    id: serial('id').primaryKey(),
    alertId: integer('alert_id').references(() => alerts.id, { onDelete: 'cascade' }),
    reportId: integer('report_id').references(() => reports.id, { onDelete: 'cascade' }),
    /** A report's recipient (REPORT_EMAIL_TO when it was queued); alerts go to their channel's configured address. */
    recipient: text('recipient'),
    channel: text('channel').$type<Channel>().notNull(),
    reason: text('reason').$type<OutboxReason>().notNull(),
    status: text('status').$type<DeliveryStatus>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tsCol('next_attempt_at').notNull().defaultNow(),
    lastError: text('last_error'),
    createdAt: tsCol('created_at').notNull().defaultNow(),
    sentAt: tsCol('sent_at'),
  },
  (t) => [
    index('notification_outbox_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index('notification_outbox_alert_idx').on(t.alertId),
    index('notification_outbox_report_idx').on(t.reportId),
    check('notification_outbox_one_subject', sql`(alert_id IS NULL) <> (report_id IS NULL)`),
  ],
);

/** Mutes notifications of a rule and/or host until `ends_at`. */
export const silences = pgTable('silences', {
  id: serial('id').primaryKey(),
  ruleId: integer('rule_id').references(() => alertRules.id, { onDelete: 'cascade' }),
  host: text('host'),
  startsAt: tsCol('starts_at').notNull(),
  endsAt: tsCol('ends_at').notNull(),
  reason: text('reason'),
  createdBy: text('created_by').notNull(),
  createdAt: tsCol('created_at').notNull().defaultNow(),
});

/** People who log in. Roles: viewer < operator < admin (shared/auth.ts). */
export const users = pgTable('users', {
  id: serial('id').primaryKey(),
  username: text('username').notNull().unique(),
  /** scrypt, self-describing: `scrypt$N$r$p$salt$hash` (base64url). */
  passwordHash: text('password_hash').notNull(),
  role: text('role').$type<Role>().notNull(),
  disabled: boolean('disabled').notNull().default(false),
  createdAt: tsCol('created_at').notNull().defaultNow(),
  updatedAt: tsCol('updated_at').notNull().defaultNow(),
});

/** Login sessions. The cookie holds a random token; only its SHA-256 is stored. */
export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: tsCol('created_at').notNull().defaultNow(),
    lastSeenAt: tsCol('last_seen_at').notNull().defaultNow(),
    expiresAt: tsCol('expires_at').notNull(),
    address: text('address'),
    userAgent: text('user_agent'),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/**
 * Login attempts per key (a username, a username from one address, an
 * address) in a 15-minute window. Counted with one atomic upsert *before* the
 * password is checked, so concurrent guesses cannot slip past the limit; in
 * the database, so the limit holds across restarts and server nodes.
 */
export const loginCounters = pgTable('login_counters', {
  key: text('key').primaryKey(),
  windowStart: tsCol('window_start').notNull(),
  attempts: integer('attempts').notNull(),
});

/** Read-only tokens for wall screens. Only the token's SHA-256 is stored. */
export const displayTokens = pgTable('display_tokens', {
  id: serial('id').primaryKey(),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdBy: text('created_by').notNull(),
  createdAt: tsCol('created_at').notNull().defaultNow(),
  lastUsedAt: tsCol('last_used_at'),
  revokedAt: tsCol('revoked_at'),
  /** Kiosk behaviour of this screen: views to rotate through, how often, and the audible alarm. */
  views: jsonb('views').$type<KioskView[]>().notNull().default(['overview']),
  rotateSeconds: integer('rotate_seconds'),
  sound: boolean('sound').notNull().default(false),
});

/** Who did what, when and from where. Appended to, never edited. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: tsCol('at').notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
    address: text('address'),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_actor_idx').on(t.actor, t.at)],
);

export type Host = typeof hosts.$inferSelect;
export type AgentRow = typeof agents.$inferSelect;
export type MetricRow = typeof metrics.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type RuleRow = typeof alertRules.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type OutboxRow = typeof notificationOutbox.$inferSelect;
export type ReportRow = typeof reports.$inferSelect;
export type SilenceRow = typeof silences.$inferSelect;
export type SampleRow = typeof samples.$inferInsert;
export type BlockRow = typeof sampleBlocks.$inferSelect;
export type TargetRow = typeof scrapeTargets.$inferSelect;
export type DerivedRow = typeof derivedMetrics.$inferSelect;
