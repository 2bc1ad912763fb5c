/**
 * Ingest from a fleet (`npm run bench -- fleet`), on PGlite and on
 * PostgreSQL: the real server as a child process (probe loaded) and ONE
 * separate load-generator process (bench/loadgen/agents.ts) holding all the
 * simulated agents, with real agent tokens created over the admin API.
 *
 * 1. 50 agents at 1 Hz with an agent's normal metric set (cpu, memory, disk,
 *    net: 9 values, + host.up the server stamps), over `/agent` sockets, each
 *    sample acknowledged once stored. Each first replays 15 minutes of
 *    backlog (so every host has a full snapshot window), then goes live.
 *    Window: server CPU (/proc), samples/s acknowledged as stored, ack
 *    latency (sent → stored and acknowledged), end-to-end lag (agent's sample
 *    ts → `metrics` event on a viewer socket in this process), event-loop
 *    delay (probe), the generator's own CPU.
 * 2. Snapshot size with 50 agent hosts (+ the server's own): bytes of the
 *    `snapshot` event's JSON for a dashboard viewer (handshake
 *    `hosts: [one agent host]`: that host in full, the others in overview)
 *    and for an all-hosts viewer (no `hosts`: every host in full).
 * 3. 10,000 series/s: 50 pushers (other agent tokens) POST /api/ingest JSON
 *    with 200 series each, once a second. Pushes, not /agent sockets: the
 *    agent protocol takes only the built-in agent metrics (9 names;
 *    shared/agent-protocol.ts checkAgentBatch), so an agent socket cannot
 *    carry 200 series. Window as above; lag = push sent → 204 (stored).
 *    API_RATE_PER_ADDRESS is raised for the server (all 50 pushers share
 *    127.0.0.1; the default 50 requests/s per address would refuse them).
 * After the server stopped, the samples stored for the pushers' hosts are
 * counted in its store (head + blocks) and compared with what was acknowledged.
 * Targets: CPU ≤ 10 % of a core at 10,000 series/s (≤ 0.001 % per series/s).
 */
import { sql } from 'drizzle-orm';
import { io } from 'socket.io-client';
import type { AgentCreated } from '../shared/fleet.ts';
import type { Snapshot } from '../shared/events.ts';
import { openDatabase, queryRows } from '../server/store/db.ts';
import {
  api, connectViewer, cpuMeter, machineBusyPercent, machineJiffies, meets, percentile, progress, round, scale, sleep, spawnWorker, standalone,
  startServerProcess, tempDir, tempPostgres, threadBreakdown, threadCpuSeconds, type BenchResult, type ServerProcess, type Worker,
} from './lib.ts';

const AGENTS = 50;
const PUSH_SERIES = 200;
const BACKLOG_TICKS = scale(900, 120);
const IDLE_MS = scale(20_000, 5_000);
const WARMUP_MS = scale(10_000, 5_000);
const WINDOW_MS = scale(45_000, 15_000);

interface GenStats {
  seconds: number;
  samples: number;
  values: number;
  valuesPerSecond: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  p100: number | null;
  errors: number;
  errorText: string;
  backlogDone: number;
  backlogAcked: number;
  totalValues: number;
}

async function createAgents(server: ServerProcess, prefix: string, n: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 1; i <= n; i++) tokens.push((await api<AgentCreated>(server, 'POST', '/api/agents', { name: `${prefix}-${String(i).padStart(2, '0')}` })).token);
  return tokens;
}

/**
 * A viewer in this process: lag of `metrics` events of hosts matching
 * `prefix` (event ts → received). It opens the dashboard of one host
 * (handshake hosts: [focus]) and also counts every `metrics` event it is
 * sent, and their bytes: what a browser showing one host receives.
 */
async function lagViewer(server: ServerProcess, prefix: string, focus: string) {
  const socket = await connectViewer(server, { since: Date.now(), hosts: [focus] });
  let lags: number[] = [];
  let events = 0;
  let bytes = 0;
  let since = performance.now();
  socket.on('metrics', (e) => {
    events++;
    bytes += Buffer.byteLength(JSON.stringify(e));
    if (e.host.startsWith(prefix)) lags.push(Date.now() - e.ts);
  });
  return {
    take() {
      const out = { lags, eventsPerSec: events / ((performance.now() - since) / 1000), bytesPerSec: bytes / ((performance.now() - since) / 1000) };
      lags = [];
      events = 0;
      bytes = 0;
      since = performance.now();
      return out;
    },
    close: () => socket.close(),
  };
}

