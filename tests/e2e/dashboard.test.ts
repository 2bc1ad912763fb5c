/**
 * The dashboard in Chromium against a real server (PGlite in a temp dir):
 * it goes live, keeps updating without a reload, fills a dropped
 * connection's hole from the reconnect snapshot, and stops looking live
 * when the server goes away.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { ensureClientBuilt, launchBrowser, loggedInPage, waitForExpression } from '../helpers/browser.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { calmMachine } from '../helpers/sources.ts';

const INTERVAL_MS = 250;
const PANELS = ['cpu', 'memory', 'disk', 'network', 'load', 'db-response', 'db-connections', 'sessions', 'server-health'];

async function attr(page: Page, selector: string, name: string): Promise<string | null> {
  return page.getAttribute(selector, name);
}

// Page-side code is passed as strings: this file is type-checked without the DOM library.
const MARK_DOCUMENT = 'window.sameDocument = true';
const SAME_DOCUMENT = 'window.sameDocument === true';

/** The CPU card's newest sample time and its chart's point count, read in one go (they change together). */
async function cpuChartState(page: Page): Promise<{ ts: number; points: number }> {
  const [ts, points] = (await page.evaluate(`(() => {
    const card = document.querySelector('[data-panel="cpu"]');
    return [Number(card.getAttribute('data-ts')), Number(card.querySelector('[data-points]').getAttribute('data-points'))];
  })()`)) as [number, number];
  return { ts, points };
}

/** Opens the dashboard logged in as `session` (the admin's cookie is put into the browser: there is no login page yet). */
async function openLive(browser: Browser, session: Session, viewport = { width: 1920, height: 1080 }): Promise<Page> {
  const page = await loggedInPage(browser, session, { viewport });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(session.url);
  await page.waitForSelector('[data-connection="live"]', { timeout: 15_000 });
  assert.deepEqual(errors, [], 'no uncaught errors in the page');
  return page;
}

