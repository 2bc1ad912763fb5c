/**
 * The reports page in Chromium against a real server (PGlite in a temp dir,
 * TZ=UTC, a real SMTP receiver). History is put in through the server the
 * way an agent back from an outage does it: its backlog of two and a half
 * days of samples with their own timestamps (stored, not evaluated); a
 * restart seals them into the minute aggregates the reports read. Then:
 * yesterday's tiles, chart and tables show exactly what `GET /api/reports`
 * answers, today's alert table links to its alert, a day before the
 * installation says "no data", the CSV button downloads the API's CSV, the
 * print stylesheet leaves no nav and no buttons, and "Send now" mails the
 * day's report and lists the delivery.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { AGENT_NAMESPACE, type AgentClientEvents, type AgentSample, type AgentServerEvents } from '../../shared/agent-protocol.ts';
import type { Alert } from '../../shared/alerts.ts';
import { METRICS, type BuiltinMetric } from '../../shared/catalog.ts';
import { formatMetricText } from '../../shared/format.ts';
import { addDays, localDayOf, type Report } from '../../shared/reports.ts';
import { tempDir } from '../helpers/databases.ts';
import { closePage, ensureClientBuilt, launchBrowser, openPage, screenshots } from '../helpers/browser.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { calmMachine } from '../helpers/sources.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.ts';
import { waitFor } from '../helpers/wait.ts';
import { createAgent } from './fake-agent.ts';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const TODAY = localDayOf(Date.now(), 'UTC');
const YESTERDAY = addDays(TODAY, -1);
const BEFORE = addDays(TODAY, -2);
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);

/**
 * One sample a minute from the start of `BEFORE` to three minutes ago: CPU
 * ramps every two hours (into Warning and Critical; lower the day before, so
 * yesterday's arrows point up), memory waves, disk fills, DB response saws.
 */
function backlog(host: 'db-1' | 'web-1'): AgentSample[] {
  const samples: AgentSample[] = [];
  const start = dayStart(BEFORE);
  const shift = host === 'db-1' ? 0 : 10;
  for (let ts = start; ts < Date.now() - 3 * MIN; ts += MIN) {
    const i = Math.round((ts - start) / MIN);
    const ramp = (i % 120) / 119;
    const cpu = ts < dayStart(YESTERDAY) ? 25 + 40 * ramp : 30 + (60 - shift) * ramp;
    samples.push({
      ts,
      values: {
        'cpu.usage_percent': Math.round(cpu * 10) / 10,
        'memory.usage_percent': Math.round((55 + shift + 10 * Math.sin((2 * Math.PI * i) / 1440)) * 10) / 10,
        'disk.usage_percent': Math.round((70 + shift + (2 * (ts - start)) / DAY) * 100) / 100,
        'db.query_ms': 20 + (i % 60),
      },
    });
  }
  return samples;
}

