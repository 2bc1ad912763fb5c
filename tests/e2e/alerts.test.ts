/**
 * Alerting in Chromium against a real server (PGlite in a temp dir): a
 * CRITICAL alert reaches every open screen with its banner, acknowledging it
 * on one screen shows on the other at once (no reload) under the logged-in
 * operator's name, and the rules page validates with the shared schema
 * before anything is sent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Alert, Rule } from '../../shared/alerts.ts';
import { ensureClientBuilt, launchBrowser, loggedInContext } from '../helpers/browser.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';

const INTERVAL_MS = 250;
/** "Within a couple of seconds": how long another screen may take to show an acknowledgement. */
const PROPAGATION_MS = 2_500;

// Page-side code is passed as strings: this file is type-checked without the DOM library.
const MARK_DOCUMENT = 'window.sameDocument = true';
const SAME_DOCUMENT = 'window.sameDocument === true';

/** A request as `session` (an admin for rules, an operator for alert actions): JSON in, JSON out. */
async function api<T>(session: Session, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  return session.json<T>(path, { method, ...(body === undefined ? {} : { body }) });
}

async function rules(admin: Session): Promise<Rule[]> {
  return (await api<{ rules: Rule[] }>(admin, 'GET', '/api/rules')).body.rules;
}

/** A browser of its own (separate cookies and storage), logged in as `session`: its cookie put into the context. */
async function openAs(
  browser: Browser,
  url: string,
  session: Session,
  setup?: (page: Page) => Promise<void>,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await loggedInContext(browser, session, { viewport: { width: 1600, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await setup?.(page);
  await page.goto(url);
  await page.waitForSelector('[data-connection="live"]', { timeout: 15_000 });
  return { context, page, errors };
}

describe('alerts in Chromium', () => {
  let server: TestServer;
  let admin: Session;
  let browser: Browser;

  before(async () => {
    await ensureClientBuilt();
    server = await startTestServer({ intervalMs: INTERVAL_MS });
    admin = await server.admin();
    browser = await launchBrowser();
    // Only this test's rules: the default CPU/memory rules could fire on a busy machine.
    for (const rule of await rules(admin)) assert.equal((await api(admin, 'DELETE', `/api/rules/${rule.id}`)).status, 204);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows a new CRITICAL alert on every screen, and an acknowledgement on one screen reaches the other at once', async () => {
    const alice = await openAs(browser, server.url, await server.user('alice', 'operator'));
    // Bob's socket goes through a proxy that can hold back `alert` events (to make him act on stale news).
    let holdAlerts = false;
    const bob = await openAs(browser, server.url, await server.user('bob', 'operator'), (page) =>
      page.routeWebSocket(/\/socket\.io\//, (ws) => {
        const upstream = ws.connectToServer();
        upstream.onMessage((message) => {
          if (!(holdAlerts && typeof message === 'string' && message.startsWith('42["alert"'))) ws.send(message);
        });
      }),
    );
    await alice.page.waitForSelector('[data-alerts-empty]');
    await bob.page.evaluate(MARK_DOCUMENT);

    const created = await api<Rule>(admin, 'POST', '/api/rules', {
      name: 'Cores present',
      metric: 'cpu.count', // always ≥ 1: fires at once
      operator: '>=',
      threshold: 1,
      level: 'CRITICAL',
    });
    assert.equal(created.status, 201);

    const critical = '[data-panel="alerts"] [data-level="CRITICAL"][data-alert-state="firing"]';
    for (const { page } of [alice, bob]) {
      await page.waitForSelector(critical, { timeout: 10_000 });
      await page.waitForSelector('[data-critical-banner]');
      assert.match((await page.textContent('[data-critical-banner]')) ?? '', /CRITICAL\s*Cores present\s*on\s*test-host/);
      assert.match(await page.title(), /^\(1\) CRITICAL/);
      assert.equal(await page.textContent('[data-count="CRITICAL"] b'), '1');
    }
    const id = await alice.page.getAttribute(critical, 'data-alert-id');
    assert.ok(id, 'the alert item carries its id');

    // Alice acts: who she is comes from her session, nothing is asked.
    const actedAt = Date.now();
    await alice.page.click(`[data-panel="alerts"] [data-alert-id="${id}"] [data-action="ack"]`);

    const acked = `[data-panel="alerts"] [data-alert-id="${id}"][data-alert-state="acknowledged"]`;
    await bob.page.waitForSelector(acked, { timeout: PROPAGATION_MS });
    assert.match((await bob.page.textContent(`${acked} [data-acknowledged-by]`)) ?? '', /Acknowledged by alice/);
    await bob.page.waitForSelector('[data-critical-banner]', { state: 'detached', timeout: PROPAGATION_MS });
    assert.ok(Date.now() - actedAt < PROPAGATION_MS + 500, `bob saw it ${Date.now() - actedAt} ms after alice acted`);
    assert.equal(await bob.page.evaluate(SAME_DOCUMENT), true, 'bob did not reload');
    assert.doesNotMatch(await bob.page.title(), /CRITICAL/);
    assert.ok(await bob.page.isVisible(`${acked} [data-action="unack"]`), 'an acknowledged alert offers Un-acknowledge');
    assert.ok(await bob.page.isVisible(`${acked} [data-action="resolve"]`), 'an acknowledged alert offers Resolve');

    await alice.page.waitForSelector(acked, { timeout: PROPAGATION_MS });
    assert.equal(await alice.page.getAttribute('[data-user-menu]', 'data-user'), 'alice', 'the header shows who acts');
    const detail = await api<Alert>(admin, 'GET', `/api/alerts/${id}`);
    assert.equal(detail.body.acknowledgedBy, 'alice', 'the server recorded alice, the logged-in user');

    // Bob acts on stale news (someone else acknowledged meanwhile): he is told so, inline.
    const dave = await server.user('dave', 'operator');
    assert.equal((await api(dave, 'POST', `/api/alerts/${id}/unack`)).status, 200);
    const firing = `[data-panel="alerts"] [data-alert-id="${id}"][data-alert-state="firing"]`;
    await bob.page.waitForSelector(firing, { timeout: PROPAGATION_MS });
    holdAlerts = true;
    assert.equal((await api(dave, 'POST', `/api/alerts/${id}/ack`, {})).status, 200);
    await bob.page.click(`${firing} [data-action="ack"]`);
    const problem = await bob.page.waitForSelector(`[data-panel="alerts"] [data-alert-id="${id}"] [data-action-error]`, { timeout: 5_000 });
    assert.equal((await problem.textContent())?.trim(), 'Already acknowledged by dave');
    holdAlerts = false;
    assert.deepEqual(alice.errors, [], 'no uncaught errors on alice’s page');
    assert.deepEqual(bob.errors, [], 'no uncaught errors on bob’s page');

    await api(admin, 'DELETE', `/api/rules/${created.body.id}`);
    await alice.context.close();
    await bob.context.close();
  });

  it('opens an alert’s detail from /alerts?id=N, the link notifications carry', async () => {
    const created = await api<Rule>(admin, 'POST', '/api/rules', {
      name: 'Cores counted',
      metric: 'cpu.count',
      operator: '>=',
      threshold: 1,
      level: 'WARNING',
    });
    assert.equal(created.status, 201);
    let id: number | undefined;
    for (let i = 0; i < 40 && id === undefined; i++) {
      const { body } = await api<{ alerts: Alert[] }>(admin, 'GET', `/api/alerts?state=open&ruleId=${created.body.id}`);
      id = body.alerts[0]?.id;
      if (id === undefined) await new Promise((r) => setTimeout(r, INTERVAL_MS));
    }
    assert.ok(id, 'the rule fired');

    const { context, page, errors } = await openAs(browser, `${server.url}/alerts?id=${id}`, await server.user('carol', 'operator'));
    await page.waitForSelector(`[data-alert-detail="${id}"] [data-timeline] [data-event="fired"]`, { timeout: 10_000 });
    assert.match((await page.textContent(`[data-alert-detail="${id}"]`)) ?? '', /Cores counted/);
    await page.waitForSelector(`[data-alert-row="${id}"][aria-current="true"]`);

    await page.fill('[data-note]', 'checked the rack');
    await page.click(`[data-alert-detail="${id}"] [data-action="resolve"]`);
    await page.waitForSelector(`[data-alert-row="${id}"][data-alert-state="resolved"]`, { timeout: PROPAGATION_MS });
    await page.waitForSelector(`[data-alert-detail="${id}"] [data-timeline] [data-event="resolved"]`, { timeout: 5_000 });
    const detail = await api<Alert>(admin, 'GET', `/api/alerts/${id}`);
    assert.equal(detail.body.resolvedBy, 'carol');
    assert.equal(detail.body.note, 'checked the rack');
    assert.deepEqual(errors, []);

    await api(admin, 'DELETE', `/api/rules/${created.body.id}`);
    await context.close();
  });

  it('shows the shared schema’s message inline and creates nothing for 150 % CPU', async () => {
    const before = (await rules(admin)).length;
    const { context, page, errors } = await openAs(browser, `${server.url}/rules`, admin); // rules are the admins'
    await page.waitForSelector('[data-page="rules"] [data-state="ready"]', { timeout: 10_000 });
    const writes: string[] = [];
    page.on('request', (req) => {
      if (req.method() !== 'GET' && req.url().includes('/api/')) writes.push(`${req.method()} ${req.url()}`);
    });

    await page.click('[data-rule-new]');
    await page.fill('[data-input="name"]', 'CPU on fire');
    await page.selectOption('[data-input="metric"]', 'cpu.usage_percent');
    await page.fill('[data-input="threshold"]', '150');
    await page.click('[data-rule-submit]');

    const message = await page.waitForSelector('[data-field-error="threshold"]', { timeout: 5_000 });
    assert.match((await message.textContent()) ?? '', /never exceeds 100/);
    assert.equal(await page.getAttribute('[data-input="threshold"]', 'aria-invalid'), 'true');
    assert.equal(await page.locator('[data-field-error="name"]').count(), 0, 'only the wrong field is marked');
    await page.waitForTimeout(500);
    assert.deepEqual(writes, [], 'nothing was sent');
    assert.equal((await rules(admin)).length, before, 'no rule was created');

    // Fixing the value clears the message; the rule is then created.
    await page.fill('[data-input="threshold"]', '95');
    await page.waitForSelector('[data-field-error="threshold"]', { state: 'detached' });
    await page.click('[data-rule-submit]');
    await page.waitForSelector('[data-rule-list] [data-rule-id]:has-text("CPU on fire")', { timeout: 5_000 });
    assert.equal((await rules(admin)).length, before + 1);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