describe('dashboard in Chromium', () => {
  let server: TestServer;
  let admin: Session;
  let browser: Browser;
  let serverClosed = false;

  before(async () => {
    await ensureClientBuilt();
    // Calm sources: under load the real ones can miss a tick (a null the chart keeps and storage does not) or fire an alert of their own.
    server = await startTestServer({ intervalMs: INTERVAL_MS, sources: calmMachine });
    admin = await server.admin();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    if (server && !serverClosed) await server.close();
  });

  it('goes live and shows every panel with a value and the system status', async () => {
    const page = await openLive(browser, admin);
    for (const id of PANELS) {
      assert.equal(await page.locator(`[data-panel="${id}"]`).count(), 1, `panel ${id} is on the page`);
    }
    await page.waitForSelector('[data-panel="cpu"] [data-value]:not([data-value=""])');
    const status = await attr(page, '[data-system-status]', 'data-system-status');
    assert.ok(['normal', 'warning', 'critical'].includes(status ?? ''), `system status is known, got ${status}`);
    assert.match((await page.textContent('[data-system-status]')) ?? '', /Healthy|Warning|Critical/);
    await page.close();
  });

  it('updates values and charts live without reloading', async () => {
    const page = await openLive(browser, admin);
    await page.evaluate(MARK_DOCUMENT);
    await page.waitForSelector('[data-panel="cpu"] [data-points]:not([data-points="0"])');
    const { ts: ts0, points: points0 } = await cpuChartState(page);
    assert.ok(Number.isFinite(ts0) && ts0 > 0, 'the CPU card carries the time of its newest sample');

    await waitForExpression(
      page,
      `(() => {
        const card = document.querySelector('[data-panel="cpu"]');
        const chart = card && card.querySelector('[data-points]');
        return Number(card && card.getAttribute('data-ts')) > ${ts0} && Number(chart && chart.getAttribute('data-points')) > ${points0};
      })()`,
      { timeout: 5_000 },
    );
    assert.equal(await page.evaluate(SAME_DOCUMENT), true, 'the page was not reloaded');
    assert.equal(await page.locator('[data-panel="cpu"] canvas').count() > 0, true, 'the chart is drawn on a canvas');
    await page.close();
  });

  it('turns stale when samples stop, then fills the hole from the reconnect snapshot', async () => {
    const page = await loggedInPage(browser, admin, { viewport: { width: 1280, height: 800 } });
    // Proxy the socket so the test can swallow what the server sends, then drop the connection.
    let swallow = false;
    const sockets: { close(): Promise<void> }[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      const upstream = ws.connectToServer();
      upstream.onMessage((message) => {
        if (!swallow) ws.send(message);
      });
      sockets.push(ws);
    });
    await page.goto(admin.url);
    await page.waitForSelector('[data-connection="live"]', { timeout: 15_000 });
    await page.waitForSelector('[data-panel="cpu"] [data-points]:not([data-points="0"])');
    const before = await cpuChartState(page);

    swallow = true;
    await page.waitForSelector('[data-connection="stale"]', { timeout: 5 * INTERVAL_MS + 2_000 });
    assert.match((await page.textContent('[data-banner]')) ?? '', /Stale — last data \d\d:\d\d:\d\d/);
    await page.waitForTimeout(2_500);
    await Promise.all(sockets.splice(0).map((ws) => ws.close()));
    swallow = false;
    await page.waitForSelector('[data-connection="live"]', { timeout: 15_000 });

    const after = await cpuChartState(page);
    const host = await attr(page, '.dashboard', 'data-host');

    // What the server stored in between: the chart must have gained exactly those samples.
    await server.idle(); // every sample published so far is stored
    const query = new URLSearchParams({
      metric: 'cpu.usage_percent',
      host: host ?? '',
      from: String(before.ts + 1),
      to: String(after.ts),
      points: '10000',
    });
    const res = await admin.fetch(`/api/metrics/history?${query}`);
    assert.equal(res.status, 200);
    const stored = ((await res.json()) as { points: unknown[] }).points.length;
    assert.ok(stored >= 3_000 / INTERVAL_MS, `the outage spans at least 3 s of samples (${stored})`);
    assert.equal(after.points - before.points, stored, 'every sample of the outage reached the chart: no hole');
    await page.close();
  });

  it('navigates to the metric history page without a reload and draws it', async () => {
    const page = await openLive(browser, admin);
    await page.evaluate(MARK_DOCUMENT);
    await page.click('nav a[href="/metrics"]');
    await page.waitForSelector('[data-page="metrics"] [data-state="ready"]', { timeout: 10_000 });
    assert.equal(await page.evaluate(SAME_DOCUMENT), true, 'client-side navigation');
    assert.match(page.url(), /\/metrics\?metric=cpu\.usage_percent&range=1h$/);
    await page.waitForSelector('.history-plot canvas');
    await page.click('button:has-text("6 h")');
    await page.waitForURL(/range=6h/);
    await page.waitForSelector('[data-page="metrics"] [data-state="ready"]');
    await page.close();
  });

  it('fits a phone screen without sideways scrolling', async () => {
    const page = await openLive(browser, admin, { width: 390, height: 844 });
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    assert.equal(overflow, 0, 'no horizontal overflow at 390 px');
    await page.close();
  });

  it('stops looking live within 5 s of the server stopping', async () => {
    const page = await openLive(browser, admin);
    await page.waitForSelector('[data-panel="cpu"] [data-value]:not([data-value=""])');
    // Timed from the moment the server begins to stop (its samples end there), whatever its shutdown then takes.
    const stoppedAt = Date.now();
    const closed = server.close();
    serverClosed = true;
    await page.waitForSelector('[data-connection]:not([data-connection="live"])', { timeout: 5_000 });
    const noticedMs = Date.now() - stoppedAt;
    const state = await attr(page, '[data-connection]', 'data-connection');
    assert.ok(['reconnecting', 'stale', 'offline'].includes(state ?? ''), `indicator says ${state}`);
    assert.ok(noticedMs < 5_000, `noticed after ${noticedMs} ms`);
    await page.waitForSelector('[data-banner]', { timeout: 5_000 });
    await closed;
    await page.close();
  });
});
