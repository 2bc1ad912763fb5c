/**
 * The agent (`npm run bench -- agent`), as an operator runs it: the single
 * file `npm run build:agent` makes (server/agent/bundle.ts, built here into a
 * temp dir) started with plain `node`, against a real server (PGlite, child
 * process) on loopback, with a token created over the admin API.
 *
 * 1. Its own cost at 1 Hz: after 10 s of warm-up, 60 s of /proc readings of
 *    the agent process (CPU = Δ(utime+stime+cutime+cstime) ÷ Δwall over the
 *    window, 3 slices of 20 s as repetitions; RSS = VmRSS at the end of each
 *    slice; peak = VmHWM). No --db, so the cpu, memory, disk and net sources.
 * 2. Backlog replay: the agent's own buffer module (server/agent/buffer.ts,
 *    the default 24 h bound) is filled with 24 h of 1 Hz samples shaped like
 *    the agent's (values.ts, agentOnly: 9 values) ending now, as if the server
 *    had been away for a day; then the single-file agent starts on that data
 *    dir with a new token. Replay time = agent spawn → the server's agent
 *    list (GET /api/agents) reports its backlog down to what is live (≤ 2
 *    pending) after having seen it; hours of data per minute = 24 h ÷ that
 *    time. After the server stopped, the samples stored for that host are
 *    counted in its store.
 * Goal (issue 8): the agent ≤ 0.5 % of a core and ≤ 60 MB RSS at 1 Hz.
 */
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { openDiskBuffer } from '../server/agent/buffer.ts';
import { buildAgent } from '../server/agent/bundle.ts';
import { openDatabase } from '../server/store/db.ts';
import { readStoredSamples } from '../server/store/history.ts';
import type { Agent, AgentCreated, AgentsResponse } from '../shared/fleet.ts';
import {
  api, cpuSeconds, machineBusyPercent, machineJiffies, median, meets, onCleanup, peakRssMb, progress, round, rssMb, scale, sleep, standalone,
  startServerProcess, tempDir, type BenchResult, type ServerProcess,
} from './lib.ts';
import { serverValues, tickTimes } from './values.ts';

const WARMUP_MS = 10_000;
const SLICES = 3;
const SLICE_MS = scale(20_000, 5_000);
const BACKLOG_HOURS = scale(24, 2);

/** The replaying agent's buffer bound: room for the backlog plus the live samples it takes meanwhile (a full buffer drops its oldest segment). */
const REPLAY_BUFFER_HOURS = BACKLOG_HOURS + 1;