async function measure(server: ServerProcess, gen: Worker, viewer: Awaited<ReturnType<typeof lagViewer>>) {
  await sleep(WARMUP_MS);
  await gen.call('stats', { reset: true });
  viewer.take();
  await server.resetEventLoop();
  const machine = machineJiffies();
  const serverCpu = cpuMeter(() => [server.pid]);
  const genCpu = cpuMeter(() => [gen.pid]);
  const threadsBefore = threadCpuSeconds(server.pid);
  const t0 = performance.now();
  await sleep(WINDOW_MS);
  const threads = threadBreakdown(server.pid, threadsBefore, threadCpuSeconds(server.pid), (performance.now() - t0) / 1000);
  const cpu = serverCpu.total().percent;
  const generator = genCpu.total().percent;
  const stats = await gen.call<GenStats>('stats', { reset: true });
  const eld = await server.eventLoop();
  const seen = viewer.take();
  return { cpu, generator, stats, eld, lag: seen.lags, seen, threads, busy: machineBusyPercent(machine, machineJiffies()) };
}

async function snapshotBytes(server: ServerProcess, hosts?: string[]): Promise<{ bytes: number; full: number; hosts: number }> {
  const s = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: hosts ? { hosts } : {}, extraHeaders: { cookie: server.cookie ?? '' } });
  try {
    const snap = await new Promise<Snapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no snapshot within 20 s')), 20_000);
      s.once('snapshot', (x: Snapshot) => {
        clearTimeout(timer);
        resolve(x);
      });
      s.once('connect_error', (err) => reject(err));
    });
    const full = Object.values(snap.series).filter((m) => Object.keys(m).length > 4).length;
    return { bytes: Buffer.byteLength(JSON.stringify(snap)), full, hosts: Object.keys(snap.series).length };
  } finally {
    s.close();
  }
}

