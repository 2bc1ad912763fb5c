/**
 * Reports end to end, on PGlite and PostgreSQL: a database is filled with
 * known samples (through the store's own insert, seal and roll-up), hourly
 * rollups, alerts and silences over several days, then a real server (TZ
 * Europe/Berlin, REPORT_TIME 07:00, a clock the test moves) answers
 * /api/reports. Every figure is checked against a value this file computes
 * on its own from the samples it generated — its own percentile, its own
 * least-squares-free expectation for a linear disk fill, its own alert
 * arithmetic. Then the scheduled email: delivered once to a real SMTP
 * receiver, once again after a restart at the scheduled minute, and once
 * after a restart with the mail still queued; "send now" as admin and
 * viewer; and bad input.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { METRICS, isBuiltinMetric, type MetricDef } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import type { Forecast, MetricSummary, Report, ReportDeliveriesResponse, ReportSendResponse } from '../../shared/reports.ts';
import { loadConfig } from '../../server/config.ts';
import { loadHostRegistry } from '../../server/fleet/hosts.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { startServer, type RunningServer } from '../../server/main.ts';
import { createReportService, type ScheduleOutcome } from '../../server/reports/service.ts';
import { sealHead } from '../../server/store/blocks.ts';
import { queryRows, type Db } from '../../server/store/db.ts';
import { rollupHours } from '../../server/store/maintenance.ts';
import { loadMetricCatalog } from '../../server/store/metric-catalog.ts';
import { insertSamples, toRows } from '../../server/store/samples.ts';
import { alertEvents, alertRules, alerts, notificationOutbox, reports, silences } from '../../server/store/schema.ts';
import { parseCsv } from '../helpers/csv.ts';
import { describeEachDatabase, type DatabaseTarget } from '../helpers/databases.ts';
import { login, TEST_ADMIN_PASSWORD, TEST_PASSWORD, type Session } from '../helpers/server.ts';
import { parseMail, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp.ts';
import { seededRandom } from '../helpers/random.ts';
import { waitFor } from '../helpers/wait.ts';

setLogLevel((process.env.LOG_LEVEL as 'info') ?? 'error');

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 20_000;
const TZ = 'Europe/Berlin';
const PUBLIC_URL = 'https://glasswatch.example.test';
const MAIL_FROM = 'glasswatch@example.test';
const ALERT_TO = 'oncall@example.test';
const REPORT_TO = 'team-lead@example.test';

// The day under test, a Wednesday in CET (UTC+1): written out, not computed with the product's own day math.
const D = '2026-11-18';
const D_FROM = Date.parse('2026-11-17T23:00:00Z');
const D_TO = Date.parse('2026-11-18T23:00:00Z');
const D_NEXT = '2026-11-19';
// The clock changes: 23 hours on 29 March, 25 on 25 October (Europe/Berlin).
const SPRING = { day: '2026-03-29', from: Date.parse('2026-03-28T23:00:00Z'), to: Date.parse('2026-03-29T22:00:00Z') };
const AUTUMN = { day: '2026-10-25', from: Date.parse('2026-10-24T22:00:00Z'), to: Date.parse('2026-10-25T23:00:00Z') };
/** 07:00 local on a day after D, plus `s` seconds (CET: 06:00 UTC). */
const sevenOClock = (dayAfterD: number, s = 0) => D_TO + (dayAfterD - 1) * DAY + 7 * HOUR + s * 1000;

// ---------------------------------------------------------------- generated data, and what it must give

const round1 = (x: number) => Math.round(x * 10) / 10;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

type Series = Array<[number, number]>;
const samples = new Map<string, Series>(); // `${host} ${metric}` → [ts, value][]
const add = (host: string, metric: string, ts: number, v: number) => {
  const key = `${host} ${metric}`;
  (samples.get(key) ?? samples.set(key, []).get(key)!).push([ts, v]);
};
const series = (host: string, metric: string, from = -Infinity, to = Infinity) => (samples.get(`${host} ${metric}`) ?? []).filter(([t]) => t >= from && t < to);

/** Disk on web-1 fills linearly: 78 % at the end of D, +1 %/day; 95 % is 17 days after D ends. */
const disk = (t: number) => 78 + (t - D_TO) / DAY;
const memory = (t: number) => 70 - 0.2 * ((t - D_TO) / DAY);
const dbSize = (t: number) => 5000 + 25 * ((t - D_TO) / DAY);

function generateSamples() {
  const rnd = seededRandom(42);
  // web-1: all of D every 20 s, and 10 minutes on either side whose values would show if they leaked in.
  for (let t = D_FROM - 10 * MIN; t < D_TO + 10 * MIN; t += STEP) {
    const inside = t >= D_FROM && t < D_TO;
    const i = (t - D_FROM) / STEP;
    const minuteOfDay = Math.floor((t - D_FROM) / MIN);
    const cpu = inside ? round1(clamp(55 + 25 * Math.sin((2 * Math.PI * i) / 1440) + (rnd() - 0.5) * 20, 0, 100)) : 100;
    add('web-1', 'cpu.usage_percent', t, cpu);
    add('web-1', 'memory.usage_percent', t, inside ? memory(t) : 99);
    add('web-1', 'disk.usage_percent', t, inside ? disk(t) : 99);
    add('web-1', 'db.size_mb', t, inside ? dbSize(t) : 1);
    // Down 10:00–11:30 local; in minute 700 one sample of three down.
    const up = !inside ? 0 : minuteOfDay >= 600 && minuteOfDay < 690 ? 0 : minuteOfDay === 700 && i % 3 === 1 ? 0 : 1;
    add('web-1', 'host.up', t, up);
  }
  // db-1: exists from noon (local) of D on.
  for (let t = D_FROM + 12 * HOUR; t < D_TO; t += STEP) {
    add('db-1', 'cpu.usage_percent', t, round1(30 + rnd() * 60));
    add('db-1', 'disk.usage_percent', t, 40 + (t - D_FROM) / DAY);
    add('db-1', 'host.up', t, 1);
  }
  // edge-1: the two DST days, with an hour on either side that must stay out.
  for (const dst of [SPRING, AUTUMN]) {
    for (let t = dst.from - HOUR; t < dst.to + HOUR; t += STEP) {
      const inside = t >= dst.from && t < dst.to;
      add('edge-1', 'cpu.usage_percent', t, inside ? round1(40 + rnd() * 55) : 100);
      add('edge-1', 'host.up', t, inside ? 1 : 0);
    }
  }
}

