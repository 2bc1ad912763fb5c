/**
 * `npm run bench`: runs every benchmark against the real product code, real
 * databases and real sockets, prints a table and writes bench/results.json.
 * `npm run bench -- latency storage` runs only the named ones (and writes
 * nothing). `npm run bench -- --merge browser bundle` runs the named ones and
 * merges their groups into the existing bench/results.json: each named
 * group's rows, duration, machine load and load average are replaced by the
 * new run's, the other groups are kept as they were, and `merged` records
 * which groups were re-run when (and the machine's load then).
 * `npm run bench -- --merge-log FILE`: a run cut short (Ctrl-C, a deadline)
 * prints every figure to stderr as its group ends (`  = {…}` lines, and a
 * `  ~ {…}` line with the group's duration and machine load); this merges the
 * groups found complete in that log into results.json the same way, marked
 * `fromLog` under `merged`. BENCH_QUICK=1 shortens every window and repetition (to check
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
  const fromLog = argv.indexOf('--merge-log');
  if (fromLog >= 0) {
    const log = argv[fromLog + 1];
    if (!log) {
      process.stderr.write('--merge-log needs the log file of a run\n');
      return 2;
    }
    const groups = mergeLog(path.join(import.meta.dirname, 'results.json'), log);
    console.log(`merged ${groups.join(', ') || 'nothing'} from ${log} into bench/results.json`);
    return 0;
  }
  const only = argv.filter((a) => !a.startsWith('-'));
  const merge = argv.includes('--merge');
  const badFlags = argv.filter((a) => a.startsWith('-') && a !== '--merge');
  if (badFlags.length) {
    process.stderr.write(`unknown option(s): ${badFlags.join(', ')}; known: --merge\n`);
    return 2;
  }
  if (merge && (QUICK || only.length === 0)) {
    process.stderr.write('--merge needs benchmark names and full windows (no BENCH_QUICK=1); a full run writes results.json by itself\n');
    return 2;
  }
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
        for (const r of await BENCHMARKS[name]!()) {
          results.push({ group: name, ...r });
          // Each figure as soon as its group is done (a run cut short still leaves them in its log).
          process.stderr.write(`  = ${JSON.stringify({ group: name, ...r })}\n`);
        }
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        process.stderr.write(`${name} FAILED: ${error}\n`);
        crashed.push({ group: name, error });
        results.push({ group: name, name: `${name} (failed)`, median: null, unit: '', target: '', met: null, note: `benchmark failed: ${error}` });
      } finally {
        await runCleanups();
        durations[name] = round((performance.now() - t) / 1000, 1)!;
        machineBusy[name] = round(machineBusyPercent(jiffies, machineJiffies()), 0)!;
        process.stderr.write(`  ~ ${JSON.stringify({ group: name, durationSec: durations[name], machineBusyPercent: machineBusy[name], loadavgAtStart: loadavg[name], at: new Date().toISOString() })}\n`);
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
  const file = path.join(import.meta.dirname, 'results.json');
  if (only.length === 0 && !QUICK) {
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  } else if (merge) {
    mergeInto(file, selected, out);
    console.log(`merged ${selected.join(', ')} into ${path.relative(process.cwd(), file)}`);
  }
  return crashed.length ? 1 : 0;
}

type Results = {
  machine: Record<string, unknown>;
  durationSec: number | null;
  durationsSec: Record<string, number>;
  machineBusyPercent: Record<string, number>;
  loadavgAtStartOf: Record<string, number[]>;
  crashed: Array<{ group: string; error: string }>;
  benchmarks: Array<BenchResult & { group: string }>;
  merged?: Array<{ groups: string[]; date: string; loadavgAtStart: unknown; loadavgAtEnd: unknown; durationSec: number | null }>;
};

/** `--merge`: replaces the groups `groups` of results.json by those of `partial`, keeping every other group's rows in their place. */
function mergeInto(file: string, groups: string[], partial: Results): void {
  if (!fs.existsSync(file)) throw new Error(`--merge: ${file} does not exist yet (make it with a full \`npm run bench\`)`);
  const full = JSON.parse(fs.readFileSync(file, 'utf8')) as Results;
  const order = Object.keys(BENCHMARKS);
  const rows = full.benchmarks.filter((r) => !groups.includes(r.group));
  for (const r of partial.benchmarks) {
    // Put the new rows where the group runs in the suite: before the first row of a later group.
    const later = rows.findIndex((x) => order.indexOf(x.group) > order.indexOf(r.group));
    const lastOfGroup = rows.map((x) => x.group).lastIndexOf(r.group);
    rows.splice(lastOfGroup >= 0 ? lastOfGroup + 1 : later >= 0 ? later : rows.length, 0, r);
  }
  full.benchmarks = rows;
  for (const g of groups) {
    full.durationsSec[g] = partial.durationsSec[g]!;
    full.machineBusyPercent[g] = partial.machineBusyPercent[g]!;
    full.loadavgAtStartOf[g] = partial.loadavgAtStartOf[g]!;
  }
  full.crashed = [...full.crashed.filter((c) => !groups.includes(c.group)), ...partial.crashed];
  full.merged = [
    ...(full.merged ?? []),
    { groups, date: String(partial.machine.date), loadavgAtStart: partial.machine.loadavgAtStart, loadavgAtEnd: partial.machine.loadavgAtEnd, durationSec: partial.durationSec },
  ];
  fs.writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
}

/** `--merge-log`: the groups of a (possibly interrupted) run's log that finished (a `  ~` line) replace theirs in results.json. */
function mergeLog(file: string, log: string): string[] {
  const rows: Array<BenchResult & { group: string }> = [];
  const done: Array<{ group: string; durationSec: number; machineBusyPercent: number; loadavgAtStart: number[]; at: string }> = [];
  let header = '';
  for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
    if (line.startsWith('  = ')) rows.push(JSON.parse(line.slice(4)));
    else if (line.startsWith('  ~ ')) done.push(JSON.parse(line.slice(4)));
    else if (line.startsWith('glasswatch bench on ')) header = line;
  }
  if (header.includes('BENCH_QUICK=1')) throw new Error('--merge-log: that log is of a BENCH_QUICK=1 run');
  // A group's rows are printed together once it returned, so rows without a `  ~` line (logs of runs before it existed) are complete too.
  const groups = [...new Set([...done.map((d) => d.group), ...rows.map((r) => r.group)])];
  if (!groups.length) return [];
  const of = <K extends 'durationSec' | 'machineBusyPercent' | 'loadavgAtStart'>(k: K) =>
    Object.fromEntries(groups.map((g) => [g, done.find((d) => d.group === g)?.[k] ?? null])) as Record<string, never>;
  const partial: Results = {
    machine: { date: done[0]?.at ?? fs.statSync(log).mtime.toISOString(), loadavgAtStart: done[0]?.loadavgAtStart ?? null, loadavgAtEnd: null, fromLog: log },
    durationSec: null,
    durationsSec: of('durationSec'),
    machineBusyPercent: of('machineBusyPercent'),
    loadavgAtStartOf: of('loadavgAtStart'),
    crashed: rows.filter((r) => groups.includes(r.group) && r.name.endsWith('(failed)')).map((r) => ({ group: r.group, error: r.note ?? '' })),
    benchmarks: rows.filter((r) => groups.includes(r.group)),
  };
  mergeInto(file, groups, partial);
  return groups;
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