/** Sends a backlog as an agent back from an outage does: batches of at most 600, each acknowledged once stored. */
async function replay(url: string, token: string, samples: AgentSample[]): Promise<void> {
  const socket: Socket<AgentServerEvents, AgentClientEvents> = io(`${url}${AGENT_NAMESPACE}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token, version: 'test', platform: 'test', intervalMs: MIN },
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('welcome', () => resolve());
      socket.once('connect_error', reject);
    });
    for (let i = 0; i < samples.length; i += 600) {
      const ack = await socket.timeout(10_000).emitWithAck('samples', { sentAt: Date.now(), live: false, samples: samples.slice(i, i + 600) });
      assert.ok(ack.ok, JSON.stringify(ack));
    }
  } finally {
    socket.disconnect();
  }
}

const query = (q: Record<string, string>) => `?${new URLSearchParams(q)}`;

describe('reports page in Chromium', () => {
  const data = tempDir('glasswatch-reports-e2e-');
  let smtp: TestSmtpServer;
  let server: TestServer;
  let admin: Session;
  let browser: Browser;
  let alert: Alert;
  const env = () => ({ TZ: 'UTC', REPORT_TIME: '23:59', SMTP_URL: smtp.url, ALERT_EMAIL_FROM: 'glasswatch@example.test', REPORT_EMAIL_TO: 'lead@example.test' });

  async function report(q: Record<string, string>): Promise<Report> {
    const res = await admin.json<Report>(`/api/reports${query(q)}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  }

  const open = (path: string, session: Session = admin): Promise<Page> => openPage(browser, session, path);


  /** The page shows a finished report of this range and host. */
  async function shown(page: Page, from: string, host: string | null, to = from): Promise<void> {
    await page.waitForSelector(`[data-page="reports"][data-state="ready"] [data-report-from="${from}"][data-report-to="${to}"][data-report-host="${host ?? ''}"]`, { timeout: 15_000 });
  }

  before(async () => {
    await ensureClientBuilt();
    smtp = await startSmtpServer();
    // Calm sources: on a busy machine the real CPU would fire an alert of its own and change today's count.
    server = await startTestServer({ intervalMs: 250, dataDir: data.dir, env: env(), sources: calmMachine });
    admin = await server.admin();
    for (const host of ['db-1', 'web-1'] as const) await replay(server.url, (await createAgent(admin, host)).token, backlog(host));

    // An alert today on the server's own host, acknowledged and resolved: MTTA and MTTR.
    const rule = await admin.json<{ id: number }>('/api/rules', {
      method: 'POST',
      body: { name: 'Cores present', metric: 'cpu.count', operator: '>=', threshold: 1, level: 'WARNING' },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    alert = await waitFor(async () => (await admin.json<{ alerts: Alert[] }>('/api/alerts?state=open')).body.alerts.find((a) => a.ruleId === rule.body.id), 'the alert fired');
    assert.equal((await admin.json(`/api/alerts/${alert.id}/ack`, { method: 'POST', body: { note: 'looking' } })).status, 200);
    assert.equal((await admin.json(`/api/alerts/${alert.id}/resolve`, { method: 'POST', body: {} })).status, 200);
    assert.equal((await admin.fetch(`/api/rules/${rule.body.id}`, { method: 'DELETE' })).status, 204);

    // A restart seals what the agents sent into minute aggregates at once (maintenance runs at start, then every minute).
    const port = server.port;
    await server.close();
    server = await startTestServer({ intervalMs: 250, dataDir: data.dir, port, env: env(), sources: calmMachine });
    admin = await server.admin();
    await waitFor(async () => {
      const r = await report({ day: YESTERDAY, host: 'db-1' });
      return r.hosts[0]?.metrics['cpu.usage_percent']?.samples === 1440;
    }, "yesterday's samples sealed", 30_000);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await smtp?.close();
    data.remove();
  });

  it("opens on yesterday's fleet report, and its tiles, tables and chart say what the API says", async () => {
    const page = await open('/reports');
    await shown(page, YESTERDAY, null);
    const fleet = await report({ day: YESTERDAY });
    assert.deepEqual(fleet.hosts.map((h) => h.host).sort(), ['db-1', 'web-1']);
    assert.equal(await page.getAttribute('[data-report-tile="availability"]', 'data-value'), String(fleet.fleet.availabilityPercent ?? ''));
    assert.equal(await page.getAttribute('[data-report-tile="alerts"]', 'data-value'), String(fleet.alerts.total));
    for (const [metric, m] of Object.entries(fleet.fleet.metrics)) {
      const row = page.locator(`[data-metric-table="fleet"] [data-metric-row="${metric}"]`);
      const def = METRICS[metric as BuiltinMetric];
      assert.equal(await row.locator('[data-cell="avg"]').getAttribute('data-value'), String(m.avg), `${metric} avg`);
      assert.equal((await row.locator('[data-cell="avg"]').textContent())?.trim(), formatMetricText(def, m.avg));
      assert.equal((await row.locator('[data-cell="max"]').textContent())?.trim(), formatMetricText(def, m.max));
      assert.equal(await row.locator('[data-cell="p95"]').count(), 0, 'the fleet has no p95');
    }
    assert.deepEqual((await page.locator('[data-host-row]').all()).length, 2);
    await screenshots(page, 'reports-fleet');

    // One host: its p95, its time in Warning and Critical, the arrows against the day before.
    await page.selectOption('[data-report-host]', 'db-1');
    await shown(page, YESTERDAY, 'db-1');
    assert.equal(new URL(page.url()).search, query({ day: YESTERDAY, host: 'db-1' }), 'the selection is in the address');
    const one = await report({ day: YESTERDAY, host: 'db-1' });
    const host = one.hosts[0]!;
    for (const [metric, m] of Object.entries(host.metrics)) {
      const row = page.locator(`[data-metric-table="db-1"] [data-metric-row="${metric}"]`);
      for (const [cell, value] of [['min', m.min], ['avg', m.avg], ['p95', m.p95], ['max', m.max], ['warning', m.warningSeconds], ['critical', m.criticalSeconds], ['previous', m.deltaPrevious], ['week', m.deltaWeek]] as const) {
        assert.equal(await row.locator(`[data-cell="${cell}"]`).getAttribute('data-value'), String(value ?? ''), `${metric} ${cell}`);
      }
      assert.equal((await row.locator('[data-cell="p95"]').textContent())?.trim(), formatMetricText(METRICS[metric as BuiltinMetric], m.p95));
    }
    const cpu = host.metrics['cpu.usage_percent']!;
    assert.ok(cpu.criticalSeconds! > 0 && cpu.warningSeconds! > 0 && cpu.deltaPrevious! > 0, 'the data crosses both thresholds and rose');
    assert.match((await page.textContent('[data-metric-row="cpu.usage_percent"] [data-cell="previous"]')) ?? '', /↑\s*\d/);
    assert.match((await page.textContent('[data-metric-row="cpu.usage_percent"] [data-cell="critical"]')) ?? '', /\d+ h \d+ min|\d+ min/);
    // The worst metric: the most time Critical.
    assert.equal(await page.getAttribute('[data-report-tile="worst"]', 'data-value'), 'db-1 cpu.usage_percent');
    // The chart: that day's hourly averages of CPU on db-1.
    await page.waitForSelector('[data-report-chart="ready"] .history-plot canvas');
    assert.equal(await page.getAttribute('[data-report-chart] .history-plot', 'data-points'), '24');
    // The forecast, in words, with the API's verdict.
    for (const f of one.forecasts) {
      assert.equal(await page.getAttribute(`[data-forecast="${f.host} ${f.metric}"]`, 'data-forecast-status'), f.status);
    }
    assert.match((await page.textContent('[data-report-method]')) ?? '', new RegExp(one.method.avg.slice(0, 30).replace(/[()÷Σ]/g, '.')));
    await screenshots(page, 'reports-day');
    await closePage(page);
  });

  it("shows today's alert with a link to it", async () => {
    const page = await open(`/reports${query({ day: YESTERDAY })}`);
    await shown(page, YESTERDAY, null);
    await page.click('[data-report-today]');
    await shown(page, TODAY, null);
    const today = await report({ day: TODAY });
    assert.equal(await page.getAttribute('[data-report-tile="alerts"]', 'data-value'), String(today.alerts.total));
    assert.equal(await page.getAttribute('[data-report-tile="mtta"]', 'data-value'), String(today.alerts.mttaSeconds ?? ''));
    assert.equal(await page.getAttribute('[data-report-tile="mttr"]', 'data-value'), String(today.alerts.mttrSeconds ?? ''));
    assert.ok(today.alerts.longest.some((a) => a.id === alert.id));
    const link = page.locator(`[data-alert-link="${alert.id}"]`);
    assert.equal(await link.getAttribute('href'), `/alerts?id=${alert.id}`);
    assert.equal(await page.locator('[data-report-send]').isDisabled(), true, 'a day not over is not sent');
    await link.click();
    await page.waitForSelector(`[data-alert-detail="${alert.id}"]`);
    assert.equal(new URL(page.url()).pathname, '/alerts');
    await closePage(page);
  });

  it('says "no data" for a day before the installation', async () => {
    const page = await open(`/reports${query({ day: YESTERDAY })}`);
    await shown(page, YESTERDAY, null);
    const empty = addDays(TODAY, -200);
    await page.fill('[data-report-day]', empty);
    await shown(page, empty, null);
    assert.match((await page.textContent('[data-report-empty]')) ?? '', /No data for this day/);
    assert.equal(await page.locator('[data-report-tile]').count(), 0);
    await screenshots(page, 'reports-empty');
    await closePage(page);
  });

  it('downloads the CSV of the report on screen', async () => {
    const page = await open(`/reports${query({ day: YESTERDAY, host: 'db-1' })}`);
    await shown(page, YESTERDAY, 'db-1');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-report-csv]')]);
    assert.equal(download.suggestedFilename(), `glasswatch-report-${YESTERDAY}-db-1.csv`);
    const file = await readFile((await download.path())!, 'utf8');
    const api = await (await admin.fetch(`/api/reports.csv${query({ day: YESTERDAY, host: 'db-1' })}`)).text();
    assert.equal(file, api);
    assert.match(file.split('\r\n')[0]!, /^section,host,metric,unit,min,avg,p95,max/);
    assert.ok(file.includes('\r\nmetric,db-1,cpu.usage_percent,%,'));
    await closePage(page);
  });

  it('prints without the nav, the controls or any button', async () => {
    const page = await open(`/reports${query({ day: YESTERDAY, host: 'db-1' })}`);
    await shown(page, YESTERDAY, 'db-1');
    await page.waitForSelector('[data-report-chart="ready"] canvas');
    await page.emulateMedia({ media: 'print' });
    for (const hidden of ['.app-header', 'nav', '[data-report-toolbar]', '[data-report-csv]', 'button:visible']) {
      assert.equal(await page.locator(hidden).first().isVisible().catch(() => false), false, `${hidden} hidden on paper`);
    }
    assert.equal(await page.locator('[data-report-send]').isVisible(), false);
    assert.ok(await page.locator('[data-metric-table="db-1"]').isVisible());
    assert.ok(await page.locator('[data-report-chart] canvas').isVisible());
    assert.ok(await page.locator('[data-report-method]').isVisible());
    assert.match((await page.textContent('[data-report-from]')) ?? '', /daily report/i);
    await screenshots(page, 'reports-print');
    // …and at the width of an A4 page's text (210 mm less 2 × 12 mm margins, at 96 dpi).
    await screenshots(page, 'reports-print', { viewports: [{ label: 'a4', width: 703, height: 1000 }] });
    if (process.env.SCREENSHOT_DIR) {
      const pdf = await page.pdf({ format: 'A4', printBackground: true, path: path.join(process.env.SCREENSHOT_DIR, 'report.pdf') });
      const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g)?.length ?? 0;
      assert.ok(pages >= 1 && pages <= 4, `${pages} A4 pages`);
    }
    await closePage(page);
  });

  it('"Send now" mails the day\'s report (admin only) and lists the delivery', async () => {
    const viewer = await server.user('vic', 'viewer');
    const vpage = await open(`/reports${query({ day: YESTERDAY })}`, viewer);
    await shown(vpage, YESTERDAY, null);
    await vpage.waitForSelector('[data-deliveries-empty]');
    assert.equal(await vpage.locator('[data-report-send]').count(), 0, 'a viewer has no Send now');
    await closePage(vpage);

    const page = await open(`/reports${query({ day: YESTERDAY })}`);
    await shown(page, YESTERDAY, null);
    await page.waitForSelector('[data-deliveries-empty]');
    await page.click('[data-report-send]');
    await page.waitForSelector('[data-send-notice]');
    await page.waitForSelector('[data-delivery]');
    await waitFor(() => smtp.messages.length === 1, 'the report email arrived', 10_000);
    assert.equal(smtp.messages[0]!.to.join(), 'lead@example.test');
    assert.ok(smtp.messages[0]!.subject.includes(YESTERDAY), smtp.messages[0]!.subject);
    // The list is read again on request (nothing polls): Refresh until the outbox marked it sent.
    await waitFor(async () => {
      await page.click('[data-deliveries-refresh]');
      return (await page.locator('[data-delivery-status="sent"]').count()) === 1;
    }, 'the delivery shown as sent', 10_000);
    await closePage(page);
  });
});
