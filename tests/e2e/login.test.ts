/**
 * Logging in, in Chromium against a real server (PGlite in a temp dir): no
 * session sends the browser to the login page and back afterwards, wrong
 * passwords are told plainly, logging out ends the session on the server,
 * an ended session brings the login page back with a message, the UI offers
 * each role only what it may do, and an admin gets a wall screen's kiosk
 * link once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { User } from '../../shared/auth.ts';
import { ensureClientBuilt, launchBrowser, loggedInContext } from '../helpers/browser.ts';
import { startTestServer, TEST_ADMIN_PASSWORD, TEST_PASSWORD, type Session, type TestServer } from '../helpers/server.ts';

const INTERVAL_MS = 250;
const VIEWPORT = { width: 1600, height: 900 };

/** A fresh browser (own cookies) on `path`, collecting uncaught page errors. */
async function openFresh(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  return { context, page, errors };
}

/** Types into the login form and submits it. */
async function submitLogin(page: Page, username: string, password: string): Promise<void> {
  await page.waitForSelector('[data-login-form]');
  await page.fill('[data-input="username"]', username);
  await page.fill('[data-input="password"]', password);
  await page.click('[data-login-submit]');
}

const pathOf = (page: Page) => new URL(page.url()).pathname;

describe('logging in, in Chromium', () => {
  let server: TestServer;
  let admin: Session;
  let browser: Browser;

  before(async () => {
    await ensureClientBuilt();
    server = await startTestServer({ intervalMs: INTERVAL_MS });
    admin = await server.admin();
    browser = await launchBrowser();
    // Only this file's rules: the default CPU/memory rules could fire on a busy machine.
    const { body } = await admin.json<{ rules: Array<{ id: number }> }>('/api/rules');
    for (const rule of body.rules) assert.equal((await admin.fetch(`/api/rules/${rule.id}`, { method: 'DELETE' })).status, 204);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('sends a visitor without a session to the login page, tells a wrong password, and returns to the page wanted', async () => {
    await server.user('vic', 'viewer');
    const { context, page, errors } = await openFresh(browser, `${server.url}/alerts?state=open`);
    await page.waitForURL((url) => url.pathname === '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/alerts?state=open', 'the login page knows where to go back');
    assert.equal(await page.evaluate('document.activeElement?.getAttribute("data-input")'), 'username', 'the username field has the focus');

    await submitLogin(page, 'vic', 'not-the-password');
    const problem = await page.waitForSelector('[data-login-error]');
    assert.match((await problem.textContent()) ?? '', /Wrong username or password/);
    assert.equal(pathOf(page), '/login');

    // While the answer is on its way, the button cannot be pressed twice.
    await page.route('**/api/auth/login', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      await route.continue();
    });
    await page.fill('[data-input="password"]', TEST_PASSWORD);
    await page.click('[data-login-submit]');
    assert.equal(await page.isDisabled('[data-login-submit]'), true, 'the button is disabled while logging in');

    await page.waitForURL((url) => url.pathname === '/alerts' && url.searchParams.get('state') === 'open');
    await page.waitForSelector('[data-page="alerts"]');
    await page.waitForSelector('[data-connection="live"]', { timeout: 15_000 });
    assert.equal(await page.getAttribute('[data-user-menu]', 'data-user'), 'vic');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('logs in through the form, goes live with the user in the header, and logs out for good', async () => {
    await server.user('olga', 'operator');
    const { context, page, errors } = await openFresh(browser, server.url);
    await page.waitForURL((url) => url.pathname === '/login');
    await submitLogin(page, 'olga', TEST_PASSWORD);
    await page.waitForURL((url) => url.pathname === '/');
    await page.waitForSelector('[data-connection="live"]', { timeout: 15_000 });
    await page.waitForSelector('[data-panel="cpu"] [data-value]:not([data-value=""])');

    const menu = '[data-user-menu]';
    assert.equal(await page.getAttribute(menu, 'data-user'), 'olga');
    assert.equal(await page.getAttribute(menu, 'data-role'), 'operator');
    assert.match((await page.textContent(menu)) ?? '', /olga\s*operator/i, 'the header shows the user and the role');

    const cookie = (await context.cookies()).find((c) => c.name === 'glasswatch_session');
    assert.ok(cookie, 'the login left a session cookie');
    assert.equal(cookie.httpOnly, true, 'scripts cannot read the session cookie');
    const me = await fetch(`${server.url}/api/auth/me`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    assert.equal(me.status, 200);

    await page.click('[data-user-button]');
    await page.click('[data-logout]');
    await page.waitForURL((url) => url.pathname === '/login');
    await page.waitForSelector('[data-login-notice]');
    assert.match((await page.textContent('[data-login-notice]')) ?? '', /logged out/i);
    const after = await fetch(`${server.url}/api/auth/me`, { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    assert.equal(after.status, 401, 'the old cookie no longer opens anything');
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('brings the login page with “Your session ended” when an admin disables a logged-in user', async () => {
    const sam = await server.user('sam', 'viewer');
    const context = await loggedInContext(browser, sam, { viewport: VIEWPORT });
    const page = await context.newPage();
    await page.goto(`${server.url}/metrics`);
    await page.waitForSelector('[data-connection="live"]', { timeout: 15_000 });

    const users = (await admin.json<{ users: User[] }>('/api/users')).body.users;
    const id = users.find((u) => u.username === 'sam')!.id;
    assert.equal((await admin.json(`/api/users/${id}`, { method: 'PATCH', body: { disabled: true } })).status, 200);

    await page.waitForURL((url) => url.pathname === '/login', { timeout: 10_000 });
    assert.match(new URL(page.url()).searchParams.get('next') ?? '', /^\/metrics(\?|$)/, 'back to the metrics page afterwards');
    assert.match((await page.textContent('[data-login-notice]')) ?? '', /Your session ended/);
    await context.close();
  });

  it('offers Acknowledge to an operator but not to a viewer, and Admin to admins only', async () => {
    const viewer = await server.user('vic', 'viewer');
    const operator = await server.user('otto', 'operator');
    const rule = await admin.json<{ id: number }>('/api/rules', {
      method: 'POST',
      body: { name: 'Cores', metric: 'cpu.count', operator: '>=', threshold: 1, level: 'CRITICAL' },
    });
    assert.equal(rule.status, 201);

    const firing = '[data-panel="alerts"] [data-level="CRITICAL"][data-alert-state="firing"]';
    const pages: Record<string, Page> = {};
    for (const [name, session] of [['viewer', viewer], ['operator', operator], ['admin', admin]] as const) {
      const context = await loggedInContext(browser, session, { viewport: VIEWPORT });
      const page = (pages[name] = await context.newPage());
      await page.goto(server.url);
      await page.waitForSelector(firing, { timeout: 10_000 });
      await page.waitForSelector('[data-critical-banner]');
      await page.waitForSelector(`[data-user-menu][data-role="${name}"]`);
    }
    const { viewer: v, operator: o, admin: a } = pages as Record<'viewer' | 'operator' | 'admin', Page>;

    assert.ok(await o.isVisible(`${firing} [data-action="ack"]`), 'an operator may acknowledge');
    assert.ok(await o.isVisible('[data-critical-banner] [data-action="ack"]'), 'also from the banner');
    assert.equal(await v.locator('[data-action]').count(), 0, 'a viewer is offered no alert action anywhere');

    const navAdmin = 'header nav a[href="/admin"]';
    assert.equal(await v.locator(navAdmin).count(), 0, 'no Admin link for a viewer');
    assert.equal(await o.locator(navAdmin).count(), 0, 'no Admin link for an operator');
    assert.equal(await a.locator(navAdmin).count(), 1, 'an admin has the Admin link');

    // Rules: read-only below admin.
    await v.click('header nav a[href="/rules"]');
    await v.waitForSelector('[data-rule-list] [data-rule-id]');
    assert.equal(await v.locator('[data-rule-new], [data-rule-edit], [data-rule-delete], [data-switch]').count(), 0, 'rules are read-only for a viewer');
    assert.ok(await v.isVisible('[data-rules-read-only]'));
    // A viewer who types /admin is told why not.
    await v.goto(`${server.url}/admin`);
    await v.waitForSelector('[data-admin-denied]');
    assert.match((await v.textContent('[data-admin-denied]')) ?? '', /needs the admin role/);

    for (const page of Object.values(pages)) await page.context().close();
    await admin.fetch(`/api/rules/${rule.body.id}`, { method: 'DELETE' });
  });

  it('lets an admin create a display token and shows its kiosk link once', async () => {
    const { context, page, errors } = await openFresh(browser, `${server.url}/admin`);
    await page.waitForURL((url) => url.pathname === '/login');
    await submitLogin(page, 'admin', TEST_ADMIN_PASSWORD);
    await page.waitForSelector('[data-page="admin"] [data-user-list]', { timeout: 10_000 });

    await page.click('[data-admin-tab="displays"]');
    await page.waitForSelector('[data-page="admin"][data-tab="displays"] [data-state="ready"]');
    await page.click('[data-display-new]');
    await page.fill('[data-display-form] [data-input="name"]', 'Lobby TV');
    await page.check('[data-view="alerts"]');
    await page.click('[data-display-submit]');

    await page.waitForSelector('[data-token-reveal]');
    const url = await page.inputValue('[data-kiosk-url]');
    assert.ok(url.startsWith(`${server.url}/kiosk?token=`), `the kiosk URL is shown: ${url}`);
    assert.match((await page.textContent('[data-token-reveal]')) ?? '', /shown once/);
    await page.waitForSelector('[data-display-list] [data-display-name="Lobby TV"]');
    const displays = (await admin.json<{ displays: Array<{ name: string; views: string[]; sound: boolean }> }>('/api/displays')).body.displays;
    assert.deepEqual(
      displays.map(({ name, views, sound }) => ({ name, views, sound })),
      [{ name: 'Lobby TV', views: ['overview', 'alerts'], sound: false }],
    );

    // Shown once: after a reload the list has the display, not its link.
    await page.reload();
    await page.waitForSelector('[data-display-list] [data-display-name="Lobby TV"]');
    assert.equal(await page.locator('[data-token-reveal]').count(), 0);
    assert.deepEqual(errors, []);
    await context.close();
  });
});
