/**
 * Application metrics in Chromium against a real server (PGlite in a temp
 * dir) and a tiny HTTP server in the test serving changing Prometheus text:
 * an admin adds it as a scrape target in Admin → Targets (the form checks
 * its input with the shared schemas first) and sees its status, a failing
 * target says why in words, a derived error-rate ratio is created through
 * the form and computed, the host's Application panel on the dashboard shows
 * the series an admin pins (with a rule's threshold deciding a card's
 * colour), and Admin → Cluster shows this node leading, read once and on
 * Refresh only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { CurrentResponse } from '../../shared/api.ts';
import type { AppPanels, DerivedResponse } from '../../shared/apps.ts';
import type { TargetsResponse } from '../../shared/fleet.ts';
import { closePage, ensureClientBuilt, launchBrowser, loggedInPage, openPage, screenshots, waitForExpression } from '../helpers/browser.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const INTERVAL_MS = 250;
const APP = 'erp-web';
const BROKEN = 'erp-broken';
const RATE = 'erp_http_requests_total:rate';
const P95 = 'erp_request_seconds:p95';
const ORDERS = 'erp_open_orders';
const ERROR_RATE = 'erp.error_rate_percent';

/** An ERP's /metrics: every scrape 10 more 200s and 5 more 500s (an error rate of 33.3 %), a gauge, a latency histogram. */
class FakeErp {
  scrapes = 0;
  body(): string {
    const n = ++this.scrapes;
    return [
      '# HELP erp_http_requests_total HTTP requests by status.',
      '# TYPE erp_http_requests_total counter',
      `erp_http_requests_total{status="200"} ${10 * n}`,
      `erp_http_requests_total{status="500"} ${5 * n}`,
      '# HELP erp_open_orders Orders not yet shipped.',
      '# TYPE erp_open_orders gauge',
      `erp_open_orders ${40 + (n % 7)}`,
      '# HELP erp_request_seconds Request latency.',
      '# TYPE erp_request_seconds histogram',
      `erp_request_seconds_bucket{le="0.1"} ${50 * n}`,
      `erp_request_seconds_bucket{le="0.5"} ${95 * n}`,
      `erp_request_seconds_bucket{le="1"} ${100 * n}`,
      `erp_request_seconds_bucket{le="+Inf"} ${100 * n}`,
      `erp_request_seconds_sum ${17.5 * n}`,
      `erp_request_seconds_count ${100 * n}`,
      '',
    ].join('\n');
  }
}

/** One attribute of every element a selector matches, in document order. */
async function attrsOf(page: Page, selector: string, name: string): Promise<Array<string | null>> {
  return Promise.all((await page.locator(selector).all()).map((el) => el.getAttribute(name)));
}

/** A CSS attribute selector for a series name (they hold quotes and braces). */
const attr = (name: string, value: string) => `[${name}=${JSON.stringify(value)}]`;