/** Pushed samples (bench.* series) of the hosts `prefix`-NN in the store: head rows + Σ n of blocks. */
async function storedFor(where: { dataDir: string; databaseUrl?: string }, prefix: string): Promise<number> {
  const database = await openDatabase({ dataDir: where.dataDir, databaseUrl: where.databaseUrl });
  try {
    const [row] = await queryRows<{ n: number }>(database.db, sql`
      SELECT ((SELECT count(*) FROM samples s JOIN hosts h ON h.id = s.host_id JOIN metrics m ON m.id = s.metric_id
               WHERE h.name LIKE ${`${prefix}-%`} AND m.name LIKE 'bench.%')
            + (SELECT coalesce(sum(b.n), 0) FROM sample_blocks b JOIN hosts h ON h.id = b.host_id JOIN metrics m ON m.id = b.metric_id
               WHERE h.name LIKE ${`${prefix}-%`} AND m.name LIKE 'bench.%'))::float8 AS n`);
    return row?.n ?? 0;
  } finally {
    await database.close();
  }
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${round(x, 0)}`);

async function runOn(kind: 'pglite' | 'postgres'): Promise<BenchResult[]> {
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    const pg = await tempPostgres();
    if (!pg) return [{ name: `fleet [postgres]`, median: null, unit: '', target: '', met: null, note: 'not measured: PostgreSQL does not answer' }];
    databaseUrl = pg.url;
  }
  const where = { dataDir: tempDir().dir, databaseUrl };
  progress(`fleet [${kind}]: server child process, ${AGENTS} agents + ${AGENTS} pushers created over the API`);
  const server = await startServerProcess({ intervalMs: 1000, ...where, probe: true, env: { API_RATE_PER_ADDRESS: '100000' } });
  const results: BenchResult[] = [];
  let gen: Worker | undefined;
  let pushTotal = 0;
  try {
    const agentTokens = await createAgents(server, 'fleet', AGENTS);
    const pushTokens = await createAgents(server, 'app', AGENTS);
    // The idle server, for the increment each load adds.
    await sleep(Math.max(0, server.readyAt + 8_000 - Date.now()));
    const idleMeter = cpuMeter(() => [server.pid]);
    await sleep(IDLE_MS);
    const idle = idleMeter.total().percent;

    gen = await spawnWorker('agents');
    const viewer = await lagViewer(server, 'fleet-', 'fleet-01');
    progress(`fleet [${kind}]: ${AGENTS} agents replay ${BACKLOG_TICKS} ticks of backlog each, then 1 Hz live`);
    const backlogStart = performance.now();
    await gen.call('agents:start', { url: server.url, tokens: agentTokens, intervalMs: 1000, backlogTicks: BACKLOG_TICKS });
    for (;;) {
      const s = await gen.call<GenStats>('stats');
      if (s.backlogDone >= AGENTS) break;
      if (performance.now() - backlogStart > 300_000) throw new Error(`backlogs not replayed after 300 s: ${JSON.stringify(s)}`);
      await sleep(250);
    }
    const backlogSec = (performance.now() - backlogStart) / 1000;
    const backlogAcked = (await gen.call<GenStats>('stats')).backlogAcked;
    progress(`fleet [${kind}]: ${AGENTS} agents live, ${WINDOW_MS / 1000} s window`);
    const a = await measure(server, gen, viewer);
    viewer.close();

    progress(`fleet [${kind}]: snapshot sizes with ${AGENTS} agent hosts`);
    const dashboard = await snapshotBytes(server, ['fleet-01']);
    const allHosts = await snapshotBytes(server);

    await gen.call('stop');
    await sleep(2000);
    progress(`fleet [${kind}]: ${AGENTS} pushers × ${PUSH_SERIES} series at 1 Hz, ${WINDOW_MS / 1000} s window`);
    const pushViewer = await lagViewer(server, 'app-', 'app-01');
    await gen.call('push:start', { url: server.url, tokens: pushTokens, series: PUSH_SERIES, intervalMs: 1000 });
    const p = await measure(server, gen, pushViewer);
    pushViewer.close();
    await gen.call('stop');
    await sleep(3000);
    // Everything the pushers had acknowledged, warm-up included: compared below with what the store holds.
    pushTotal = (await gen.call<GenStats>('stats')).totalValues;

    const conditions = (m: { busy: number; generator: number }) =>
      `machine ${round(m.busy, 0)} % busy (2 cores shared by the server, the generator, ${kind === 'postgres' ? 'PostgreSQL, ' : ''}and the bench); the generator process (all ${AGENTS} simulated clients) used ${round(m.generator, 1)} % of a core`;
    const agentPerSec = a.stats.valuesPerSecond;
    results.push(
      {
        name: `samples/s one node ingests from ${AGENTS} agents at 1 Hz [${kind}]`,
        median: round(agentPerSec, 0),
        unit: 'samples/s',
        target: '',
        met: null,
        note: `${AGENTS} agents over /agent websockets, one live sample (9 values) per agent per second, each acknowledged after it is stored (+ host.up the server stamps, not counted): ${a.stats.samples} acknowledged batches, ${a.stats.values} values in ${round(a.stats.seconds, 1)} s, ${a.stats.errors} errors${a.stats.errorText ? ` (${a.stats.errorText})` : ''}; server CPU ${round(a.cpu, 2)} % of a core (idle server ${round(idle, 2)} %: +${round(a.cpu - idle, 2)} %; ${a.threads}); ack latency p50 ${pct(a.stats.p50)} / p99 ${pct(a.stats.p99)} ms; sample ts → \`metrics\` on a viewer in this process p50 ${pct(percentile(a.lag, 50))} / p99 ${pct(percentile(a.lag, 99))} ms (${a.lag.length} events); that viewer showed one host (hosts: ["fleet-01"]) yet was sent ${round(a.seen.eventsPerSec, 1)} \`metrics\` events/s (${round(a.seen.bytesPerSec / 1024, 1)} kB/s): every host's live samples go to every viewer; server event loop (probe) p99 ${round(a.eld.p99, 1)}, max ${round(a.eld.max, 1)} ms; before the window each agent replayed ${BACKLOG_TICKS} ticks of backlog (batches of 300, one at a time): ${backlogAcked.toLocaleString('en')} values from ${AGENTS} agents in ${round(backlogSec, 1)} s = ${round(backlogAcked / backlogSec, 0)} values/s; ${conditions(a)}`,
      },
      {
        name: `server CPU, ${AGENTS} agents at 1 Hz [${kind}]`,
        median: round(a.cpu, 2),
        unit: '% of a core',
        target: '',
        met: null,
        note: `whole server process over the ${WINDOW_MS / 1000} s window (/proc), ${round(agentPerSec, 0)} values/s; idle server before: ${round(idle, 2)} %`,
      },
      {
        name: `snapshot size, ${AGENTS + 1} hosts, dashboard viewer (hosts: [one host]) [${kind}]`,
        median: dashboard.bytes,
        unit: 'B',
        target: '',
        met: null,
        note: `JSON of the \`snapshot\` event for a handshake with hosts: ["fleet-01"], 15 minutes of window (each agent replayed ${BACKLOG_TICKS} ticks, then went live): ${dashboard.hosts} hosts in series, ${dashboard.full} in full; ${round(dashboard.bytes / 1024, 1)} kB`,
      },
      {
        name: `snapshot size, ${AGENTS + 1} hosts, all-hosts viewer [${kind}]`,
        median: allHosts.bytes,
        unit: 'B',
        target: '',
        met: null,
        note: `JSON of the \`snapshot\` event for a handshake without hosts (every host in full): ${allHosts.hosts} hosts, ${allHosts.full} in full; ${round(allHosts.bytes / 1024, 1)} kB, ${round(allHosts.bytes / Math.max(1, dashboard.bytes), 1)}× the dashboard viewer's`,
      },
    );
    const perSeries = p.cpu / Math.max(1, p.stats.valuesPerSecond);
    results.push({
      name: `server CPU at ${(AGENTS * PUSH_SERIES).toLocaleString('en')} series/s (pushes) [${kind}]`,
      median: round(p.cpu, 2),
      unit: '% of a core',
      target: '≤ 10',
      met: meets(p.cpu, '<=', 10),
      note: `${AGENTS} pushers (agent tokens) each POST /api/ingest {values: ${PUSH_SERIES} series} once a second from one load-generator process: ${round(p.stats.valuesPerSecond, 0)} samples/s acknowledged as stored (204 after the write) in ${round(p.stats.seconds, 1)} s, ${p.stats.errors} errors${p.stats.errorText ? ` (${p.stats.errorText})` : ''}; whole server process ${round(p.cpu, 2)} % of a core (${p.threads}) = ${round(perSeries, 5)} % per series/s (target ≤ 0.001); over the idle server (${round(idle, 2)} %): +${round(p.cpu - idle, 2)} %; push → 204 (stored) p50 ${pct(p.stats.p50)} / p95 ${pct(p.stats.p95)} / p99 ${pct(p.stats.p99)} ms; push ts (server's receipt) → \`metrics\` on a viewer p50 ${pct(percentile(p.lag, 50))} / p99 ${pct(percentile(p.lag, 99))} ms; server event loop (probe) p99 ${round(p.eld.p99, 1)}, max ${round(p.eld.max, 1)} ms; ${conditions(p)}`,
    });
    results.push({
      name: `samples/s stored from pushes, ${(AGENTS * PUSH_SERIES).toLocaleString('en')} series [${kind}]`,
      median: round(p.stats.valuesPerSecond, 0),
      unit: 'samples/s',
      target: '≥ 10,000',
      met: meets(p.stats.valuesPerSecond, '>=', 0.98 * AGENTS * PUSH_SERIES),
      note: 'acknowledged (stored) values per second over the window; met when ≥ 98 % of the offered 10,000/s',
    });
  } finally {
    await gen?.stop();
    await server.stop();
  }
  // The store's own count of the pushers' samples since the push phase began (the server has stopped).
  const stored = await storedFor(where, 'app');
  const last = results.find((r) => r.name.startsWith('samples/s stored from pushes'));
  if (last) last.note += `; after the server stopped, its store held ${stored.toLocaleString('en')} pushed samples of the pushers' hosts (head + blocks, host.up not counted) against ${pushTotal.toLocaleString('en')} acknowledged to the pushers over the whole phase (warm-up included)${stored === pushTotal ? ': equal' : `: ${(pushTotal - stored).toLocaleString('en')} acknowledged values NOT in the store`}`;
  return results;
}

export async function run(): Promise<BenchResult[]> {
  return [...(await runOn('pglite')), ...(await runOn('postgres'))];
}

if (import.meta.filename === process.argv[1]) await standalone(run);
