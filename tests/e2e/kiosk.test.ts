/**
 * The wall screen in Chromium against a real server (PGlite in a temp dir):
 * it opens with a display token and nothing else, draws live charts, says so
 * within seconds when data stops or the server dies, comes back by itself
 * when the server returns on the same port and data dir (the display token
 * is stored server-side) with every stored sample on its charts, hands the
 * screen to a CRITICAL alert until an operator elsewhere acknowledges it,
 * sounds the alarm when asked to, follows an admin's settings, and shows a
 * revoked token's refusal without ever opening the login page.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import type { Alert, Rule } from '../../shared/alerts.ts';
import type { DisplayToken } from '../../shared/auth.ts';
import type { HistoryPoint } from '../../shared/api.ts';
import { tempDir } from '../helpers/databases.ts';
import { ensureClientBuilt, launchBrowser, loggedInPage, waitForExpression } from '../helpers/browser.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { connectForSnapshot } from '../helpers/socket.ts';

const INTERVAL_MS = 250;
const FULL_HD = { width: 1920, height: 1080 };

interface Display extends DisplayToken {
  token: string;
}

/** The CPU tile's chart as the page drew it: samples, those with a value, holes, and its first and newest sample. */
interface ChartState {
  points: number;
  values: number;
  gaps: number;
  firstTs: number;
  lastTs: number;
}

// Page-side code is passed as strings: this file is type-checked without the DOM library.
async function cpuChart(page: Page): Promise<ChartState> {
  return (await page.evaluate(`(() => {
    const el = document.querySelector('[data-tile="cpu"] [data-chart]');
    return { points: Number(el.dataset.points), values: Number(el.dataset.values), gaps: Number(el.dataset.gaps), firstTs: Number(el.dataset.firstTs), lastTs: Number(el.dataset.lastTs) };
  })()`)) as ChartState;
}

async function createDisplay(admin: Session, settings: Partial<DisplayToken> = {}): Promise<Display> {
  const res = await admin.json<Display>('/api/displays', {
    method: 'POST',
    body: { name: 'NOC', views: ['overview'], rotateSeconds: null, sound: false, ...settings },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

async function openKiosk(browser: Browser, url: string, display: Display, setup?: (page: Page) => Promise<void>): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: FULL_HD });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await setup?.(page);
  await page.goto(`${url}/kiosk?token=${encodeURIComponent(display.token)}`);
  await page.waitForSelector('[data-kiosk][data-screen="live"]', { timeout: 15_000 });
  return { page, errors };
}

/** Gaps the way the chart cuts them: steps longer than 2.5 ticks (and 2.5 × the smallest step). */
function gapsIn(timestamps: number[]): number {
  let minStep = Number.POSITIVE_INFINITY;
  for (let i = 1; i < timestamps.length; i++) minStep = Math.min(minStep, timestamps[i]! - timestamps[i - 1]!);
  const limit = Math.max(2.5 * INTERVAL_MS, 2.5 * minStep);
  let gaps = 0;
  for (let i = 1; i < timestamps.length; i++) if (timestamps[i]! - timestamps[i - 1]! > limit) gaps++;
  return gaps;
}

