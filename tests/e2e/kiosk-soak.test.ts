/**
 * The wall screen against a scripted server: 24 hours of 1 Hz data (86,400
 * ticks of the main host, and a second host on every 10th) and a few
 * thousand alert changes, fed as fast as the page keeps up while the screen
 * rotates its views; the JS heap (after forced garbage collection) and the
 * DOM stay flat. Also here, because they need a server that says what the
 * test wants: rotation and its hold during a CRITICAL alert (every second,
 * faster than an admin may set), and the reload after a server upgrade
 * (once, not a loop).
 *
 * Why a feeder and not the real server: what is under test is the browser's
 * memory over a day of data, and the real server collects in real time (a
 * day takes a day). The feeder speaks the same contract — the product's
 * types from shared/events.ts, a `snapshot` then `metrics` and `alert`
 * events — and serves the built client with the product's own
 * `clientRoutes`, on one origin, so the page is exactly what a wall screen
 * loads. The real server's side of it (reconnects, replay, acknowledgements)
 * is covered by kiosk.test.ts.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { Server } from 'socket.io';
import type { Alert, Level } from '../../shared/alerts.ts';
import type { DisplaySettings } from '../../shared/auth.ts';
import { BUILTIN_METRICS, type MetricValues } from '../../shared/catalog.ts';
import type { ClientToServerEvents, ServerToClientEvents, Snapshot } from '../../shared/events.ts';
import { clientRoutes } from '../../server/http/routes/client.ts';
import { ensureClientBuilt, launchBrowser, waitForExpression } from '../helpers/browser.ts';

const BUILD_VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
const HOSTS = ['soak-a', 'soak-b'] as const;
const DAY_TICKS = 86_400;
/** Measured after the first hour, after six (once the JIT's code and the browser's bounded performance buffers have filled), and at the end. */
const CHECKPOINTS = [3_600, 21_600, 86_400] as const;
/** Ticks sent before waiting for the page to catch up. */
const BATCH_TICKS = 2_000;
/** The second host (another agent) reports every 10th tick: per-host state without doubling the feed. */
const SECOND_HOST_EVERY_TICKS = 10;
/** One alert change every this many ticks: ~3,500 changes over the day. */
const ALERT_EVERY_TICKS = 25;

type Io = Server<ClientToServerEvents, ServerToClientEvents>;

/** A server that speaks the socket contract and serves the built client; the test decides what it says. */
interface Feeder {
  url: string;
  io: Io;
  settings: DisplaySettings;
  version: string;
  close(): Promise<void>;
}

