/**
 * The fleet in Chromium against a real server (PGlite in a temp dir) and two
 * fake agents speaking the agent protocol on `/agent`: the fleet overview
 * shows every host with its values, a host whose agent stops turns DOWN
 * within seconds, picking a host shows its charts (filled from the server's
 * window, a replayed backlog merged in behind live data), the wall screen
 * shows the fleet, and Admin → Agents lists the agents and revokes one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { AGENT_NAMESPACE } from '../../shared/agent-protocol.ts';
import { closePage, ensureClientBuilt, launchBrowser, openPage, waitForExpression } from '../helpers/browser.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { createAgent, startFakeAgent, type FakeAgent } from './fake-agent.ts';

const INTERVAL_MS = 250;
const A = 'agent-a';
const B = 'agent-b';

/** The CPU card's chart: how many samples it holds (the ring's length). */
async function cpuPoints(page: Page): Promise<number> {
  return Number(await page.getAttribute('[data-panel="cpu"] [data-points]', 'data-points'));
}

describe('fleet in Chromium', () => {
  let server: TestServer;
  let admin: Session;
  let browser: Browser;
  let agentA: FakeAgent;
  let agentB: FakeAgent;
  let tokenA = '';

  before(async () => {
    await ensureClientBuilt();
    server = await startTestServer({ intervalMs: INTERVAL_MS });
    admin = await server.admin();
    const [a, b] = await Promise.all([createAgent(admin, A), createAgent(admin, B)]);
    assert.match(a.token, /^gwa_/);
    tokenA = a.token;
    agentA = await startFakeAgent(server.url, a.token, { 'cpu.usage_percent': 42.5, 'memory.usage_percent': 61.2, 'disk.usage_percent': 33.3 }, INTERVAL_MS);
    agentB = await startFakeAgent(server.url, b.token, { 'cpu.usage_percent': 91.5, 'memory.usage_percent': 20.1, 'disk.usage_percent': 70.7 }, INTERVAL_MS);
    await waitFor(() => agentA.acks.some((ack) => ack.ok) && agentB.acks.some((ack) => ack.ok), 'both agents stored a batch');
    browser = await launchBrowser();
  });

  after(async () => {
    agentA?.stop();
    agentB?.stop();
    await browser?.close();
    await server?.close();
  });

  it('shows every host in the fleet overview with its values and status', async () => {
    const page = await openPage(browser, admin, '/');
    await page.waitForSelector(`[data-host-tile="${A}"][data-live="true"]`, { timeout: 15_000 });
    await page.waitForSelector(`[data-host-tile="${B}"][data-live="true"]`);
    assert.equal(await page.locator('[data-host-tile]').count(), 3, 'the server itself and the two agents');
    assert.equal(await page.getAttribute('[data-fleet]', 'data-fleet'), '3');
    const tileA = page.locator(`[data-host-tile="${A}"]`);
    assert.equal(await tileA.locator('[data-metric="cpu.usage_percent"]').getAttribute('data-value'), '42.5');
    assert.match((await tileA.textContent()) ?? '', /CPU\s*42\.5\s*%.*Mem\s*61\.2\s*%.*Disk\s*33\.3\s*%.*Normal/s);
    assert.match((await tileA.textContent()) ?? '', /agent/, 'the host kind is said in words too');
    // 91.5 % CPU is over the catalog's critical threshold (85 %).
    assert.equal(await page.getAttribute(`[data-host-tile="${B}"]`, 'data-status'), 'critical');
    assert.match((await page.textContent(`[data-host-tile="${B}"]`)) ?? '', /Critical/);
    await closePage(page);
  });

  it('opens a picked host below with its charts filled from the server, and remembers the choice', async () => {
    const page = await openPage(browser, admin, '/');
    await page.waitForSelector(`[data-host-tile="${A}"][data-live="true"]`, { timeout: 15_000 });
    await page.click(`[data-host-tile="${A}"]`);
    await page.waitForSelector(`.dashboard[data-host="${A}"] [data-viewed-host="${A}"]`);
    assert.equal(await page.getAttribute(`[data-host-tile="${A}"]`, 'aria-current'), 'true');
    // Its window came from the server (series:get), not only what arrived since the click.
    const sent = agentA.acks.length;
    await waitForExpression(page, `Number(document.querySelector('[data-panel="cpu"] [data-points]')?.dataset.points) >= ${sent - 2}`, { timeout: 5_000 });
    assert.equal(await page.getAttribute('[data-panel="cpu"] [data-value]', 'data-value'), '42.5');
    assert.ok((await page.locator('[data-panel="cpu"] canvas').count()) > 0, 'the chart is drawn');
    // An agent has no sessions or database of its own: only the cards it has data for.
    assert.equal(await page.locator('[data-panel="sessions"]').count(), 0);
    assert.equal(await page.locator('[data-panel="memory"]').count(), 1);

    // The header's switcher picks too (a native select: keyboard and screen readers included).
    await page.selectOption('[data-host-picker]', B);
    await page.waitForSelector(`.dashboard[data-host="${B}"] [data-viewed-host="${B}"]`);
    await page.waitForSelector('[data-panel="cpu"] [data-value="91.5"]');
    await page.reload();
    await page.waitForSelector(`.dashboard[data-host="${B}"] [data-viewed-host="${B}"]`, { timeout: 15_000 });
    assert.equal(await page.inputValue('[data-host-picker]'), B, 'the choice survives a reload');
    await closePage(page);
  });

  it('merges a replayed backlog into the chart behind live data', async () => {
    const page = await openPage(browser, admin, '/');
    await page.selectOption('[data-host-picker]', A);
    await page.waitForSelector(`.dashboard[data-host="${A}"] [data-panel="cpu"] [data-points]:not([data-points="0"])`, { timeout: 15_000 });
    const before = await cpuPoints(page);
    // What the agent buffered while it was away: 40 ticks from before it came back, sent after the live ones.
    const t0 = Date.now() - 5 * 60_000;
    const samples = Array.from({ length: 40 }, (_, i) => ({ ts: t0 + i * INTERVAL_MS, values: { 'cpu.usage_percent': 12.5 } }));
    const ack = await agentA.socket.timeout(5_000).emitWithAck('samples', { sentAt: Date.now(), live: false, samples });
    assert.deepEqual(ack, { ok: true, stored: 40 });
    // Live ticks add one a 250 ms: 40 more within a second is the backlog, merged in (not dropped as "older").
    await waitForExpression(page, `Number(document.querySelector('[data-panel="cpu"] [data-points]').dataset.points) >= ${before + 40}`, { timeout: 2_000 });
    assert.equal(await page.getAttribute('[data-panel="cpu"] [data-value]', 'data-value'), '42.5', 'the old samples do not replace the latest value');
    await closePage(page);
  });

  it('shows a host as DOWN within seconds when its agent stops, its last numbers not live', async () => {
    const page = await openPage(browser, admin, '/');
    await page.waitForSelector(`[data-host-tile="${B}"][data-live="true"]`, { timeout: 15_000 });
    const stoppedAt = Date.now();
    agentB.stop();
    await page.waitForSelector(`[data-host-tile="${B}"][data-status="down"]`, { timeout: 5_000 });
    const tookMs = Date.now() - stoppedAt;
    assert.ok(tookMs < 5_000, `down after ${tookMs} ms`);
    const tile = page.locator(`[data-host-tile="${B}"]`);
    assert.equal(await tile.getAttribute('data-live'), 'false');
    const text = (await tile.textContent()) ?? '';
    assert.match(text, /Down/);
    assert.match(text, /Last seen \d\d:\d\d:\d\d/);
    assert.match(text, /91\.5/, 'its last numbers stay, marked as not live');
    assert.equal(await page.getAttribute(`[data-host-tile="${A}"]`, 'data-live'), 'true', 'the other agent is unaffected');
    await page.waitForSelector('[data-fleet] [data-count="down"]:has-text("1 down")');

    // Opened, the host says it is down, and the cards are dimmed rather than live.
    await page.click(`[data-host-tile="${B}"]`);
    await page.waitForSelector(`[data-viewed-host="${B}"] [data-status="down"]`);
    await page.waitForSelector(`[data-banner]:has-text("${B} is down")`, { timeout: 5_000 });
    await closePage(page);
  });

  it('shows the fleet on the wall screen, the stopped host as down', async () => {
    const page = await openPage(browser, admin, '/kiosk', { viewport: { width: 1920, height: 1080 } });
    await page.waitForSelector('[data-kiosk][data-screen="live"]', { timeout: 15_000 });
    await page.waitForSelector(`[data-host-row="${A}"][data-fresh="true"][data-status="normal"]`);
    await page.waitForSelector(`[data-host-row="${B}"][data-status="down"][data-fresh="false"]`);
    assert.match((await page.textContent(`[data-host-row="${B}"]`)) ?? '', /DOWN.*Down for .* — last \d\d:\d\d:\d\d/s);
    assert.equal(await page.locator('[data-host-row]').count(), 3);
    await closePage(page);
  });

  it('lists the agents in Admin → Agents and revokes one, cutting its connection', async () => {
    const page = await openPage(browser, admin, '/admin?tab=agents');
    await page.waitForSelector(`[data-agent-list] [data-agent-name="${A}"][data-agent-online="true"]`, { timeout: 10_000 });
    const rowA = page.locator(`[data-agent-name="${A}"]`);
    assert.equal((await rowA.locator('[data-agent-version]').textContent())?.trim(), 'test');
    assert.match((await rowA.textContent()) ?? '', /Online/);
    assert.match((await page.textContent(`[data-agent-name="${B}"]`)) ?? '', /Offline/);

    const cut = new Promise<string>((resolve) => agentA.socket.once('disconnect', resolve));
    await rowA.locator('[data-agent-revoke]').click();
    await page.click('[data-confirm] [data-confirm-ok]');
    await page.waitForSelector(`[data-agent-name="${A}"] [data-agent-status="revoked"]`);
    assert.equal(await cut, 'io server disconnect', 'the server cut the agent off');

    // The token is refused from then on.
    const again = io(`${server.url}${AGENT_NAMESPACE}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: tokenA, version: 'test', platform: 'test', intervalMs: INTERVAL_MS },
    });
    const refused = await new Promise<string>((resolve) => again.once('connect_error', (err) => resolve(err.message)));
    again.close();
    assert.match(refused, /unknown or was revoked/);
    await closePage(page);
  });

  it('creates an agent and shows its token once, with the install command', async () => {
    const page = await openPage(browser, admin, '/admin?tab=agents');
    await page.click('[data-agent-new]');
    await page.fill('[data-input="agent-name"]', 'bad name!');
    await page.click('[data-agent-create]');
    await page.waitForSelector('[data-field-error="name"]');
    await page.fill('[data-input="agent-name"]', 'web-9');
    await page.click('[data-agent-create]');
    await page.waitForSelector('[data-token-reveal]');
    const command = await page.inputValue('[data-agent-command]');
    assert.match(command, new RegExp(`curl -fsSLO ${server.url}/downloads/glasswatch-agent\\.mjs`));
    assert.match(command, new RegExp(`node glasswatch-agent\\.mjs --server ${server.url} --token gwa_\\S+ --name web-9`));
    assert.match((await page.textContent('[data-token-reveal]')) ?? '', /shown once.*systemd/s);
    await page.waitForSelector('[data-agent-name="web-9"] [data-agent-status="offline"]');
    await page.click('[data-reveal-done]');
    assert.equal(await page.locator('[data-token-reveal]').count(), 0, 'gone for good');
    await closePage(page);
  });
});
