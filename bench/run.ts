/**
 * `npm run bench`: runs every benchmark against the real product code, real
 * databases and real sockets, prints a table and writes bench/results.json.
 * `npm run bench -- latency storage` runs only the named ones (and writes
 * nothing). BENCH_QUICK=1 shortens every window and repetition (to check
 * that the suite runs; figures then only indicative). Nothing here fails
 * because something was slow: a target missed is a figure with met: false;
 * only a benchmark that crashed makes the exit code 1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as agent from './agent.ts';
import * as browser from './browser.ts';
import * as bundle from './bundle.ts';
import * as cluster from './cluster.ts';
import * as eventLoop from './event-loop.ts';
import * as fanout from './fanout.ts';
import * as fleet from './fleet.ts';
import * as history from './history.ts';
import * as ingest from './ingest.ts';
import * as latency from './latency.ts';
import { cleanupOnSignals, machine, machineBusyPercent, machineJiffies, QUICK, round, runCleanups, type BenchResult } from './lib.ts';
import * as pending from './pending.ts';
import * as rules from './rules.ts';
import * as scrape from './scrape.ts';
import * as serverLoad from './server-load.ts';

// The server benchmarks first, on a machine not yet busy with PostgreSQL's background work or a Vite build.
const BENCHMARKS: Record<string, () => Promise<BenchResult[]>> = {
  latency: latency.run,
  'server-load': serverLoad.run,
  'event-loop': eventLoop.run,
  fleet: fleet.run,
  agent: agent.run,
  scrape: scrape.run,
  fanout: fanout.run,
  cluster: cluster.run,
  browser: browser.run,
  rules: rules.run,
  ingest: ingest.run,
  storage: history.run,
  bundle: bundle.run,
  pending: pending.run,
};

/** bench/reports.ts (written by another engineer) joins the suite once it exists and exports `run`. */
async function registerReports(): Promise<void> {
  const file = path.join(import.meta.dirname, 'reports.ts');
  if (!fs.existsSync(file)) return;
  const mod = (await import(pathToFileURL(file).href)) as { run?: unknown };
  if (typeof mod.run === 'function') BENCHMARKS.reports = mod.run as () => Promise<BenchResult[]>;
}

const fmt = (x: number | null | undefined) =>
  x === null || x === undefined ? '' : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en') : String(x);

function table(rows: Array<BenchResult & { group: string }>): string {
  const head = ['benchmark', 'median', 'p50', 'p99', 'max', 'unit', 'target', 'met'];
  const body = rows.map((r) => [
    r.name,
    fmt(r.median),
    fmt(r.p50),
    fmt(r.p99),
    fmt(r.max),
    r.unit,
    r.target,
    r.met === null ? (r.median === null ? 'n/a' : '–') : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i >= 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  cleanupOnSignals();
  await registerReports();
  const only = argv.filter((a) => !a.startsWith('-'));
  const unknown = only.filter((n) => !(n in BENCHMARKS));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    return 2;
  }
  const selected = Object.keys(BENCHMARKS).filter((n) => only.length === 0 || only.includes(n));
  const info = { ...machine(), quick: QUICK, loadavgAtStart: os.loadavg().map((x) => round(x, 2)) };
  process.stderr.write(`glasswatch bench on ${info.nproc} cores (${info.cpuModel}), node ${info.node}, load ${info.loadavgAtStart.join(' ')}${QUICK ? ', BENCH_QUICK=1 (short windows: figures only indicative)' : ''}\n`);
  const started = performance.now();
  const results: Array<BenchResult & { group: string }> = [];
  const crashed: Array<{ group: string; error: string }> = [];
  const durations: Record<string, number> = {};
  // How busy the whole machine was (everything running, all cores) during each benchmark: tail figures depend on it.
  const machineBusy: Record<string, number> = {};
  const loadavg: Record<string, number[]> = {};
  try {
    for (const name of selected) {
      process.stderr.write(`${name}…\n`);
      loadavg[name] = os.loadavg().map((x) => round(x, 2)!);
      const t = performance.now();
      const jiffies = machineJiffies();
      try {
        for (const r of await BENCHMARKS[name]!()) results.push({ group: name, ...r });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        process.stderr.write(`${name} FAILED: ${error}\n`);
        crashed.push({ group: name, error });
        results.push({ group: name, name: `${name} (failed)`, median: null, unit: '', target: '', met: null, note: `benchmark failed: ${error}` });
      } finally {
        await runCleanups();
        durations[name] = round((performance.now() - t) / 1000, 1)!;
        machineBusy[name] = round(machineBusyPercent(jiffies, machineJiffies()), 0)!;
      }
    }
  } finally {
    await runCleanups();
  }
  const totalSec = round((performance.now() - started) / 1000, 1);
  console.log(`\n${table(results)}\n`);
  for (const r of results) if (r.note) console.log(`- ${r.name}: ${r.note}`);
  console.log(`\nmachine busy (all ${info.nproc} cores, everything running) during: ${Object.entries(machineBusy).map(([n, b]) => `${n} ${b} %`).join(', ')}`);
  console.log(`${results.filter((r) => r.met === true).length} met, ${results.filter((r) => r.met === false).length} missed, ${results.filter((r) => r.met === null).length} without a verdict; ${totalSec} s`);

  const out = {
    machine: { ...info, loadavgAtEnd: os.loadavg().map((x) => round(x, 2)) },
    durationSec: totalSec,
    durationsSec: durations,
    machineBusyPercent: machineBusy,
    loadavgAtStartOf: loadavg,
    crashed,
    benchmarks: results,
  };
  if (only.length === 0 && !QUICK) {
    const file = path.join(import.meta.dirname, 'results.json');
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  return crashed.length ? 1 : 0;
}

if (import.meta.filename === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    async (err) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      await runCleanups();
      process.exit(1);
    },
  );
}