/** Hourly rollups written directly: web-1's cpu over the 7 days before D, its disk/memory/db size over the 29 before. */
interface HourRow {
  metric: string;
  ts: number;
  avg: number;
  count: number;
}
const hourRows: HourRow[] = [];
function generateHourRows() {
  for (let ts = D_FROM - 7 * DAY; ts < D_FROM; ts += HOUR) {
    const daysBefore = Math.ceil((D_FROM - ts) / DAY); // 1 … 7
    const odd = Math.floor(ts / HOUR) % 2;
    hourRows.push({ metric: 'cpu.usage_percent', ts, avg: 40 + daysBefore + odd, count: odd ? 120 : 180 });
  }
  for (let ts = D_FROM - 29 * DAY; ts < D_FROM; ts += HOUR) {
    const mid = ts + HOUR / 2;
    hourRows.push({ metric: 'disk.usage_percent', ts, avg: disk(mid), count: 180 });
    hourRows.push({ metric: 'memory.usage_percent', ts, avg: memory(mid), count: 180 });
    hourRows.push({ metric: 'db.size_mb', ts, avg: dbSize(mid), count: 180 });
  }
}

/** The 95th percentile by linear interpolation at position 0.95·(n−1) (PostgreSQL's percentile_cont), written anew here. */
function p95(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = 0.95 * (s.length - 1);
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * What a minute-tier summary of these samples (one series per host) must say: p95 over every host's 1-minute
 * averages, every sample counting 20 s toward its threshold band.
 */
function expectMinuteSummary(perHost: Series[], def: MetricDef) {
  const minuteAverages = perHost.flatMap((points) => {
    const byMinute = new Map<number, number[]>();
    for (const [t, v] of points) (byMinute.get(Math.floor(t / MIN)) ?? byMinute.set(Math.floor(t / MIN), []).get(Math.floor(t / MIN))!).push(v);
    return [...byMinute.values()].map(mean);
  });
  const values = perHost.flat().map(([, v]) => v);
  const warn = def.warning === undefined ? null : values.filter((v) => v >= def.warning! && v < (def.critical ?? Infinity)).length * 20;
  const crit = def.critical === undefined ? null : values.filter((v) => v >= def.critical!).length * 20;
  return {
    min: Math.min(...values), max: Math.max(...values), avg: mean(values), samples: values.length,
    p95: p95(minuteAverages), warningSeconds: warn, criticalSeconds: crit,
  };
}

/** Availability: each observed minute counts with its share of up samples. */
function expectAvailability(points: Series) {
  const byMinute = new Map<number, number[]>();
  for (const [t, v] of points) (byMinute.get(Math.floor(t / MIN)) ?? byMinute.set(Math.floor(t / MIN), []).get(Math.floor(t / MIN))!).push(v);
  const shares = [...byMinute.values()].map(mean);
  const observed = shares.length * 60;
  const up = shares.reduce((a, b) => a + b, 0) * 60;
  return { availabilityPercent: (100 * up) / observed, observedSeconds: observed, downSeconds: observed - up };
}

const close = (actual: number | null | undefined, expected: number, what: string, eps = 1e-9) =>
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);

function assertSummary(actual: MetricSummary | undefined, expected: Omit<ReturnType<typeof expectMinuteSummary>, 'p95'> & { p95: number | null }, what: string) {
  assert.ok(actual, `${what}: missing`);
  close(actual.min, expected.min, `${what} min`);
  close(actual.max, expected.max, `${what} max`);
  close(actual.avg, expected.avg, `${what} avg`);
  if (expected.p95 === null) assert.equal(actual.p95, null, `${what} p95`);
  else close(actual.p95, expected.p95, `${what} p95`);
  assert.equal(actual.samples, expected.samples, `${what} samples`);
  assert.equal(actual.warningSeconds, expected.warningSeconds, `${what} warningSeconds`);
  assert.equal(actual.criticalSeconds, expected.criticalSeconds, `${what} criticalSeconds`);
}

// ---------------------------------------------------------------- alerts and silences on and around D

