/**
 * Headless Chromium for browser tests: Debian's `chromium` (CHROMIUM_PATH,
 * default /usr/bin/chromium) driven by playwright-core — `npx playwright
 * install` cannot download browsers here.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type LaunchOptions, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    headless: true,
    ...options,
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...(options.args ?? [])],
  });
}

/** Builds client/dist when it is missing or older than its sources (the server serves it). */
export async function ensureClientBuilt(): Promise<void> {
  const { buildClient, clientIsStale } = await import('../../server/build.ts');
  if (clientIsStale()) await buildClient();
}

/** A logged-in session's cookie (`name=value`) and the server it belongs to (see tests/helpers/server.ts). */
export interface BrowserSession {
  url: string;
  cookie: string;
}

/**
 * A browser context carrying `session`'s cookie, as a login would leave it:
 * the client has no login page yet, so tests log in over HTTP and hand the
 * cookie to the browser.
 */
export async function loggedInContext(browser: Browser, session: BrowserSession, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const at = session.cookie.indexOf('=');
  const context = await browser.newContext(options);
  await context.addCookies([
    { name: session.cookie.slice(0, at), value: session.cookie.slice(at + 1), url: session.url, httpOnly: true, sameSite: 'Strict' },
  ]);
  return context;
}

/** A page in a context of its own, logged in as `session`; closing the page closes its context. */
export async function loggedInPage(browser: Browser, session: BrowserSession, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await loggedInContext(browser, session, options);
  const page = await context.newPage();
  page.once('close', () => void context.close().catch(() => {}));
  return page;
}

const pageErrors = new WeakMap<Page, string[]>();

/**
 * Opens `path` of the app logged in as `session` (1600×1000, UTC, unless
 * `options` say otherwise) and records what the page throws; `closePage`
 * then checks it threw nothing.
 */
export async function openPage(browser: Browser, session: BrowserSession, path: string, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await loggedInPage(browser, session, { viewport: { width: 1600, height: 1000 }, timezoneId: 'UTC', ...options });
  const errors: string[] = [];
  pageErrors.set(page, errors);
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${session.url}${path}`);
  return page;
}

/** Closes a page opened by `openPage`, failing if it threw an uncaught error. */
export async function closePage(page: Page): Promise<void> {
  await page.close();
  assert.deepEqual(pageErrors.get(page), [], 'no uncaught errors in the page');
}

/**
 * Polls a page-side expression until it is truthy: `page.waitForFunction`
 * evaluates its predicate with `eval` in the page, which the server's CSP
 * (`script-src 'self'`, no 'unsafe-eval') rightly refuses; `page.evaluate`
 * runs through the debugging protocol and is not subject to it.
 */
export async function waitForExpression(page: Page, expression: string, { timeout = 30_000, interval = 50 } = {}): Promise<void> {
  const until = Date.now() + timeout;
  for (;;) {
    if (await page.evaluate(expression)) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeout} ms waiting for ${expression.trim().slice(0, 200)}`);
    await page.waitForTimeout(interval);
  }
}

/** Lets the page paint twice (a chart redraws on the frame after a resize). */
export async function nextPaint(page: Page): Promise<void> {
  await page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
}

/** The sizes the UI is looked at in: a full-HD screen and a phone. */
export const SHOT_VIEWPORTS = [
  { label: '1920', width: 1920, height: 1080 },
  { label: '390', width: 390, height: 844 },
] as const;

/**
 * Saves full-page screenshots of `page` at 1920×1080 and 390×844 as
 * `<name>-1920.png` and `<name>-390.png` under SCREENSHOT_DIR, when it is set
 * (for people to look at; tests do not compare them). The viewport is put back.
 */
export async function screenshots(
  page: Page,
  name: string,
  { fullPage = true, viewports = SHOT_VIEWPORTS }: { fullPage?: boolean; viewports?: ReadonlyArray<{ label: string; width: number; height: number }> } = {},
): Promise<void> {
  const dir = process.env.SCREENSHOT_DIR;
  if (!dir) return;
  await mkdir(dir, { recursive: true });
  const before = page.viewportSize();
  for (const v of viewports) {
    await page.setViewportSize({ width: v.width, height: v.height });
    await nextPaint(page);
    if (fullPage) {
      // The whole page as one tall viewport: Chromium's capture beyond the viewport drops glass (backdrop-filter) layers.
      const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
      if (height > v.height) {
        await page.setViewportSize({ width: v.width, height });
        await nextPaint(page);
      }
    }
    await page.screenshot({ path: path.join(dir, `${name}-${v.label}.png`), animations: 'disabled' });
  }
  if (before) await page.setViewportSize(before);
  await nextPaint(page);
}