async function createCriticalRule(admin: Session): Promise<Rule> {
  const res = await admin.json<Rule>('/api/rules', {
    method: 'POST',
    body: { name: 'Cores present', metric: 'cpu.count', operator: '>=', threshold: 1, level: 'CRITICAL' },
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

describe('kiosk (wall screen) in Chromium', () => {
  const data = tempDir('glasswatch-kiosk-');
  let server: TestServer;
  let admin: Session;
  let browser: Browser;

  before(async () => {
    await ensureClientBuilt();
    server = await startTestServer({ intervalMs: INTERVAL_MS, dataDir: data.dir });
    admin = await server.admin();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    data.remove();
  });

  it('shows live charts with only a display token, and no navigation or controls', async () => {
    const display = await createDisplay(admin);
    const { page, errors } = await openKiosk(browser, server.url, display);
    await page.waitForSelector('[data-tile="cpu"] [data-chart]:not([data-points="0"])');
    const first = await cpuChart(page);
    await waitForExpression(page, `Number(document.querySelector('[data-tile="cpu"] [data-chart]').dataset.lastTs) > ${first.lastTs}`, { timeout: 5_000 });
    assert.ok((await page.locator('[data-tile="cpu"] canvas').count()) > 0, 'the chart is drawn on a canvas');
    assert.equal(await page.textContent('[data-display-name]'), 'NOC');
    assert.match((await page.textContent('[data-tile="cpu"] [data-metric="cpu.usage_percent"]')) ?? '', /\d/);
    const controls = await page.locator('a[href], button, input, select, textarea, nav a').count();
    assert.equal(controls, 0, 'nothing on the wall needs a mouse');
    assert.equal(new URL(page.url()).pathname, '/kiosk', 'still the kiosk (no login page)');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('says so within 5 s when the server dies, and comes back by itself with the gap filled', async (t: TestContext) => {
    const display = await createDisplay(admin);
    // Swallow what the server sends for a moment: samples the screen misses but the server stores.
    let swallow = false;
    const { page, errors } = await openKiosk(browser, server.url, display, (p) =>
      p.routeWebSocket(/\/socket\.io\//, (ws) => {
        const upstream = ws.connectToServer();
        upstream.onMessage((message) => {
          if (!swallow) ws.send(message);
        });
      }),
    );
    await page.waitForSelector('[data-tile="cpu"] [data-chart]:not([data-points="0"])');
    // The chart as it stands once the snapshot is in and live ticks follow it (a first draw may come before the snapshot's backlog).
    const drawn = await cpuChart(page);
    await waitForExpression(page, `Number(document.querySelector('[data-tile="cpu"] [data-chart]').dataset.lastTs) > ${drawn.lastTs}`, { timeout: 5_000 });
    const before = await cpuChart(page);

    swallow = true;
    await page.waitForSelector('[data-kiosk][data-screen="stale"]', { timeout: 3 * INTERVAL_MS + 2_500 });
    assert.match((await page.textContent('[data-veil]')) ?? '', /No new data.*Last data \d\d:\d\d:\d\d/s);
    assert.equal(await page.getAttribute('[data-tile="cpu"]', 'data-fresh'), 'false', 'the tiles stop looking live');

    const port = server.port;
    const killedAt = Date.now();
    await server.close();
    await page.waitForSelector('[data-kiosk][data-screen="lost"]', { timeout: 5_000 });
    const noticedMs = Date.now() - killedAt;
    assert.ok(noticedMs < 5_000, `noticed in ${noticedMs} ms`);
    t.diagnostic(`the wall said "Connection lost" ${noticedMs} ms after the server began shutting down`);
    assert.match((await page.textContent('[data-veil]')) ?? '', /Connection lost.*Last data \d\d:\d\d:\d\d — .+ ago/s);

    await page.waitForTimeout(1_500);
    swallow = false;
    server = await startTestServer({ intervalMs: INTERVAL_MS, dataDir: data.dir, port });
    admin = await server.admin();
    await page.waitForSelector('[data-kiosk][data-screen="live"]', { timeout: 30_000 });
    t.diagnostic(`live again ${Date.now() - killedAt} ms after the kill (server down ~1.5 s, then its start-up)`);
    await page.waitForTimeout(4 * INTERVAL_MS);
    const after = await cpuChart(page);
    await page.waitForTimeout(4 * INTERVAL_MS); // let the batched writer store what the chart shows

    const host = (await page.getAttribute('.overview', 'data-host')) ?? '';
    // One millisecond of margin each side: the database compares at microseconds, through a float.
    const query = new URLSearchParams({ metric: 'cpu.usage_percent', host, from: String(after.firstTs - 1), to: String(after.lastTs + 1), points: '10000' });
    const res = await admin.json<{ points: HistoryPoint[] }>(`/api/metrics/history?${query}`);
    assert.equal(res.status, 200);
    const stored = res.body.points.map((p) => p[0]);
    const storedSince = stored.filter((ts) => ts > before.lastTs).length;
    assert.ok(storedSince > 0);
    // Values, not points: a tick whose source had nothing (the first CPU reading after a start) is a point without a value, and is not stored.
    assert.equal(after.values - before.values, storedSince, 'every sample stored meanwhile (missed, replayed, new) is on the chart');
    assert.equal(after.values, stored.length, 'the chart holds exactly what the server stored over its span');
    const downtime = stored.findIndex((ts, i) => i > 0 && ts - stored[i - 1]! > 1_000);
    assert.ok(downtime > 0 && stored[downtime - 1]! < killedAt && stored[downtime]! > killedAt, 'the server stored nothing while it was down');
    assert.ok(after.gaps >= 1, 'the downtime is a hole on the chart');
    assert.equal(after.gaps, gapsIn(stored), 'and the only holes are the real ones');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('hands the screen to a CRITICAL alert until an operator elsewhere acknowledges it, then says who', async (t: TestContext) => {
    const display = await createDisplay(admin);
    const { page, errors } = await openKiosk(browser, server.url, display);
    const rule = await createCriticalRule(admin);
    try {
      await page.waitForSelector('[data-critical-banner]', { timeout: 5_000 });
      const banner = (await page.textContent('[data-critical-banner]')) ?? '';
      assert.match(banner, /CRITICAL/);
      assert.match(banner, /Cores present/);
      assert.match(banner, /test-host/);
      assert.match(banner, /firing for \d+ s/);
      const id = Number(await page.getAttribute('[data-critical-banner]', 'data-alert-id'));

      const olivia = await server.user('olivia', 'operator');
      const { socket } = await connectForSnapshot(olivia);
      try {
        const ackedAt = Date.now();
        const ack = await socket.emitWithAck('alert:ack', { id });
        assert.equal(ack.ok, true, JSON.stringify(ack));
        await page.waitForSelector('[data-ack-notice][data-acknowledged-by="olivia"]', { timeout: 2_000 });
        const shownMs = Date.now() - ackedAt;
        assert.ok(shownMs < 1_000, `the acknowledgement reached the wall in ${shownMs} ms`);
        t.diagnostic(`olivia's acknowledgement was on the wall ${shownMs} ms after she sent it`);
        assert.equal(await page.locator('[data-critical-banner]').count(), 0, 'the banner is gone');
        assert.match((await page.textContent('[data-ack-notice]')) ?? '', /Acknowledged by olivia/);
        assert.match((await page.textContent(`[data-alert-id="${id}"][data-alert-state="acknowledged"]`)) ?? '', /Acknowledged by olivia/);
      } finally {
        socket.close();
      }
    } finally {
      await admin.fetch(`/api/rules/${rule.id}`, { method: 'DELETE' });
    }
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('beeps while a CRITICAL alert waits when the display wants sound, and stops on acknowledgement', async () => {
    // How a wall screen's Chromium should be started: audio without a click.
    const loud = await launchBrowser({ args: ['--autoplay-policy=no-user-gesture-required'] });
    const display = await createDisplay(admin, { sound: true });
    try {
      const { page } = await openKiosk(loud, server.url, display);
      await page.waitForSelector('[data-kiosk][data-alarm="armed"]', { timeout: 5_000 });
      const rule = await createCriticalRule(admin);
      try {
        await page.waitForSelector('[data-kiosk][data-alarm="playing"]', { timeout: 5_000 });
        const alerts = await admin.json<{ alerts: Alert[] }>('/api/alerts?state=open');
        const alert = alerts.body.alerts.find((a) => a.ruleId === rule.id);
        assert.ok(alert);
        assert.equal((await admin.json(`/api/alerts/${alert.id}/ack`, { method: 'POST', body: {} })).status, 200);
        await page.waitForSelector('[data-kiosk][data-alarm="armed"]', { timeout: 2_000 });
      } finally {
        await admin.fetch(`/api/rules/${rule.id}`, { method: 'DELETE' });
      }
    } finally {
      await loud.close();
    }

    // A browser that wants a gesture first (Chromium's default, made explicit): the screen says how to allow sound, and a click
    // does. Nothing may touch the page until the alarm has asked: Playwright's evaluations count as a user gesture.
    const strict = await launchBrowser({ args: ['--autoplay-policy=document-user-activation-required'] });
    try {
      const page = await strict.newPage({ viewport: FULL_HD });
      await page.goto(`${server.url}/kiosk?token=${encodeURIComponent(display.token)}`);
      await page.waitForTimeout(2_500);
      await page.waitForSelector('[data-sound-blocked]', { timeout: 5_000 });
      assert.equal(await page.getAttribute('[data-kiosk]', 'data-alarm'), 'blocked');
      assert.match((await page.textContent('[data-sound-blocked]')) ?? '', /Sound blocked: click once to enable/);
      await page.mouse.click(400, 400);
      await page.waitForSelector('[data-kiosk][data-alarm="armed"]', { timeout: 5_000 });
      assert.equal(await page.locator('[data-sound-blocked]').count(), 0);
    } finally {
      await strict.close();
    }
  });

  it("follows an admin's change of the display's settings, by itself", async () => {
    const display = await createDisplay(admin);
    const { page } = await openKiosk(browser, server.url, display);
    assert.equal(await page.getAttribute('[data-kiosk]', 'data-view'), 'overview');
    const res = await admin.json(`/api/displays/${display.id}`, { method: 'PATCH', body: { views: ['alerts'] } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await page.waitForSelector('[data-kiosk][data-view="alerts"][data-screen="live"]', { timeout: 15_000 });
    await page.close();
  });

  it('shows a revoked token as refused and keeps retrying, never opening the login page', async () => {
    const display = await createDisplay(admin);
    const { page } = await openKiosk(browser, server.url, display);
    assert.equal((await admin.fetch(`/api/displays/${display.id}`, { method: 'DELETE' })).status, 204);
    await page.waitForSelector('[data-kiosk][data-screen="refused"]', { timeout: 10_000 });
    assert.match((await page.textContent('[data-veil]')) ?? '', /unknown or was revoked/);
    await page.waitForTimeout(3_000);
    assert.equal(new URL(page.url()).pathname, '/kiosk');
    assert.equal(new URL(page.url()).searchParams.get('token'), display.token, 'the token stays in the address');
    await page.close();
  });

  it('remembers its token: /kiosk alone opens the same display later, and a revoked one is forgotten, saying so', async () => {
    const display = await createDisplay(admin, { name: 'Lobby' });
    const context = await browser.newContext({ viewport: FULL_HD });
    try {
      const first = await context.newPage();
      await first.goto(`${server.url}/kiosk?token=${encodeURIComponent(display.token)}`);
      await first.waitForSelector('[data-kiosk][data-screen="live"]', { timeout: 15_000 });
      assert.equal(await first.evaluate("localStorage.getItem('glasswatch.kioskToken')"), display.token, 'kept in this browser');
      await first.close();

      // Opened again without the token (a bookmark, a TV that lost the query): the same display.
      const later = await context.newPage();
      await later.goto(`${server.url}/kiosk`);
      await later.waitForSelector('[data-kiosk][data-screen="live"]', { timeout: 15_000 });
      assert.equal(await later.textContent('[data-display-name]'), 'Lobby');
      assert.equal(new URL(later.url()).search, '', 'nothing secret in the address');

      // Revoked: the screen says the token it remembered was refused and forgets it.
      assert.equal((await admin.fetch(`/api/displays/${display.id}`, { method: 'DELETE' })).status, 204);
      await later.waitForSelector('[data-veil="refused"][data-token-forgotten="true"]', { timeout: 10_000 });
      assert.match((await later.textContent('[data-veil]')) ?? '', /Display token refused.*forgotten/s);
      assert.equal(await later.evaluate("localStorage.getItem('glasswatch.kioskToken')"), null);
      await later.close();

      // Opened again: nothing remembered, no session: refused, never the login page.
      const again = await context.newPage();
      await again.goto(`${server.url}/kiosk`);
      await again.waitForSelector('[data-kiosk][data-screen="refused"]', { timeout: 10_000 });
      assert.match((await again.textContent('[data-veil]')) ?? '', /not logged in/);
      assert.equal(new URL(again.url()).pathname, '/kiosk');
    } finally {
      await context.close();
    }
  });

  it('opens for a logged-in user without a token', async () => {
    const page = await loggedInPage(browser, admin, { viewport: FULL_HD });
    await page.goto(`${server.url}/kiosk`);
    await page.waitForSelector('[data-kiosk][data-screen="live"]', { timeout: 15_000 });
    assert.equal(await page.textContent('[data-display-name]'), 'admin');
    await page.close();
  });
});
