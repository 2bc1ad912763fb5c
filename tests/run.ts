/**
 * `npm test` after the type checks: every test file, in three phases so a
 * 2-core machine finishes in reasonable time without timing-sensitive tests
 * sharing their cores.
 *   1. unit and integration files, several at once (each has its own ports,
 *      temp dirs and databases);
 *   2. the files that measure stalls and failovers, one at a time;
 *   3. browser tests, two at a time.
 * Exits non-zero if any file fails; prints each phase's wall time.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const filesIn = (dir: string) =>
  fs
    .readdirSync(path.join(root, 'tests', dir))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `tests/${dir}/${f}`)
    .sort();

/** Files that measure event-loop stalls, failovers or outages: they get the machine to themselves. */
const ALONE = new Set(['tests/integration/faults.test.ts', 'tests/integration/cluster.test.ts', 'tests/integration/fleet.test.ts', 'tests/integration/pglite-bridge.test.ts']);
/**
 * Browser files that time an acknowledgement crossing screens ("at once", under 2.5 s) with two
 * Chromium pages and a server of their own: beside another file's Chromium, on 2 cores, the
 * software rasteriser alone can take that long. They run one at a time, after the others.
 */
const BROWSER_ALONE = new Set(['tests/e2e/alerts.test.ts', 'tests/e2e/kiosk.test.ts']);

const only = process.argv.slice(2);
const pick = (files: string[]) => (only.length ? files.filter((f) => only.some((o) => f.includes(o))) : files);
const integration = filesIn('integration');
const phases: Array<{ name: string; files: string[]; concurrency: number }> = [
  { name: 'unit and integration', files: pick([...filesIn('unit'), ...integration.filter((f) => !ALONE.has(f))]), concurrency: 3 },
  { name: 'stalls, outages and failovers', files: pick(integration.filter((f) => ALONE.has(f))), concurrency: 1 },
  { name: 'browser', files: pick(filesIn('e2e').filter((f) => !BROWSER_ALONE.has(f))), concurrency: 2 },
  { name: 'browser, acknowledgements across screens', files: pick(filesIn('e2e').filter((f) => BROWSER_ALONE.has(f))), concurrency: 1 },
];

let failed = false;
const started = performance.now();
for (const phase of phases) {
  if (phase.files.length === 0) continue;
  const t = performance.now();
  process.stderr.write(`\n== ${phase.name}: ${phase.files.length} files, ${phase.concurrency} at a time\n`);
  const run = spawnSync(
    process.execPath,
    // --expose-gc: tests that bound memory growth collect before they measure (the test runner passes it on to each file).
    ['--expose-gc', '--import', 'tsx', '--test', `--test-concurrency=${phase.concurrency}`, '--test-reporter=spec', ...phase.files],
    { cwd: root, stdio: 'inherit', env: process.env },
  );
  const seconds = ((performance.now() - t) / 1000).toFixed(0);
  process.stderr.write(`== ${phase.name}: ${run.status === 0 ? 'passed' : 'FAILED'} in ${seconds} s\n`);
  if (run.status !== 0) failed = true;
}
process.stderr.write(`\n== all tests: ${failed ? 'FAILED' : 'passed'} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
process.exit(failed ? 1 : 0);