describe('application metrics in Chromium', () => {
  const erp = new FakeErp();
  let app: { server: Server; url: string };
  let gw: TestServer;
  let admin: Session;
  let browser: Browser;

  before(async () => {
    await ensureClientBuilt();
    const server = createServer((req, res) => {
      if (req.url === '/metrics') res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(erp.body());
      else if (req.url === '/fail') res.writeHead(500).end('boom');
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    app = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    gw = await startTestServer({ intervalMs: INTERVAL_MS });
    admin = await gw.admin();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    app?.server.closeAllConnections();
    await new Promise<void>((resolve) => (app ? app.server.close(() => resolve()) : resolve()));
  });

  it('adds a scrape target through Admin → Targets, checks the form first, and shows its status', async () => {
    const page = await openPage(browser, admin, '/admin?tab=targets');
    await page.waitForSelector('[data-targets-empty]');

    await page.click('[data-target-new]');
    await page.fill('[data-input="target-name"]', APP);
    await page.fill('[data-input="target-url"]', 'erp-web:8000/metrics');
    await page.locator('[data-input="target-url"]').blur();
    assert.match((await page.textContent('[data-field-error="url"]')) ?? '', /http\(s\) URL/, 'the shared schema speaks before anything is sent');
    await page.fill('[data-input="target-interval"]', '0');
    await page.click('[data-target-submit]');
    assert.match((await page.textContent('[data-field-error="intervalSeconds"]')) ?? '', /at least 1/i);
    assert.equal(await page.locator('[data-target-form]').count(), 1, 'nothing sent: the form stays');
    assert.equal((await admin.json<TargetsResponse>('/api/targets')).body.targets.length, 0);

    await page.fill('[data-input="target-url"]', `${app.url}/metrics`);
    await page.fill('[data-input="target-interval"]', '1');
    await page.click('[data-target-submit]');
    await page.waitForSelector(`[data-target-name="${APP}"]`);
    assert.equal(await page.locator('[data-target-form]').count(), 0);

    // Its first scrape brings its host and series; the list is read again then (no polling).
    await page.waitForSelector(`[data-target-name="${APP}"][data-target-state="ok"]`, { timeout: 10_000 });
    await waitForExpression(page, `Number(document.querySelector('[data-target-name="${APP}"] [data-target-series]').dataset.targetSeries) > 0`, { timeout: 10_000 });
    const { targets } = (await admin.json<TargetsResponse>('/api/targets')).body;
    const target = targets.find((t) => t.name === APP);
    assert.ok(target && target.lastError === null && target.series > 0);
    assert.equal(Number(await page.getAttribute(`[data-target-name="${APP}"] [data-target-series]`, 'data-target-series')), target.series);
    assert.match((await page.textContent(`[data-target-name="${APP}"] [data-target-status]`)) ?? '', /Scraping/);
    assert.match((await page.textContent(`[data-target-name="${APP}"] [data-label="Last scrape"]`)) ?? '', /just now|\d+ s ago/);

    // A target that answers 500: its row turns red and says why, in words.
    await page.click('[data-target-new]');
    await page.fill('[data-input="target-name"]', BROKEN);
    await page.fill('[data-input="target-url"]', `${app.url}/fail`);
    await page.fill('[data-input="target-interval"]', '2');
    await page.click('[data-target-submit]');
    await page.waitForSelector(`[data-target-name="${BROKEN}"][data-target-state="failing"]`, { timeout: 10_000 });
    const said = (await page.textContent(`[data-target-name="${BROKEN}"] [data-target-error]`)) ?? '';
    const stored = (await admin.json<TargetsResponse>('/api/targets')).body.targets.find((t) => t.name === BROKEN);
    assert.ok(stored?.lastError, 'the server has the error');
    assert.equal(said.trim(), stored.lastError);
    assert.match(said, /500/);
    assert.equal(await page.getAttribute('[data-targets-failing]', 'data-targets-failing'), '1');
    await screenshots(page, 'admin-targets');
    await closePage(page);
  });

  it('creates a derived error-rate ratio through the form, with the formula in words, and computes it', async () => {
    const page = await openPage(browser, admin, '/admin?tab=targets');
    await page.waitForSelector('[data-derived-empty]');
    await page.click('[data-derived-new]');
    await page.fill('[data-input="derived-name"]', ERROR_RATE);
    await page.fill('[data-input="derived-label"]', 'ERP error rate');
    await page.fill('[data-input="numerator-family"]', RATE);
    await page.fill('[data-input="denominator-family"]', RATE);
    // The form starts as an error rate: status starting with 5, × 100, in %.
    assert.equal(await page.inputValue('[data-input="numerator-label"]'), 'status');
    assert.equal(await page.inputValue('[data-input="numerator-prefix"]'), '5');
    assert.equal(
      (await page.textContent('[data-derived-preview]'))?.trim(),
      `${ERROR_RATE} = Σ ${RATE}{status=5…} ÷ Σ ${RATE} × 100`,
    );
    await page.click('[data-derived-submit]');
    await page.waitForSelector(`[data-derived-name="${ERROR_RATE}"]`);
    assert.equal((await page.textContent(`[data-derived-name="${ERROR_RATE}"] [data-derived-formula]`))?.trim(), `Σ ${RATE}{status=5…} ÷ Σ ${RATE} × 100`);
    const { derived } = (await admin.json<DerivedResponse>('/api/derived')).body;
    assert.deepEqual(
      derived.map((d) => ({ name: d.name, label: d.label, unit: d.unit, numerator: d.numerator, denominator: d.denominator, factor: d.factor })),
      [{ name: ERROR_RATE, label: 'ERP error rate', unit: '%', numerator: { family: RATE, label: 'status', prefix: '5' }, denominator: { family: RATE }, factor: 100 }],
    );
    // 5 of every 15 requests fail: 33.3 %.
    const current = await waitFor(async () => {
      const res = await admin.json<CurrentResponse>(`/api/metrics/current?host=${APP}`);
      const v = res.body.values[ERROR_RATE];
      return typeof v === 'number' ? v : undefined;
    }, `${ERROR_RATE} computed`, 10_000);
    assert.ok(Math.abs(current - 100 / 3) < 0.01, `error rate ${current}`);
    await closePage(page);
  });

  it("shows the host's pinned series in its Application panel, coloured by a rule", async () => {
    // A rule on the ratio: its threshold, not the catalog's, decides the card's status.
    const rule = await admin.json<{ id: number }>('/api/rules', {
      method: 'POST',
      body: { name: 'ERP errors', metric: ERROR_RATE, host: APP, operator: '>', threshold: 20, level: 'WARNING' },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));

    const page = await openPage(browser, admin, '/');
    await page.click(`[data-host-tile="${APP}"]`);
    await page.waitForSelector(`[data-app-panel="${APP}"]`);
    // An admin pins what the panel shows: the ratio, the request rate, the p95 and a gauge, in that order.
    await page.click('[data-app-panel-edit]');
    await page.waitForSelector('[data-app-panel-editor]');
    for (let n = await page.locator('[data-unpin]').count(); n > 0; n--) await page.locator('[data-unpin]').first().click();
    for (const series of [ERROR_RATE, RATE, P95, ORDERS]) await page.click(attr('data-pin', series));
    assert.deepEqual(await attrsOf(page, '[data-pinned]', 'data-pinned'), [ERROR_RATE, RATE, P95, ORDERS]);
    await page.click('[data-app-panel-save]');
    await page.waitForSelector(`[data-app-panel="${APP}"][data-series-count="4"]`);
    await page.waitForSelector('[data-app-panel-editor]', { state: 'detached' });

    const panels = (await admin.json<AppPanels>('/api/settings/app-panels')).body;
    assert.deepEqual(panels.hosts[APP], [ERROR_RATE, RATE, P95, ORDERS], 'stored for the installation');

    const card = (series: string) => page.locator(`[data-app-panel="${APP}"] ${attr('data-panel', `app:${series}`)}`);
    assert.deepEqual(
      await attrsOf(page, `[data-app-panel="${APP}"] [data-panel]`, 'data-panel'),
      [ERROR_RATE, RATE, P95, ORDERS].map((s) => `app:${s}`),
      'in the order pinned',
    );
    // Live values from the socket, the status from the rule (33 % > 20 %: Warning), a streaming chart each.
    await waitForExpression(page, `(document.querySelector(${JSON.stringify(`[data-panel=${JSON.stringify(`app:${ERROR_RATE}`)}] [data-metric] .number`)})?.dataset.value ?? '') !== ''`, { timeout: 10_000 });
    const shown = Number(await card(ERROR_RATE).locator('[data-metric] .number').getAttribute('data-value'));
    assert.ok(Math.abs(shown - 100 / 3) < 0.01, `the card shows ${shown}`);
    assert.match((await card(ERROR_RATE).locator('[data-metric]').textContent()) ?? '', /33\.3\d*\s*%/);
    await page.waitForSelector(`[data-app-panel="${APP}"] ${attr('data-panel', `app:${ERROR_RATE}`)}[data-status="warning"]`, { timeout: 10_000 });
    assert.equal(await card(ORDERS).getAttribute('data-status'), 'normal', 'no rule, no catalog threshold: Normal');
    // …and the host stands as its worst series: its tile, its heading and the system badge say Warning.
    await page.waitForSelector(`[data-host-tile="${APP}"][data-status="warning"]`);
    await page.waitForSelector('[data-system-status="warning"]');
    await waitForExpression(page, `Number(document.querySelector(${JSON.stringify(`[data-panel=${JSON.stringify(`app:${ORDERS}`)}] [data-points]`)}).dataset.points) >= 2`, { timeout: 10_000 });
    assert.ok((await card(RATE).locator('canvas').count()) > 0, 'drawn on a canvas');
    const orders = Number(await card(ORDERS).locator('[data-metric] .number').getAttribute('data-value'));
    assert.ok(orders >= 40 && orders <= 46, `orders ${orders}`);
    await screenshots(page, 'dashboard-application');

    // A viewer sees the same panel and cannot change it.
    const viewer = await gw.user('vera', 'viewer');
    const vpage = await openPage(browser, viewer, '/');
    await vpage.click(`[data-host-tile="${APP}"]`);
    await vpage.waitForSelector(`[data-app-panel="${APP}"][data-series-count="4"]`);
    assert.equal(await vpage.locator('[data-app-panel-edit]').count(), 0);
    await closePage(vpage);
    await closePage(page);
  });

  it('Admin → Cluster shows this node leading, read when the tab opens and on Refresh only', async () => {
    const page = await loggedInPage(browser, admin, { viewport: { width: 1600, height: 1000 } });
    let reads = 0;
    page.on('request', (req) => {
      if (new URL(req.url()).pathname === '/api/cluster') reads++;
    });
    await page.goto(`${admin.url}/admin?tab=cluster`);
    await page.waitForSelector('[data-cluster-nodes] [data-cluster-node]');
    const rows = page.locator('[data-cluster-node]');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute('data-leader'), 'true');
    const name = (await rows.first().getAttribute('data-cluster-node')) ?? '';
    assert.equal(await page.getAttribute('[data-cluster-leader]', 'data-cluster-leader'), name);
    assert.ok(Number(await rows.first().locator('[data-node-viewers]').getAttribute('data-node-viewers')) >= 0);
    assert.equal(reads, 1, 'read once when the tab opened');
    const readAt = await page.getAttribute('[data-cluster-read-at]', 'data-cluster-read-at');
    await page.click('[data-cluster-refresh]');
    await waitForExpression(page, `document.querySelector('[data-cluster-read-at]')?.dataset.clusterReadAt !== ${JSON.stringify(readAt)}`);
    assert.equal(reads, 2, 'and once per Refresh');
    await screenshots(page, 'admin-cluster');
    await page.close();
  });
});