async function startFeeder(): Promise<Feeder> {
  const app = new Koa();
  app.use(clientRoutes());
  const http: HttpServer = createServer(app.callback());
  const io: Io = new Server(http, { serveClient: false, perMessageDeflate: false });
  const feeder: Feeder = {
    url: '',
    io,
    settings: { views: ['overview'], rotateSeconds: null, sound: false },
    version: BUILD_VERSION,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
  io.on('connection', (socket) => {
    const now = Date.now();
    const snapshot: Snapshot = {
      viewer: { kind: 'display', name: 'Soak wall', role: 'viewer', display: feeder.settings },
      hosts: HOSTS.map((name, i) => ({ id: i + 1, name, kind: i === 0 ? 'server' : 'agent', lastSeen: now, online: true, intervalMs: 1000, clockSkewMs: null })),
      series: {},
      catalog: [],
      status: { database: 'ok' },
      alerts: [],
      server: { version: feeder.version, startedAt: now, intervalMs: 1000, hostname: HOSTS[0], platform: 'test', hostUptimeSec: 1, database: 'pglite' },
      now,
    };
    socket.emit('snapshot', snapshot);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  feeder.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return feeder;
}

/** Every catalogued metric, wandering smoothly with the tick (deterministic, no allocation beyond the object). */
function valuesAt(tick: number, host: number): MetricValues {
  const values: MetricValues = {};
  for (let m = 0; m < BUILTIN_METRICS.length; m++) {
    const wave = 0.5 + 0.45 * Math.sin((tick + 97 * m + 1_000 * host) / (60 + 13 * m));
    values[BUILTIN_METRICS[m]!] = Math.round(wave * 600) / 10; // 0–60: percentages stay below their warnings mostly
  }
  return values;
}

function alertOf(id: number, level: Level, state: Alert['state'], startedAt: number, at: number): Alert {
  return {
    id, ruleId: 1 + (id % 5), ruleName: `Soak rule ${id % 5}`, metric: 'cpu.usage_percent', host: HOSTS[id % 2]!, level, state,
    value: 91.5, threshold: 85, operator: '>', message: 'soak', startedAt,
    acknowledgedAt: state === 'firing' ? null : at, acknowledgedBy: state === 'firing' ? null : 'soak-operator',
    resolvedAt: state === 'resolved' ? at : null, resolvedBy: state === 'resolved' ? 'system' : null,
    note: null, silenced: false, deliveries: [],
  };
}

/** Feeds ticks [from, to) with alert changes among them; alerts cycle firing → acknowledged → resolved, each a new id. */
function createDay(io: Io, t0: number) {
  let changes = 0;
  let open: Alert | null = null;
  let nextId = 1;
  const step = (tick: number) => {
    const ts = t0 + tick * 1000;
    io.emit('metrics', { host: HOSTS[0], ts, values: valuesAt(tick, 0) });
    if (tick % SECOND_HOST_EVERY_TICKS === 0) io.emit('metrics', { host: HOSTS[1], ts, values: valuesAt(tick, 1) });
    if (tick % ALERT_EVERY_TICKS !== 0) return;
    const now = Date.now();
    if (!open) open = alertOf(nextId++, nextId % 2 ? 'CRITICAL' : 'WARNING', 'firing', now, now);
    else if (open.state === 'firing') open = alertOf(open.id, open.level, 'acknowledged', open.startedAt, now);
    else open = alertOf(open.id, open.level, 'resolved', open.startedAt, now);
    io.emit('alert', open);
    changes++;
    if (open.state === 'resolved') open = null;
  };
  return {
    get changes() {
      return changes;
    },
    async feed(page: Page, from: number, to: number) {
      for (let start = from; start < to; start += BATCH_TICKS) {
        const end = Math.min(to, start + BATCH_TICKS);
        for (let tick = start; tick < end; tick++) {
          step(tick);
          if (tick % 200 === 199) await new Promise((r) => setImmediate(r)); // let the socket write
        }
        await waitForExpression(page, `Number(document.querySelector('[data-kiosk]').dataset.lastTs) >= ${t0 + (end - 1) * 1000}`, { timeout: 30_000, interval: 20 });
      }
    },
    /**
     * The same screen at every measurement: nothing open, no acknowledgement
     * notice, then (once the rotation is back at the overview) one CRITICAL
     * alert that holds the rotation there while the memory is measured.
     */
    async hold(page: Page): Promise<() => void> {
      const now = Date.now();
      for (let id = Math.max(1, nextId - 4); id < nextId; id++) {
        io.emit('alert', alertOf(id, 'CRITICAL', 'firing', now, now)); // taken back: its notice goes
        io.emit('alert', alertOf(id, 'CRITICAL', 'resolved', now, now));
      }
      open = null;
      await waitForExpression(page, `document.querySelector('[data-kiosk]').dataset.page !== 'overview'`, { timeout: 20_000 });
      await waitForExpression(page, `document.querySelector('[data-kiosk]').dataset.page === 'overview'`, { timeout: 20_000 });
      const holdId = nextId++;
      io.emit('alert', alertOf(holdId, 'CRITICAL', 'firing', now, now));
      await page.locator(`[data-critical-banner][data-alert-id="${holdId}"]`).waitFor();
      await page.waitForTimeout(300); // its first frames
      return () => io.emit('alert', alertOf(holdId, 'CRITICAL', 'resolved', now, Date.now()));
    },
  };
}

interface Memory {
  heapUsedBytes: number;
  domNodes: number;
  domElements: number;
  listeners: number;
}

/**
 * Heap after forced garbage collection (twice: what the first frees can free
 * more), DOM counts from the protocol. (Waits use locators, never
 * `waitForSelector`: its ElementHandle would keep a removed banner alive.)
 */
async function measure(page: Page, cdp: CDPSession): Promise<Memory> {
  const domElements = (await page.evaluate(`document.getElementsByTagName('*').length`)) as number;
  for (let i = 0; i < 2; i++) {
    await page.evaluate('window.gc()');
    await cdp.send('HeapProfiler.collectGarbage');
  }
  const heap = await cdp.send('Runtime.getHeapUsage');
  const dom = await cdp.send('Memory.getDOMCounters');
  return { heapUsedBytes: heap.usedSize, domNodes: dom.nodes, domElements, listeners: dom.jsEventListeners };
}

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(2);

describe('kiosk against a scripted server', () => {
  let feeder: Feeder;
  let browser: Browser;

  before(async () => {
    await ensureClientBuilt();
    feeder = await startFeeder();
    browser = await launchBrowser({ args: ['--js-flags=--expose-gc'] });
  });

  after(async () => {
    await browser?.close();
    await feeder?.close();
  });

  it('keeps heap and DOM flat through 24 h of 1 Hz data and thousands of alert changes', async (t: TestContext) => {
    feeder.settings = { views: ['overview', 'hosts', 'alerts'], rotateSeconds: 2, sound: false };
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const cdp = await page.context().newCDPSession(page);
    await page.goto(`${feeder.url}/kiosk?token=soak`);
    await page.locator('[data-kiosk]').waitFor();
    const startedAt = Date.now();
    const day = createDay(feeder.io, Date.now());
    const at: Memory[] = [];
    let fed = 0;
    for (const checkpoint of CHECKPOINTS) {
      await day.feed(page, fed, checkpoint);
      fed = checkpoint;
      const release = await day.hold(page);
      assert.equal(await page.getAttribute('[data-kiosk]', 'data-page'), 'overview');
      at.push(await measure(page, cdp));
      release();
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const [hour, warm, end] = at as [Memory, Memory, Memory];
    const growth = (from: Memory) => (end.heapUsedBytes - from.heapUsedBytes) / from.heapUsedBytes;
    t.diagnostic(
      `kiosk soak: ${DAY_TICKS} ticks (+${DAY_TICKS / SECOND_HOST_EVERY_TICKS} of a second host), ${day.changes} alert changes, in ${seconds.toFixed(1)} s; ` +
        `heap after 1 h / 6 h / 24 h of data: ${mb(hour.heapUsedBytes)} / ${mb(warm.heapUsedBytes)} / ${mb(end.heapUsedBytes)} MB ` +
        `(growth ${(growth(warm) * 100).toFixed(1)} % from 6 h, ${(growth(hour) * 100).toFixed(1)} % from 1 h); ` +
        `DOM nodes ${hour.domNodes} / ${warm.domNodes} / ${end.domNodes}, elements ${hour.domElements} / ${warm.domElements} / ${end.domElements}, ` +
        `listeners ${hour.listeners} / ${warm.listeners} / ${end.listeners}`,
    );
    assert.deepEqual(errors, []);
    assert.ok(day.changes > 3_000, `a few thousand alert changes (${day.changes})`);
    assert.ok(end.heapUsedBytes <= warm.heapUsedBytes * 1.1 + 256 * 1024, `heap grew ${(growth(warm) * 100).toFixed(1)} % over the last 18 h of data`);
    // From the first hour on, compiled code and the browser's own (bounded) performance-entry buffers still fill up: a looser bound.
    assert.ok(end.heapUsedBytes <= hour.heapUsedBytes * 1.1 + 1024 * 1024, `heap grew ${(growth(hour) * 100).toFixed(1)} % over 23 h of data`);
    for (const m of [warm, end]) {
      assert.ok(Math.abs(m.domElements - hour.domElements) <= 5, `DOM elements ${hour.domElements} → ${m.domElements}`);
      assert.ok(m.domNodes <= hour.domNodes + 100, `DOM nodes, detached ones included: ${hour.domNodes} → ${m.domNodes}`);
      assert.ok(m.listeners <= hour.listeners + 10, `event listeners ${hour.listeners} → ${m.listeners}`);
    }
    await page.close();
  });

  it('rotates through its views on the interval, and holds while a CRITICAL alert waits', async () => {
    feeder.settings = { views: ['overview', 'hosts', 'alerts'], rotateSeconds: 1, sound: false };
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${feeder.url}/kiosk?token=rotation`);
    await page.locator('[data-kiosk][data-page="overview"]').waitFor();
    const pageNow = async () => (await page.getAttribute('[data-kiosk]', 'data-page')) ?? '';
    const seen: string[] = ['overview'];
    const until = Date.now() + 6_000;
    while (seen.length < 5 && Date.now() < until) {
      const current = await pageNow();
      if (current !== seen.at(-1)) seen.push(current);
      await page.waitForTimeout(50);
    }
    assert.deepEqual(seen, ['overview', 'host:soak-a', 'host:soak-b', 'alerts', 'overview'], 'every view in order, one per host');

    const now = Date.now();
    feeder.io.emit('alert', alertOf(900_001, 'CRITICAL', 'firing', now, now));
    await page.locator('[data-critical-banner] >> text=Soak rule').waitFor();
    const held = await pageNow();
    await page.locator('[data-rotation-paused]').waitFor();
    await page.waitForTimeout(2_500);
    assert.equal(await pageNow(), held, 'the rotation holds while the alert waits');

    feeder.io.emit('alert', alertOf(900_001, 'CRITICAL', 'acknowledged', now, Date.now()));
    await waitForExpression(page, `document.querySelector('[data-kiosk]').dataset.page !== ${JSON.stringify(held)}`, { timeout: 3_000 });
    feeder.io.emit('alert', alertOf(900_001, 'CRITICAL', 'resolved', now, Date.now()));
    await page.close();
  });

  it('follows the hosts, catalog and status events: new and down hosts, runtime metrics, a database outage', async () => {
    feeder.settings = { views: ['overview'], rotateSeconds: null, sound: false };
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${feeder.url}/kiosk?token=events`);
    await page.locator('[data-kiosk]').waitFor();
    const now = Date.now();
    const host = (name: string, i: number, online = true) => ({ id: i + 1, name, kind: 'agent' as const, lastSeen: now, online, intervalMs: 1000, clockSkewMs: null });
    const ticker = setInterval(() => {
      for (const name of ['soak-a', 'soak-b', 'soak-c']) feeder.io.emit('metrics', { host: name, ts: Date.now(), values: valuesAt(1, 0) });
    }, 250);
    try {
      await page.locator('[data-host-row="soak-b"][data-fresh="true"]').waitFor();
      assert.equal(await page.locator('[data-host-row]').count(), 2);

      // A host appears, then one goes down: the grid follows without a reload.
      feeder.io.emit('hosts', [host('soak-a', 0), host('soak-b', 1), host('soak-c', 2)]);
      await page.locator('[data-host-row="soak-c"][data-fresh="true"]').waitFor();
      feeder.io.emit('hosts', [host('soak-a', 0), host('soak-b', 1, false), host('soak-c', 2)]);
      await page.locator('[data-host-row="soak-b"][data-status="down"]').waitFor();
      assert.match((await page.textContent('[data-host-row="soak-b"]')) ?? '', /DOWN/);

      // A metric found at run time: its alerts read with its own unit once the catalog names it.
      const alert = { ...alertOf(900_100, 'WARNING', 'firing', now, now), metric: 'erp.orders_per_min', value: 12.5, threshold: 10 };
      feeder.io.emit('alert', alert);
      await page.locator('[data-alert-id="900100"] >> text=12.50').waitFor();
      feeder.io.emit('catalog', [{ name: 'erp.orders_per_min', kind: 'gauge', builtin: false, label: 'Orders per minute', unit: '/min', decimals: 1, help: 'pushed' }]);
      await page.locator('[data-alert-id="900100"] >> text=12.5 /min').waitFor();
      feeder.io.emit('alert', { ...alert, state: 'resolved', resolvedAt: Date.now(), resolvedBy: 'system' });

      // The database goes away and comes back: a small mark, live data on.
      feeder.io.emit('status', { database: 'unavailable' });
      await page.locator('[data-db-status="unavailable"]').waitFor();
      assert.equal(await page.getAttribute('[data-kiosk]', 'data-screen'), 'live');
      feeder.io.emit('status', { database: 'ok' });
      await page.locator('[data-db-status]').waitFor({ state: 'detached' });
      assert.deepEqual(errors, []);
    } finally {
      clearInterval(ticker);
      await page.close();
    }
  });

  it('reloads itself once when the server runs a new version, and does not loop when that brings no new client', async () => {
    feeder.settings = { views: ['overview'], rotateSeconds: null, sound: false };
    feeder.version = '99.0.0';
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      let loads = 0;
      page.on('load', () => loads++);
      await page.goto(`${feeder.url}/kiosk?token=upgrade`);
      await page.locator('[data-update-note]').waitFor();
      const reloaded = Date.now() + 10_000;
      while (loads < 2 && Date.now() < reloaded) await page.waitForTimeout(100);
      assert.equal(loads, 2, 'reloaded once, by itself');
      await page.locator('[data-update-note] >> text=did not update it').waitFor();
      await page.waitForTimeout(3_000);
      assert.equal(loads, 2, 'no reload loop: the next try waits (a minute, then longer)');
      assert.equal(new URL(page.url()).searchParams.get('token'), 'upgrade', 'the token survives the reload');
      await page.close();
    } finally {
      feeder.version = BUILD_VERSION;
    }
  });
});