interface AlertFixture {
  key: string;
  rule: 'R1' | 'R2';
  host: string;
  level: 'INFO' | 'WARNING' | 'CRITICAL';
  startedAt: number;
  /** Acknowledgement events (first one counts), or only the column. */
  acks?: number[];
  ackColumn?: number;
  unackAt?: number;
  resolvedAt?: number;
  silenced?: boolean;
}
const at = (localHour: number, dayOffset = 0) => D_FROM + dayOffset * DAY + localHour * HOUR;
const R1 = 'Disk "full", soon';
const R2 = 'CPU hot';
const ALERTS: AlertFixture[] = [
  { key: 'a1', rule: 'R1', host: 'web-1', level: 'CRITICAL', startedAt: at(8), acks: [at(8) + 300_000], resolvedAt: at(8) + 1_800_000 },
  // acknowledged, taken back, acknowledged again: answered at the first
  { key: 'a2', rule: 'R1', host: 'web-1', level: 'WARNING', startedAt: at(10), acks: [at(10) + 60_000, at(10) + 200_000], unackAt: at(10) + 90_000, resolvedAt: at(10) + 600_000 },
  { key: 'a3', rule: 'R2', host: 'db-1', level: 'WARNING', startedAt: at(14), resolvedAt: at(14) + 7_200_000, silenced: true },
  // acknowledged before timelines existed (column only), resolved the next day
  { key: 'a4', rule: 'R2', host: 'web-1', level: 'INFO', startedAt: at(20), ackColumn: at(20) + 120_000, resolvedAt: at(2, 1) },
  { key: 'a7', rule: 'R1', host: 'db-1', level: 'WARNING', startedAt: at(22), resolvedAt: at(22) + 30_000 },
  // outside D: the evening before, and just after midnight
  { key: 'a5', rule: 'R1', host: 'web-1', level: 'CRITICAL', startedAt: at(-0.5), resolvedAt: at(0.5) },
  { key: 'a6', rule: 'R2', host: 'db-1', level: 'WARNING', startedAt: at(0.5, 1), resolvedAt: at(1, 1) },
];
const SILENCES = [
  { host: 'web-1', startsAt: at(9), endsAt: at(10) },
  { host: null, startsAt: at(9.5), endsAt: at(11) },
  { host: 'db-1', startsAt: at(23), endsAt: at(1, 1) },
];

function expectAlerts(host: string | null) {
  const inD = ALERTS.filter((a) => a.startedAt >= D_FROM && a.startedAt < D_TO && (host === null || a.host === host));
  const firstAck = (a: AlertFixture) => a.acks?.[0] ?? a.ackColumn;
  const acked = inD.filter((a) => firstAck(a) !== undefined);
  const resolved = inD.filter((a) => a.resolvedAt !== undefined);
  const counts = new Map<string, number>();
  for (const a of inD) counts.set(a.rule, (counts.get(a.rule) ?? 0) + 1);
  return {
    total: inD.length,
    byLevel: { INFO: inD.filter((a) => a.level === 'INFO').length, WARNING: inD.filter((a) => a.level === 'WARNING').length, CRITICAL: inD.filter((a) => a.level === 'CRITICAL').length },
    acknowledged: acked.length,
    resolved: resolved.length,
    mttaSeconds: mean(acked.map((a) => (firstAck(a)! - a.startedAt) / 1000)),
    mttrSeconds: mean(resolved.map((a) => (a.resolvedAt! - a.startedAt) / 1000)),
    top: [...counts].sort((a, b) => b[1] - a[1]).map(([rule, count]) => ({ ruleName: rule === 'R1' ? R1 : R2, count })),
    longest: [...inD].sort((a, b) => b.resolvedAt! - b.startedAt - (a.resolvedAt! - a.startedAt)).map((a) => ({ key: a.key, seconds: (a.resolvedAt! - a.startedAt) / 1000 })),
    silencedAlerts: inD.filter((a) => a.silenced).length,
    previousTotal: ALERTS.filter((a) => a.startedAt >= D_FROM - DAY && a.startedAt < D_FROM && (host === null || a.host === host)).length,
  };
}

// ---------------------------------------------------------------- filling the database

const intArray = (xs: readonly number[]) => `{${xs.join(',')}}`;

async function fill(db: Db): Promise<Record<string, number>> {
  const catalog = await loadMetricCatalog(db);
  const hosts = await loadHostRegistry(db, { intervalMs: 1000 });
  for (const h of ['web-1', 'db-1', 'edge-1']) await hosts.ensure(h, 'agent', STEP);
  // Samples as an agent's would arrive: one event per host and tick.
  const events = new Map<string, MetricsEvent>();
  for (const [key, points] of samples) {
    const [host, metric] = key.split(' ') as [string, string];
    for (const [ts, v] of points) {
      const id = `${host}@${ts}`;
      (events.get(id) ?? events.set(id, { host, ts, values: {} }).get(id)!).values[metric] = v;
    }
  }
  const all = [...events.values()];
  for (let i = 0; i < all.length; i += 5000) {
    await insertSamples(db, toRows(all.slice(i, i + 5000), { hostId: hosts.anyId, metricId: catalog.id }).rows);
  }
  // Sealed with the server's thresholds (the catalog's), then D's hours and the DST days' hours rolled up.
  await sealHead(db, {
    beforeMs: Date.now() - 5 * MIN,
    thresholds: (id) => {
      const name = catalog.name(id);
      const def: MetricDef | undefined = name && isBuiltinMetric(name) ? METRICS[name] : undefined;
      return def && { warning: def.warning, critical: def.critical };
    },
    intervalMsOf: () => STEP,
  });
  await rollupHours(db, D_FROM, D_TO);
  for (const dst of [SPRING, AUTUMN]) await rollupHours(db, dst.from - HOUR, dst.to + HOUR);
  const web1 = hosts.anyId('web-1')!;
  await db.execute(sql`
    INSERT INTO samples_1h (ts, host_id, metric_id, min, avg, max, count)
    SELECT to_timestamp(t / 1000.0), ${web1}, m, a - 5, a, a + 5, c
    FROM unnest(${intArray(hourRows.map((r) => r.ts))}::float8[], ${intArray(hourRows.map((r) => catalog.id(r.metric)!))}::int2[],
                ${intArray(hourRows.map((r) => r.avg))}::float8[], ${intArray(hourRows.map((r) => r.count))}::int4[]) AS u(t, m, a, c)`);
  // Not watched any more: history stays, and the running server does not call them down today.
  await db.execute(sql`UPDATE hosts SET retired_at = now() WHERE name IN ('web-1', 'db-1', 'edge-1')`);

  const ruleIds: Record<string, number> = {};
  for (const [key, name] of [['R1', R1], ['R2', R2]] as const) {
    const [row] = await db.insert(alertRules).values({ name, metric: 'cpu.usage_percent', operator: '>', threshold: 90, level: 'WARNING', enabled: false, channels: ['dashboard'] }).returning();
    ruleIds[key] = row!.id;
  }
  const alertIds: Record<string, number> = {};
  for (const a of ALERTS) {
    const lastAck = a.acks?.at(-1) ?? a.ackColumn;
    const [row] = await db
      .insert(alerts)
      .values({
        ruleId: ruleIds[a.rule]!, ruleName: a.rule === 'R1' ? R1 : R2, metric: 'cpu.usage_percent', host: a.host, level: a.level, state: 'resolved', value: 95,
        threshold: 90, operator: '>', message: `${a.key}`, startedAt: new Date(a.startedAt), acknowledgedAt: lastAck ? new Date(lastAck) : null,
        acknowledgedBy: lastAck ? 'op' : null, resolvedAt: a.resolvedAt ? new Date(a.resolvedAt) : null, resolvedBy: 'system', silenced: a.silenced ?? false,
      })
      .returning();
    alertIds[a.key] = row!.id;
    await db.insert(alertEvents).values({ alertId: row!.id, kind: 'fired', at: new Date(a.startedAt), actor: 'system' });
    for (const ack of a.acks ?? []) await db.insert(alertEvents).values({ alertId: row!.id, kind: 'acknowledged', at: new Date(ack), actor: 'op' });
    if (a.unackAt) await db.insert(alertEvents).values({ alertId: row!.id, kind: 'unacknowledged', at: new Date(a.unackAt), actor: 'op' });
  }
  for (const s of SILENCES) {
    await db.insert(silences).values({ host: s.host, startsAt: new Date(s.startsAt), endsAt: new Date(s.endsAt), createdBy: 'op' });
  }
  return alertIds;
}