function spawnAgent(file: string, server: ServerProcess, token: string, name: string, dataDir: string, bufferHours = 24): { child: ChildProcess; stop(): Promise<void> } {
  const child = spawn(process.execPath, [file, '--server', server.url, '--token', token, '--name', name, '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', COLLECT_INTERVAL_MS: '1000', LOG_LEVEL: 'warn', AGENT_BUFFER_HOURS: String(bufferHours) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  child.once('exit', (code) => {
    if (code) process.stderr.write(`agent ${name} exited with ${code}: ${stderr}\n`);
  });
  return { child, stop };
}

async function agentOf(server: ServerProcess, name: string): Promise<Agent | undefined> {
  return (await api<AgentsResponse>(server, 'GET', '/api/agents')).agents.find((a) => a.name === name && a.revokedAt === null);
}

/** 24 h (BACKLOG_HOURS) of 1 Hz samples in the agent's own buffer format, ending now; the buffer opened as the agent will open it. */
async function fillBuffer(dir: string): Promise<{ samples: number; ms: number; from: number }> {
  const t = performance.now();
  const buffer = await openDiskBuffer({ dir, maxSamples: REPLAY_BUFFER_HOURS * 3600, log: () => {} });
  const next = serverValues(42, { agentOnly: true });
  const stamp = tickTimes(42);
  const n = BACKLOG_HOURS * 3600;
  const from = Math.floor(Date.now() / 1000) * 1000 - n * 1000;
  for (let i = 0; i < n; i++) await buffer.append({ ts: stamp(from + i * 1000), values: next() });
  await buffer.close();
  return { samples: n, ms: performance.now() - t, from };
}

export async function run(): Promise<BenchResult[]> {
  progress('agent: building the single-file agent (npm run build:agent) into a temp dir');
  const bundleDir = tempDir('glasswatch-bench-agent-');
  const file = await buildAgent(path.join(bundleDir.dir, 'glasswatch-agent.mjs'));
  const serverDir = tempDir();
  const server = await startServerProcess({ intervalMs: 1000, dataDir: serverDir.dir });
  const results: BenchResult[] = [];
  let replay: { sec: number; samples: number; fillMs: number; peakBacklog: number; from: number; startedAt: number } | undefined;
  try {
    // 1. The agent's own cost at 1 Hz.
    const { token } = await api<AgentCreated>(server, 'POST', '/api/agents', { name: 'bench-agent' });
    const agent = spawnAgent(file, server, token, 'bench-agent', tempDir().dir);
    try {
      const until = Date.now() + 120_000;
      while (!(await agentOf(server, 'bench-agent'))?.online) {
        if (Date.now() > until) throw new Error('the agent did not come online within 120 s');
        await sleep(250);
      }
      progress(`agent: warm-up ${WARMUP_MS / 1000} s, then ${SLICES} × ${SLICE_MS / 1000} s`);
      await sleep(WARMUP_MS);
      const pid = agent.child.pid!;
      const machine = machineJiffies();
      const cpu: number[] = [];
      const rss: number[] = [];
      const c0 = cpuSeconds(pid);
      const t0 = performance.now();
      let before = c0;
      let t = t0;
      for (let i = 0; i < SLICES; i++) {
        await sleep(SLICE_MS);
        const after = cpuSeconds(pid);
        const now = performance.now();
        cpu.push(((after.own + after.children - before.own - before.children) / ((now - t) / 1000)) * 100);
        rss.push(rssMb(pid));
        before = after;
        t = now;
      }
      const whole = ((before.own + before.children - c0.own - c0.children) / ((t - t0) / 1000)) * 100;
      const peak = peakRssMb(pid);
      const busy = machineBusyPercent(machine, machineJiffies());
      const info = await agentOf(server, 'bench-agent');
      results.push(
        {
          name: 'agent CPU at 1 Hz (single-file build)',
          median: round(whole, 3),
          unit: '% of a core',
          target: '≤ 0.5',
          met: meets(whole, '<=', 0.5),
          reps: cpu.map((x) => round(x, 3)),
          note: `\`node glasswatch-agent.mjs\` (esbuild single file, no --db: cpu, memory, disk, net sources) against the server on loopback, COLLECT_INTERVAL_MS=1000; /proc utime+stime+cutime+cstime over ${(SLICES * SLICE_MS) / 1000} s after ${WARMUP_MS / 1000} s of warm-up (reps = ${SLICE_MS / 1000} s slices); every sample written to its disk buffer, sent and acknowledged; the server lists it online, backlog ${info?.backlog ?? 'n/a'}; machine ${round(busy, 0)} % busy`,
        },
        {
          name: 'agent RSS at 1 Hz (single-file build)',
          median: round(median(rss), 1),
          max: round(peak, 1),
          unit: 'MB',
          target: '≤ 60',
          met: meets(Math.max(median(rss)!, peak), '<=', 60),
          reps: rss.map((x) => round(x, 1)),
          note: `VmRSS at the end of each slice; max = VmHWM (peak since the agent started); verdict on the peak`,
        },
      );
    } finally {
      await agent.stop();
    }

    // 2. Backlog replay.
    progress(`agent: filling an agent buffer with ${BACKLOG_HOURS} h of 1 Hz samples (server/agent/buffer.ts)`);
    const replayDir = tempDir().dir;
    const filled = await fillBuffer(replayDir);
    const { token: token2 } = await api<AgentCreated>(server, 'POST', '/api/agents', { name: 'bench-replay' });
    progress('agent: the single-file agent replays it against the running server');
    const t0 = performance.now();
    const startedAt = Date.now();
    const replayer = spawnAgent(file, server, token2, 'bench-replay', replayDir, REPLAY_BUFFER_HOURS);
    try {
      let peakBacklog = 0;
      for (;;) {
        const a = await agentOf(server, 'bench-replay');
        if (a?.online) peakBacklog = Math.max(peakBacklog, a.backlog);
        if (a?.online && peakBacklog > 0 && a.backlog <= 2) break;
        if (performance.now() - t0 > 900_000) throw new Error(`backlog not replayed within 15 min (backlog ${a?.backlog})`);
        await sleep(100);
      }
      replay = { sec: (performance.now() - t0) / 1000, samples: filled.samples, fillMs: filled.ms, peakBacklog, from: filled.from, startedAt };
    } finally {
      await replayer.stop();
    }
  } finally {
    await server.stop();
  }
  if (replay) {
    const database = await openDatabase({ dataDir: serverDir.dir });
    let stored = 0;
    try {
      // The replayed span of one metric, exactly as stored (blocks decoded, head added).
      const got = await readStoredSamples(database.db, { host: 'bench-replay', metric: 'cpu.usage_percent', fromMs: replay.from, toMs: replay.from + replay.samples * 1000 - 1 });
      stored = got.ts.length;
    } finally {
      await database.close();
    }
    const perMinute = BACKLOG_HOURS / (replay.sec / 60);
    results.push({
      name: 'agent backlog replay speed',
      median: round(perMinute, 1),
      unit: 'h of 1 Hz data per minute',
      target: '',
      met: null,
      note: `${BACKLOG_HOURS} h = ${replay.samples.toLocaleString('en')} samples × 9 values in the agent's buffer (filled through openDiskBuffer/append in ${round(replay.fillMs / 1000, 1)} s), replayed by the single-file agent to a PGlite server in ${round(replay.sec, 1)} s from its spawn (agent list backlog peaked at ${replay.peakBacklog.toLocaleString('en')}, then fell to the live sample) = ${round(replay.samples / replay.sec, 0)} samples/s; batches of ${300} samples, one at a time, each acknowledged after it was stored; the agent ran with AGENT_BUFFER_HOURS=${REPLAY_BUFFER_HOURS} (a buffer bound at exactly ${BACKLOG_HOURS} h would drop its oldest segment at the first live sample); after the server stopped, its store held ${stored.toLocaleString('en')} cpu.usage_percent samples of that host in the replayed span, of ${replay.samples.toLocaleString('en')} replayed (${stored === replay.samples ? 'all' : 'NOT all'})`,
    });
  }
  return results;
}

if (import.meta.filename === process.argv[1]) await standalone(run);
