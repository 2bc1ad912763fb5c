/**
 * Scrape cost (`npm run bench -- scrape`), issue 9: the real server (PGlite,
 * child process, probe loaded) scrapes one target with ~500 series every
 * second: an HTTP server in a separate child process
 * (bench/loadgen/exposition.ts) serving changing Prometheus text — labelled
 * counters, gauges and two histograms, ~1,000 lines. The target is added
 * over the admin API (POST /api/targets, intervalSeconds 1, seriesLimit
 * 1000).
 *
 * Two windows of the same length on the same server: before the target was
 * added (baseline) and while it is scraped (after 10 s of warm-up). CPU per
 * scrape = (server CPU-seconds in the scrape window − in the baseline window)
 * ÷ scrapes served by the target in that window; both windows' event-loop
 * delay by the probe (histogram + stall log) and, per tick, the server's own
 * self.event_loop_max_ms (read back from its store after it stopped). The
 * scrape itself (fetch, parse and convert in the server's worker pool,
 * catalog, ingest, write, push to viewers) is all in the server process.
 * Target (DESIGN.md): event-loop max < 20 ms.
 */
import { openDatabase } from '../server/store/db.ts';
import { readStoredSamples } from '../server/store/history.ts';
import type { Target, TargetsResponse } from '../shared/fleet.ts';
import {
  api, cpuMeter, machineBusyPercent, machineJiffies, max, meets, percentile, progress, round, scale, SERVER_HOST, sleep, spawnWorker, standalone,
  startServerProcess, tempDir, type BenchResult, type ServerProcess, type Stall, type Worker,
} from './lib.ts';

const WINDOW_MS = scale(60_000, 15_000);
const WARMUP_MS = 10_000;

interface WindowResult {
  fromMs: number;
  toMs: number;
  cpuSeconds: number;
  cpuPercent: number;
  probe: { p99: number; max: number; count: number };
  stalls: Stall[];
  busy: number;
  served: number;
}

async function window(server: ServerProcess, exposition: Worker): Promise<WindowResult> {
  await exposition.call('stats', { reset: true });
  await server.resetEventLoop();
  await server.stallsStart();
  const machine = machineJiffies();
  const fromMs = Date.now();
  const meter = cpuMeter(() => [server.pid]);
  await sleep(WINDOW_MS);
  const cpu = meter.total();
  const toMs = Date.now();
  const stalls = await server.stallsStop();
  const probe = await server.eventLoop();
  const { served } = await exposition.call<{ served: number }>('stats');
  return { fromMs, toMs, cpuSeconds: cpu.seconds, cpuPercent: cpu.percent, probe, stalls, busy: machineBusyPercent(machine, machineJiffies()), served };
}

export async function run(): Promise<BenchResult[]> {
  const where = { dataDir: tempDir().dir };
  const exposition = await spawnWorker('exposition');
  const { url, lines } = await exposition.call<{ url: string; lines: number }>('start');
  const server = await startServerProcess({ intervalMs: 1000, ...where, probe: true });
  let base: WindowResult;
  let scraping: WindowResult;
  let target: Target | undefined;
  try {
    await sleep(Math.max(0, server.readyAt + 8_000 - Date.now()));
    progress(`scrape: baseline window, ${WINDOW_MS / 1000} s without a target`);
    base = await window(server, exposition);
    await api(server, 'POST', '/api/targets', { name: 'bench-app', url, intervalSeconds: 1, seriesLimit: 1000 });
    await sleep(WARMUP_MS);
    progress(`scrape: ${WINDOW_MS / 1000} s scraping one target of ~500 series every second`);
    scraping = await window(server, exposition);
    target = (await api<TargetsResponse>(server, 'GET', '/api/targets')).targets.find((t) => t.name === 'bench-app');
  } finally {
    await server.stop();
    await exposition.stop();
  }
  const database = await openDatabase(where);
  const maxes: number[][] = [];
  try {
    for (const w of [base, scraping]) {
      const s = await readStoredSamples(database.db, { host: SERVER_HOST, metric: 'self.event_loop_max_ms', fromMs: w.fromMs, toMs: w.toMs });
      maxes.push(s.values);
    }
  } finally {
    await database.close();
  }
  const perScrapeMs = ((scraping.cpuSeconds - base.cpuSeconds) / Math.max(1, scraping.served)) * 1000;
  const stallText = (w: WindowResult) => (w.stalls.length ? w.stalls.map((s) => `${round(s.ms, 0)}`).join(', ') + ' ms' : 'none');
  const targetText = target
    ? `the target's status: ${target.series} series, last scrape ${target.lastDurationMs} ms, error ${target.lastError ?? 'none'}`
    : 'the target was not listed';
  const conditions = `machine ${round(scraping.busy, 0)} % busy during the scrape window, ${round(base.busy, 0)} % during the baseline`;
  const worstTick = max(maxes[1]!);
  return [
    {
      name: 'server CPU per scrape, one target of ~500 series at 1 s',
      median: round(perScrapeMs, 2),
      unit: 'ms CPU',
      target: '',
      met: null,
      note: `(server CPU-s while scraping − CPU-s of the baseline window) ÷ ${scraping.served} scrapes served in ${WINDOW_MS / 1000} s; whole server ${round(scraping.cpuPercent, 2)} % of a core while scraping against ${round(base.cpuPercent, 2)} % without the target (+${round(scraping.cpuPercent - base.cpuPercent, 2)} %); exposition of ${lines} sample lines per scrape (labelled counters, gauges, two histograms); ${targetText}; ${conditions}`,
    },
    {
      name: 'server event-loop delay while scraping ~500 series at 1 s (probe)',
      median: round(scraping.probe.p99, 1),
      p99: round(scraping.probe.p99, 1),
      max: round(scraping.probe.max, 1),
      unit: 'ms',
      target: 'p99 < 5, max < 20',
      met: scraping.probe.p99 < 5 && scraping.probe.max < 20,
      note: `bench/probe.ts over the ${WINDOW_MS / 1000} s scrape window (${scraping.probe.count} samples); stalls over 15 ms (5 ms timer): ${stallText(scraping)}; baseline window without the target: p99 ${round(base.probe.p99, 1)}, max ${round(base.probe.max, 1)} ms, stalls ${stallText(base)}; ${conditions}`,
    },
    {
      name: "the tick's event-loop max while scraping (self.event_loop_max_ms)",
      median: round(percentile(maxes[1]!, 50), 1),
      p99: round(percentile(maxes[1]!, 99), 1),
      max: round(worstTick, 1),
      unit: 'ms',
      target: '< 20 (max)',
      met: meets(worstTick, '<', 20),
      note: `the server's own per-tick max delay for the ${maxes[1]!.length} ticks of the scrape window (median = the median tick, max = the worst tick); baseline window: median ${round(percentile(maxes[0]!, 50), 1)}, worst ${round(max(maxes[0]!), 1)} ms over ${maxes[0]!.length} ticks`,
    },
  ];
}

if (import.meta.filename === process.argv[1]) await standalone(run);