/** The parts of a multipart/alternative message (the SMTP helper reads single parts). */
function partsOf(mail: ReceivedMail): { text: string; html: string } {
  const boundary = /boundary="?([^";]+)"?/.exec(mail.headers['content-type'] ?? '')?.[1];
  assert.ok(boundary, `not multipart: ${mail.headers['content-type']}`);
  const out = { text: '', html: '' };
  for (const chunk of mail.text.split(`--${boundary}`)) {
    const part = parseMail(chunk.replace(/^\r?\n/, ''));
    const type = part.headers['content-type'] ?? '';
    if (type.startsWith('text/plain')) out.text = part.text;
    if (type.startsWith('text/html')) out.html = part.text;
  }
  return out;
}

generateSamples();
generateHourRows();

describeEachDatabase('reports', (target) => {
  // A suite of its own, so its servers are closed before the database is dropped.
  describe('a week of known data, alerts and silences', () => suite(target));
});

function suite(target: () => DatabaseTarget) {
  let smtp: TestSmtpServer;
  let server: RunningServer;
  let admin: Session;
  let viewer: Session;
  let alertIds: Record<string, number> = {};
  /** The clock of the server's reports (the schedule and "yesterday"). */
  let clock = sevenOClock(1, -3600); // D+1 06:00: before the scheduled time
  const passes: Array<(ScheduleOutcome | { outcome: 'inactive' }) & { clock: number }> = [];
  /** The live report of D, kept to compare the stored one with. */
  let liveD: Report;

  async function start() {
    const opts = target().serverOptions();
    const config = loadConfig({
      PORT: '0', HOST: '127.0.0.1', DATA_DIR: opts.dataDir, DATABASE_URL: opts.databaseUrl, COLLECT_INTERVAL_MS: '250', ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      API_RATE_PER_ADDRESS: '100000', RETENTION_DAYS: '3650', TZ, REPORT_TIME: '07:00', SMTP_URL: smtp.url, ALERT_EMAIL_FROM: MAIL_FROM,
      ALERT_EMAIL_TO: ALERT_TO, REPORT_EMAIL_TO: REPORT_TO, PUBLIC_URL: PUBLIC_URL,
    });
    server = await startServer(config, {
      hostName: 'test-host',
      outbox: { retryBaseMs: 200, maxRetryMs: 1000 },
      reports: { now: () => clock, pollMs: 100, onPass: (o) => passes.push({ ...o, clock }) },
    });
    admin = await login(server.url, 'admin', TEST_ADMIN_PASSWORD);
    const created = await admin.json('/api/users', { method: 'POST', body: { username: 'viewer', password: TEST_PASSWORD, role: 'viewer' } });
    assert.ok(created.status === 201 || created.status === 409, JSON.stringify(created));
    viewer = await login(server.url, 'viewer', TEST_PASSWORD);
  }

  const getReport = async (query: string, as: Session = viewer) => {
    const res = await as.json<Report>(`/api/reports?${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };
  const reportMails = (day: string) => smtp.messages.filter((m) => m.subject === `glasswatch daily report — ${day}`);
  const outboxOf = async (day: string) =>
    server.database.db
      .select({ o: notificationOutbox })
      .from(notificationOutbox)
      .innerJoin(reports, eq(reports.id, notificationOutbox.reportId))
      .where(eq(reports.day, day));
  const passAfter = (n: number, outcome: string, day: string) =>
    waitFor(() => passes.slice(n).find((p) => p.outcome === outcome && 'day' in p && p.day === day), `a schedule pass "${outcome}" for ${day}`, 15_000);

  before(async () => {
    const database = await target().open();
    try {
      alertIds = await fill(database.db);
    } finally {
      await database.close();
    }
    smtp = await startSmtpServer();
    await start();
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  it('computes every metric figure of a day from the minute aggregates (web-1)', async () => {
    const r = await getReport(`day=${D}&host=web-1`);
    assert.equal(r.from, D);
    assert.equal(r.to, D);
    assert.equal(r.tz, TZ);
    assert.equal(r.fromMs, D_FROM);
    assert.equal(r.toMs, D_TO);
    assert.equal(r.hours, 24);
    assert.equal(r.source, 'live');
    assert.equal(r.method.tier, 'minute');
    assert.match(r.method.p95, /95th percentile of the 1-minute averages/);
    assert.equal(r.link, `${PUBLIC_URL}/reports?day=${D}&host=web-1`);
    assert.deepEqual(r.hosts.map((h) => h.host), ['web-1']);
    const h = r.hosts[0]!;
    for (const metric of ['cpu.usage_percent', 'memory.usage_percent', 'disk.usage_percent', 'db.size_mb'] as const) {
      assertSummary(h.metrics[metric], expectMinuteSummary([series('web-1', metric, D_FROM, D_TO)], METRICS[metric]), `web-1 ${metric}`);
    }
    const cpu = h.metrics['cpu.usage_percent']!;
    assert.ok(cpu.warningSeconds! > 0 && cpu.criticalSeconds! > 0, 'the cpu data crosses both thresholds');
    assert.equal(h.metrics['db.size_mb']!.warningSeconds, null, 'a metric without thresholds has no time in them');
    assert.equal(h.metrics['host.up'], undefined, 'host.up is the availability, not a metric row');
  });

  it('measures availability per observed minute, leaving the minutes before a host existed out', async () => {
    const r = await getReport(`day=${D}`);
    const web = r.hosts.find((h) => h.host === 'web-1')!;
    const db = r.hosts.find((h) => h.host === 'db-1')!;
    const expWeb = expectAvailability(series('web-1', 'host.up', D_FROM, D_TO));
    close(web.availabilityPercent, expWeb.availabilityPercent, 'web-1 availability');
    assert.equal(web.observedSeconds, 86_400);
    close(web.downSeconds, expWeb.downSeconds, 'web-1 down seconds');
    close(web.downSeconds, 90 * 60 + 20, 'down 90 minutes and a third of one', 1e-6);
    // db-1 came at noon: half a day observed, all of it up.
    assert.equal(db.availabilityPercent, 100);
    assert.equal(db.observedSeconds, 12 * 3600);
    assert.equal(db.downSeconds, 0);
    close(r.fleet.availabilityPercent, (100 * (86_400 - expWeb.downSeconds + 43_200)) / (86_400 + 43_200), 'fleet availability');
  });

  it('gives fleet figures over every host and db-1 its half day', async () => {
    const r = await getReport(`day=${D}`);
    assert.deepEqual(r.hosts.map((h) => h.host), ['db-1', 'web-1'], 'hosts with data on D, edge-1 not among them');
    assert.equal(r.fleet.hosts, 2);
    const cpuAll = [series('web-1', 'cpu.usage_percent', D_FROM, D_TO), series('db-1', 'cpu.usage_percent', D_FROM, D_TO)];
    // The fleet: min/max over hosts, avg over all samples, seconds added up; no p95.
    assertSummary(r.fleet.metrics['cpu.usage_percent'], { ...expectMinuteSummary(cpuAll, METRICS['cpu.usage_percent']), p95: null }, 'fleet cpu');
    assertSummary(r.hosts[0]!.metrics['cpu.usage_percent'], expectMinuteSummary([series('db-1', 'cpu.usage_percent', D_FROM, D_TO)], METRICS['cpu.usage_percent']), 'db-1 cpu');
    liveD = r;
  });

  it('compares with the day before and the 7-day average from the hourly rollups', async () => {
    const r = await getReport(`day=${D}&host=web-1`);
    const cpu = r.hosts[0]!.metrics['cpu.usage_percent']!;
    const weighted = (rows: HourRow[]) => rows.reduce((a, x) => a + x.avg * x.count, 0) / rows.reduce((a, x) => a + x.count, 0);
    const cpuRows = hourRows.filter((x) => x.metric === 'cpu.usage_percent');
    const prev = weighted(cpuRows.filter((x) => x.ts >= D_FROM - DAY));
    const week = weighted(cpuRows);
    close(cpu.previousAvg, prev, 'previous day avg');
    close(cpu.weekAvg, week, '7-day avg');
    close(cpu.deltaPrevious, cpu.avg - prev, 'delta to the day before');
    close(cpu.deltaWeek, cpu.avg - week, 'delta to the week');
    assert.deepEqual(r.comparison, { previousFrom: '2026-11-17', previousTo: '2026-11-17', weekFrom: '2026-11-11', weekTo: '2026-11-17' });
    const db = (await getReport(`day=${D}&host=db-1`)).hosts[0]!.metrics['cpu.usage_percent']!;
    assert.equal(db.previousAvg, null, 'db-1 has no history before D');
    assert.equal(db.deltaPrevious, null);
  });

  it('counts the alerts of the day: levels, MTTA from the first acknowledgement, MTTR, top rules, longest, silenced time', async () => {
    const r = await getReport(`day=${D}`);
    const e = expectAlerts(null);
    const a = r.alerts;
    assert.equal(a.total, e.total);
    assert.deepEqual(a.byLevel, e.byLevel);
    assert.equal(a.acknowledged, e.acknowledged);
    assert.equal(a.resolved, e.resolved);
    close(a.mttaSeconds, e.mttaSeconds, 'MTTA');
    close(a.mttrSeconds, e.mttrSeconds, 'MTTR');
    assert.equal(e.mttaSeconds, (300 + 60 + 120) / 3, 'the fixture means what this test says');
    assert.deepEqual(a.top.map((t) => ({ ruleName: t.ruleName, count: t.count })), e.top);
    assert.deepEqual(a.longest.map((l) => l.id), e.longest.map((l) => alertIds[l.key]));
    assert.deepEqual(a.longest.map((l) => l.durationSeconds), e.longest.map((l) => l.seconds));
    assert.equal(a.longest[0]!.link, `${PUBLIC_URL}/alerts?id=${alertIds.a4}`);
    assert.equal(a.silencedAlerts, e.silencedAlerts);
    // web-1 09:00–10:00 ∪ everyone 09:30–11:00 ∪ db-1 23:00–(next day): 2 h + 1 h inside D
    assert.equal(a.silencedSeconds, 3 * 3600);
    assert.equal(a.previousTotal, e.previousTotal);

    const web = (await getReport(`day=${D}&host=web-1`)).alerts;
    const ew = expectAlerts('web-1');
    assert.equal(web.total, ew.total);
    close(web.mttrSeconds, ew.mttrSeconds, 'web-1 MTTR');
    assert.equal(web.silencedSeconds, 2 * 3600, 'silences that apply to web-1');
  });

  it('forecasts a linear disk fill to the day it reaches 95 %, and says when it cannot', async () => {
    const r = await getReport(`day=${D}`);
    const f = (host: string, metric: string) => r.forecasts.find((x) => x.host === host && x.metric === metric) as Forecast;
    const diskWeb = f('web-1', 'disk.usage_percent');
    // 78 % at the end of D, +1 %/day: 95 % is reached 17 days later. (Hourly averages of D's 20-s samples sit
    // 10 s before the hour's middle, a shift of 10 s; a minute of tolerance.)
    const expected = D_TO + 17 * DAY;
    assert.equal(diskWeb.status, 'reaches critical');
    assert.equal(diskWeb.critical, 95);
    assert.ok(Math.abs(diskWeb.reachesCriticalAt! - expected) < MIN, `${new Date(diskWeb.reachesCriticalAt!).toISOString()} ≠ ${new Date(expected).toISOString()}`);
    close(diskWeb.growthPerDay, 1, 'disk growth per day', 1e-4);
    close(diskWeb.daysToCritical, 17, 'days to critical', 1e-3);
    const [t7, t30] = diskWeb.trends;
    assert.equal(t7!.windowDays, 7);
    assert.equal(t7!.points, 7 * 24);
    assert.equal(t30!.windowDays, 30);
    assert.equal(t30!.points, 30 * 24);
    assert.ok(t30!.enough);
    close(t30!.slopePerDay, 1, '30-day slope', 1e-4);
    assert.match(diskWeb.method, /least squares over 168 hourly averages/);

    const mem = f('web-1', 'memory.usage_percent');
    assert.equal(mem.status, 'not rising');
    assert.equal(mem.reachesCriticalAt, null);
    close(mem.growthPerDay, -0.2, 'memory slope', 1e-4);

    const size = f('web-1', 'db.size_mb');
    assert.equal(size.status, 'no threshold');
    assert.equal(size.critical, null);
    assert.equal(size.reachesCriticalAt, null);
    close(size.growthPerDay, 25, 'db size growth per day', 1e-4);

    const young = f('db-1', 'disk.usage_percent');
    assert.equal(young.status, 'not enough data');
    assert.equal(young.reachesCriticalAt, null);
    assert.equal(young.trends[0]!.enough, false);
    assert.match(young.trends[0]!.note, /not enough data \(needs 2 days/);
  });

  it('reads hourly averages for a range of days, with its p95 of hourly averages', async () => {
    const r = await getReport(`from=2026-11-17&to=${D}&host=web-1`);
    assert.equal(r.days, 2);
    assert.equal(r.fromMs, D_FROM - DAY);
    assert.equal(r.method.tier, 'hour');
    assert.match(r.method.p95, /hourly averages/);
    const cpu = r.hosts[0]!.metrics['cpu.usage_percent']!;
    const before = hourRows.filter((x) => x.metric === 'cpu.usage_percent' && x.ts >= D_FROM - DAY);
    const onD = series('web-1', 'cpu.usage_percent', D_FROM, D_TO);
    const hoursOfD = new Map<number, number[]>();
    for (const [t, v] of onD) (hoursOfD.get(Math.floor(t / HOUR)) ?? hoursOfD.set(Math.floor(t / HOUR), []).get(Math.floor(t / HOUR))!).push(v);
    const total = before.reduce((a, x) => a + x.avg * x.count, 0) + onD.reduce((a, [, v]) => a + v, 0);
    const n = before.reduce((a, x) => a + x.count, 0) + onD.length;
    close(cpu.avg, total / n, 'range avg');
    assert.equal(cpu.samples, n);
    close(cpu.p95, p95([...before.map((x) => x.avg), ...[...hoursOfD.values()].map(mean)]), 'range p95 of hourly averages');
    close(cpu.max, Math.max(...before.map((x) => x.avg + 5), ...onD.map(([, v]) => v)), 'range max');
    assert.equal(r.comparison.previousFrom, '2026-11-15', 'the previous range has the same length');
    // Availability by the hour over several days: each observed hour with its share of up samples (D−1 has no host.up data).
    const upByHour = new Map<number, number[]>();
    for (const [t, v] of series('web-1', 'host.up', D_FROM, D_TO)) (upByHour.get(Math.floor(t / HOUR)) ?? upByHour.set(Math.floor(t / HOUR), []).get(Math.floor(t / HOUR))!).push(v);
    const shares = [...upByHour.values()].map(mean);
    assert.equal(r.hosts[0]!.observedSeconds, 24 * 3600);
    close(r.hosts[0]!.availabilityPercent, (100 * shares.reduce((x, y) => x + y, 0)) / shares.length, 'availability by the hour');
    assert.match(r.method.availability, /observed hours/);
  });

  for (const dst of [{ ...SPRING, hours: 23 }, { ...AUTUMN, hours: 25 }]) {
    it(`makes ${dst.day} a ${dst.hours}-hour day in ${TZ}, the hours on either side left out`, async () => {
      const r = await getReport(`day=${dst.day}&host=edge-1`);
      assert.equal(r.fromMs, dst.from);
      assert.equal(r.toMs, dst.to);
      assert.equal(r.hours, dst.hours);
      const h = r.hosts[0]!;
      assert.equal(h.observedSeconds, dst.hours * 3600);
      assert.equal(h.availabilityPercent, 100, 'host.up = 0 outside the day stays outside');
      assertSummary(h.metrics['cpu.usage_percent'], expectMinuteSummary([series('edge-1', 'cpu.usage_percent', dst.from, dst.to)], METRICS['cpu.usage_percent']), `edge-1 cpu on ${dst.day}`);
      assert.equal(h.metrics['cpu.usage_percent']!.previousAvg, 100, 'the hour before the day belongs to the day before');
    });
  }

  it('answers the same figures as CSV, quoted where needed', async () => {
    const res = await viewer.fetch(`/api/reports.csv?day=${D}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="glasswatch-report-${D}\\.csv"`));
    const rows = parseCsv(await res.text());
    const head = rows[0]!;
    const col = (name: string) => head.indexOf(name);
    const cpu = rows.find((r) => r[0] === 'metric' && r[col('host')] === 'web-1' && r[col('metric')] === 'cpu.usage_percent')!;
    const json = liveD.hosts.find((h) => h.host === 'web-1')!.metrics['cpu.usage_percent']!;
    for (const [name, v] of [['avg', json.avg], ['p95', json.p95], ['max', json.max], ['warning_seconds', json.warningSeconds], ['critical_seconds', json.criticalSeconds]] as const) {
      assert.equal(Number(cpu[col(name)]), v, name);
    }
    assert.equal(rows.filter((r) => r[0] === 'metric').length, Object.keys(liveD.hosts[0]!.metrics).length + Object.keys(liveD.hosts[1]!.metrics).length);
    assert.equal(rows.find((r) => r[0] === 'top_rule' && r[col('metric')] === R1)?.[col('value')], '3', 'a rule name with a comma and quotes survives');
    assert.equal(rows.find((r) => r[0] === 'alerts' && r[col('metric')] === 'total')?.[col('value')], String(expectAlerts(null).total));
    for (const r of rows) assert.equal(r.length, head.length);
  });

  it('refuses bad input with a clear message', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['day=2026-13-40', 400, /2026-13-40.*YYYY-MM-DD/],
      ['from=2026-11-18&to=2026-11-10', 422, /after/],
      ['from=2026-10-01&to=2026-11-18', 422, /at most 31 days/],
      [`day=${D}&host=no-such-host`, 422, /unknown host "no-such-host"/],
      ['day=2027-01-01', 422, /has not begun/],
      [`day=${D}&from=${D}&to=${D}`, 400, /either day= or from=/],
      [`from=${D}`, 400, /go together/],
    ];
    for (const [query, status, message] of cases) {
      const res = await viewer.json<{ error: { code: string; message: string } }>(`/api/reports?${query}`);
      assert.equal(res.status, status, `${query}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, message, query);
    }
    const csv = await viewer.json<{ error: { code: string } }>('/api/reports.csv?day=2026-13-40');
    assert.equal(csv.status, 400);
    const anon = await fetch(`${server.url}/api/reports?day=${D}`);
    assert.equal(anon.status, 401);
  });

  it('emails the report of yesterday once at REPORT_TIME, stored, with HTML, text and a link', async () => {
    assert.equal(reportMails(D).length, 0, 'nothing before 07:00');
    assert.ok(passes.some((p) => p.outcome === 'not yet'), 'the schedule ran before 07:00 and waited');
    const n = passes.length;
    clock = sevenOClock(1, 5);
    const queued = await passAfter(n, 'queued', D);
    assert.ok(queued.outcome === 'queued' && queued.deliveryId !== null);
    const mail = await waitFor(() => reportMails(D)[0], 'the report email', 15_000);
    assert.deepEqual(mail.to, [REPORT_TO], 'REPORT_EMAIL_TO, not the alert address');
    assert.equal(mail.from, MAIL_FROM);
    const { text, html } = partsOf(mail);
    assert.ok(text.includes(`${PUBLIC_URL}/reports?day=${D}`), `no link in the text:\n${text}`);
    assert.ok(html.includes(`href="${PUBLIC_URL}/reports?day=${D}"`), 'a link in the HTML');
    assert.doesNotMatch(html, /<script/i);
    assert.match(html, /<table/);
    assert.match(text, /web-1 — availability/);
    const web = liveD.hosts.find((h) => h.host === 'web-1')!;
    assert.ok(text.includes(`availability ${web.availabilityPercent!.toFixed(2)} %`), 'the availability figure');
    assert.ok(html.includes('Disk &quot;full&quot;, soon'), 'rule names escaped in HTML');

    // Several more passes: nothing more is queued or sent.
    await passAfter(passes.length, 'settled', D);
    const rows = await outboxOf(D);
    assert.equal(rows.length, 1);
    await waitFor(async () => (await outboxOf(D))[0]?.o.status === 'sent', 'the delivery marked sent');
    assert.equal(reportMails(D).length, 1);
    const [stored] = await server.database.db.select().from(reports).where(eq(reports.day, D));
    assert.ok(stored?.scheduledAt, 'marked as scheduled');
    assert.equal(stored.tz, TZ);
  });

  it('answers a stored day as stored, with its deliveries; fresh=1 computes it anew', async () => {
    const stored = await getReport(`day=${D}`);
    assert.equal(stored.source, 'stored');
    assert.deepEqual(stored.hosts, liveD.hosts);
    assert.deepEqual(stored.forecasts, liveD.forecasts);
    assert.equal(stored.deliveries.length, 1);
    assert.equal(stored.deliveries[0]!.status, 'sent');
    assert.equal(stored.deliveries[0]!.to, REPORT_TO);
    const fresh = await getReport(`day=${D}&fresh=1`);
    assert.equal(fresh.source, 'live');
    const narrowed = await getReport(`day=${D}&host=db-1`);
    assert.equal(narrowed.source, 'stored');
    assert.deepEqual(narrowed.hosts.map((h) => h.host), ['db-1']);
    assert.equal(narrowed.alerts.total, expectAlerts('db-1').total);
    assert.ok(narrowed.forecasts.every((f) => f.host === 'db-1'));
    const list = await viewer.json<ReportDeliveriesResponse>(`/api/reports/deliveries?day=${D}`);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.deliveries.map((d) => [d.day, d.status, d.to]), [[D, 'sent', REPORT_TO]]);
  });

  it('sends nothing again after a restart at the scheduled minute', async () => {
    await server.close();
    clock = sevenOClock(1, 40);
    const n = passes.length;
    await start();
    await passAfter(n, 'already scheduled', D);
    assert.equal((await outboxOf(D)).length, 1);
    assert.equal(reportMails(D).length, 1);
  });

  it('delivers a report still queued when the server restarted, exactly once', async () => {
    smtp.rejectWith(451);
    const n = passes.length;
    clock = sevenOClock(2, 5);
    await passAfter(n, 'queued', D_NEXT);
    await waitFor(async () => (await outboxOf(D_NEXT))[0]?.o.lastError, 'a failed attempt', 10_000);
    assert.equal(reportMails(D_NEXT).length, 0);
    await server.close();
    smtp.rejectWith(null);
    clock = sevenOClock(2, 30);
    const m = passes.length;
    await start();
    await passAfter(m, 'already scheduled', D_NEXT);
    await waitFor(() => reportMails(D_NEXT).length > 0, 'the queued report delivered after the restart', 15_000);
    await waitFor(async () => (await outboxOf(D_NEXT))[0]?.o.status === 'sent', 'marked sent');
    await passAfter(passes.length, 'settled', D_NEXT);
    assert.equal(reportMails(D_NEXT).length, 1);
    assert.equal((await outboxOf(D_NEXT)).length, 1);
  });

  it('lets an admin email a day now (202, audited) and refuses a viewer (403)', async () => {
    const before = reportMails(D).length;
    const res = await admin.json<ReportSendResponse>('/api/reports/send', { method: 'POST', body: { day: D } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.day, D);
    assert.equal(res.body.delivery.to, REPORT_TO);
    assert.equal(res.body.delivery.status, 'pending');
    await waitFor(() => reportMails(D).length === before + 1, 'the email sent on request', 15_000);
    const auditRows = await queryRows<{ actor: string; target: string; delivery: number }>(server.database.db, sql`
      SELECT actor, target, (detail ->> 'delivery')::int AS delivery FROM audit_log WHERE action = 'report.send'`);
    assert.deepEqual(auditRows, [{ actor: 'admin', target: `report ${D}`, delivery: res.body.delivery.id }]);

    const refused = await viewer.json<{ error: { code: string } }>('/api/reports/send', { method: 'POST', body: { day: D } });
    assert.equal(refused.status, 403);
    assert.equal((await outboxOf(D)).length, 2, 'the viewer queued nothing');
    const unfinished = await admin.json<{ error: { message: string } }>('/api/reports/send', { method: 'POST', body: { day: '2026-11-21' } });
    assert.equal(unfinished.status, 422);
    assert.match(unfinished.body.error.message, /not over yet/);
    const malformed = await admin.json<{ error: { message: string } }>('/api/reports/send', { method: 'POST', body: { day: '18.11.2026' } });
    assert.equal(malformed.status, 422);
  });

  it('sends "yesterday" by default: a day without a stored report is stored as it is sent', async () => {
    // The server's clock is at D+2 07:00: yesterday is D+1 (stored by the schedule already). D−1 has no stored report yet.
    const res = await admin.json<ReportSendResponse>('/api/reports/send', { method: 'POST', body: {} });
    assert.equal(res.status, 202);
    assert.equal(res.body.day, D_NEXT);
    const older = await admin.json<ReportSendResponse>('/api/reports/send', { method: 'POST', body: { day: '2026-11-17' } });
    assert.equal(older.status, 202);
    const [row] = await server.database.db.select().from(reports).where(eq(reports.day, '2026-11-17'));
    assert.ok(row, 'stored');
    assert.equal(row.scheduledAt, null, 'not by the schedule');
    await waitFor(() => reportMails('2026-11-17').length === 1, 'its email', 15_000);
  });

  it('queues one email when two nodes run the schedule at the same moment', async () => {
    // Each node tells the leader's outbox it queued something, as the cluster's "outbox" message does.
    const node = () => createReportService({ db: server.database.db, timeZone: TZ, publicUrl: PUBLIC_URL, retentionDays: 3650, emailTo: REPORT_TO, onQueued: () => void server.idle() });
    const morning = AUTUMN.to + 7 * HOUR; // 2026-10-26 07:00 CET
    const outcomes = await Promise.all([node().runSchedule(morning, { hour: 7, minute: 0 }), node().runSchedule(morning + 1000, { hour: 7, minute: 0 })]);
    assert.deepEqual(outcomes.map((o) => o.outcome).sort(), ['already scheduled', 'queued']);
    assert.ok(outcomes.every((o) => o.day === AUTUMN.day));
    assert.equal((await outboxOf(AUTUMN.day)).length, 1);
    await waitFor(() => reportMails(AUTUMN.day).length === 1, 'its one email', 15_000);
    const again = await node().runSchedule(morning + 60_000, { hour: 7, minute: 0 });
    assert.equal(again.outcome, 'already scheduled');
  });

  it('stores and sends nothing for a day without any data', async () => {
    const n = passes.length;
    clock = sevenOClock(4, 5); // yesterday: 2026-11-21, nothing recorded
    await passAfter(n, 'no data', '2026-11-21');
    assert.equal((await server.database.db.select().from(reports).where(eq(reports.day, '2026-11-21'))).length, 0);
    assert.equal(reportMails('2026-11-21').length, 0);
  });
}
