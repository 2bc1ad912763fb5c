/**
 * Browser tests need Debian's Chromium (Playwright cannot download browsers
 * here). Installs it with apt when running as root; otherwise stops at once
 * and says how.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (!fs.existsSync(chromium)) {
  if (process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get') && !process.env.CHROMIUM_PATH) {
    process.stderr.write(`${chromium} is missing: installing Debian's chromium with apt-get…\n`);
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
  } else {
    process.stderr.write(
      `Browser tests need Chromium at ${chromium}.\n` +
        `Install it (Debian/Ubuntu: sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.\n`,
    );
    process.exit(1);
  }
}
