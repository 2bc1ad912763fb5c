/**
 * Headless Chromium for browser tests: Debian's `chromium` (CHROMIUM_PATH,
 * default /usr/bin/chromium) driven by playwright-core — `npx playwright
 * install` cannot download browsers here.
 */
import path from 'node:path';
import { chromium, type Browser, type LaunchOptions } from 'playwright-core';

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
  const { clientIsStale } = await import('../../server/build-client.ts');
  if (!clientIsStale()) return;
  const { build } = await import('vite');
  await build({ configFile: path.resolve(import.meta.dirname, '../../client/vite.config.ts'), logLevel: 'warn' });
}
