/**
 * Shared helpers of the benchmark suite: statistics, a result type, cleanup
 * that also runs on Ctrl-C, temp dirs/databases, the real server started as
 * a child process, /proc readings and socket.io clients.
 *
 * Nothing here asserts on time: benchmarks measure and report, they never fail
 * because something was slow.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildServer, SERVER_BUNDLE, serverIsStale } from '../server/build.ts';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, HandshakeAuth, ServerToClientEvents } from '../shared/events.ts';
import { setLogLevel } from '../server/lib/log.ts';
import { createTempDatabase, postgresSkipReason } from '../tests/helpers/postgres.ts';

// The product code running inside the bench process (databases) logs warnings only.
setLogLevel('warn');

export const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * BENCH_QUICK=1: every benchmark with short windows and few repetitions, to
 * check that it runs (figures are then only indicative). The real counts are
 * the defaults.
 */
export const QUICK = process.env.BENCH_QUICK === '1';
/** `real` normally, `quick` with BENCH_QUICK=1. */
export const scale = <T>(real: T, quick: T): T => (QUICK ? quick : real);

// ---------------------------------------------------------------- statistics

/** Nearest-rank percentile (p in 0–100) of unsorted numbers; null for none. */
export function percentile(xs: readonly number[], p: number): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** The median (mean of the two middle values for an even count); null for none. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const max = (xs: readonly number[]): number | null => (xs.length ? Math.max(...xs) : null);

export function round(x: number | null | undefined, decimals = 2): number | null {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

export { timeBlocking } from '../tests/helpers/blocking.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- results

export interface BenchResult {
  /** What was measured, e.g. "sample → socket latency p99". */
  name: string;
  /** The headline figure: a median (of repetitions, or of runs). */
  median: number | null;
  p50?: number | null;
  p99?: number | null;
  max?: number | null;
  unit: string;
  /** The target from DESIGN.md, as text ("< 20"), or "" when there is none. */
  target: string;
  /** Whether the headline figure meets the target; null when nothing was measured or there is no target. */
  met: boolean | null;
  /** Per-repetition figures the median was taken from. */
  reps?: Array<number | null>;
  /** Sample counts, conditions, what is included. */
  note?: string;
}

export function notMeasured(name: string, target: string, why: string): BenchResult {
  return { name, median: null, unit: '', target, met: null, note: `not yet measured: ${why}` };
}

/** A latency row headed by the p99 of `ms` (p50 and max beside it): met when that p99 is under `limit` ms. */
export function p99Row(name: string, ms: readonly number[], target: string, limit: number, note: string, more: Pick<BenchResult, 'reps'> = {}): BenchResult {
  const p99 = percentile(ms, 99);
  return { name, median: round(p99, 1), p50: round(percentile(ms, 50), 1), p99: round(p99, 1), max: round(max(ms), 1), unit: 'ms', target, met: meets(p99, '<', limit), ...more, note };
}

/** met = value compared with the target, null when the value is missing. */
export function meets(value: number | null | undefined, op: '<' | '<=' | '>=', limit: number): boolean | null {
  if (value === null || value === undefined) return null;
  return op === '<' ? value < limit : op === '<=' ? value <= limit : value >= limit;
}

// ---------------------------------------------------------------- cleanup

const cleanups: Array<() => Promise<void> | void> = [];

/** Registers cleanup work; `runCleanups` (on exit or Ctrl-C) runs whatever is still registered. */
export function onCleanup(fn: () => Promise<void> | void): () => Promise<void> {
  let done = false;
  const once = async () => {
    if (done) return;
    done = true;
    const i = cleanups.indexOf(once);
    if (i >= 0) cleanups.splice(i, 1);
    await fn();
  };
  cleanups.push(once);
  return once;
}

export async function runCleanups(): Promise<void> {
  for (const fn of cleanups.slice().reverse()) {
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
    }
  }
}

let signalsHooked = false;
/** Ctrl-C / SIGTERM: stop child servers, drop temp databases, remove temp dirs, then exit. */
export function cleanupOnSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: cleaning up…\n`);
      void runCleanups().finally(() => process.exit(130));
    });
  }
}

export function tempDir(prefix = 'glasswatch-bench-'): { dir: string; remove: () => Promise<void> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const remove = onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return { dir, remove };
}

/** A fresh PostgreSQL database (tests/helpers/postgres.ts), dropped on cleanup; null when PostgreSQL does not answer. */
export async function tempPostgres(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  if (await postgresSkipReason()) return null;
  const temp = await createTempDatabase();
  return { url: temp.url, drop: onCleanup(() => temp.drop()) };
}

// ---------------------------------------------------------------- the server as a child process

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  /** The pid of the node process that runs the server (no tsx wrapper in between). */
  pid: number;
  child: ChildProcess;
  /** NODE_NAME (cluster benchmarks), else undefined. */
  nodeName: string | undefined;
  /** Milliseconds from spawn until /healthz first answered (polled every 20 ms). */
  startMs: number;
  url: string;
  dataDir: string;
  /** Date.now() when /healthz first answered; the once-a-minute maintenance runs its first pass just before. */
  readyAt: number;
  /** The admin's session cookie when the server has login (else undefined): viewers send it. */
  cookie: string | undefined;
  /** SIGTERM, wait for the graceful shutdown (samples flushed), SIGKILL after 15 s. */
  stop(): Promise<void>;
  /** kill -9, resolved once the process is gone. */
  kill(): Promise<void>;
  /** With `probe`: starts / stops the probe's stall log (gaps of a 5 ms timer beyond 15 ms, with their time). */
  stallsStart(): Promise<void>;
  stallsStop(): Promise<Stall[]>;
  /** With `probe`: process.memoryUsage() inside the server, MB (the main thread's heap; rss is the whole process). */
  memory(): Promise<{ rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number }>;
  /** With `probe`: the event-loop delay measured by bench/probe.ts inside the server since the last reset. */
  eventLoop(): Promise<EventLoopDelay>;
  resetEventLoop(): Promise<void>;
}

/** One stall of the server's event loop seen by the probe: when it ended (epoch ms) and how long the loop was held. */
export interface Stall {
  at: number;
  ms: number;
}

export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface ServerProcessOptions {
  intervalMs: number;
  databaseUrl?: string;
  /** Default: a fresh temp dir, removed on cleanup. */
  dataDir?: string;
  /** Load bench/probe.ts into the server to measure its event-loop delay from inside. */
  probe?: boolean;
  /** NODE_NAME of a cluster node. */
  nodeName?: string;
  /** More environment (e.g. API_RATE_PER_ADDRESS for a load generator that makes many requests from one address). */
  env?: Record<string, string>;
  /** Skip the admin login after start (restart timing). */
  noLogin?: boolean;
  /** More node flags (diagnostics, e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Another checkout whose built bundle runs instead of this one's (bench/ab-start.ts); it is not rebuilt here. */
  checkout?: string;
}

const adminPasswords = new Map<string, string>();

/**
 * Starts the server as `npm start` does (`node dist/server/main.js`, built
 * first when stale), one process, so its /proc entry is the server itself,
 * and waits for /healthz.
 */
export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? tempDir().dir;
  const port = await freePort();
  // The first start on a data dir (or database) creates the admin with this password; later starts on it must reuse it.
  const key = opts.databaseUrl ?? dataDir;
  const adminPassword = adminPasswords.get(key) ?? randomBytes(12).toString('hex');
  adminPasswords.set(key, adminPassword);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    COLLECT_INTERVAL_MS: String(opts.intervalMs),
    LOG_LEVEL: 'warn',
    ADMIN_PASSWORD: adminPassword,
    ...opts.env,
  };
  delete env.DATABASE_URL;
  delete env.NODE_NAME;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  if (opts.nodeName) env.NODE_NAME = opts.nodeName;
  // The probe is TypeScript: tsx loads it (and, with it, hooks every import); without it the server starts as `npm start` starts it.
  const probe = opts.probe ? ['--import', 'tsx', '--import', path.join(ROOT, 'bench/probe.ts')] : [];
  if (!opts.checkout && serverIsStale()) await buildServer();
  const bundle = opts.checkout ? path.join(opts.checkout, path.relative(ROOT, SERVER_BUNDLE)) : SERVER_BUNDLE;
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...probe, bundle], {
    cwd: ROOT,
    env,
    stdio: opts.probe ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const stop = onCleanup(async () => {
    if (gone()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (gone()) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server did not answer /healthz within 300 s (a first start creates the PGlite data dir: ~4 s on a quiet machine, minutes on a saturated one):\n${stderr}`);
    }
    await sleep(20);
  }
  const startMs = performance.now() - spawnedAt;
  const readyAt = Date.now();
  const cookie = opts.noLogin ? undefined : await login(url, adminPassword);
  const ask = <T>(msg: string) =>
    new Promise<T>((resolve, reject) => {
      if (!child.send) return reject(new Error('the server was started without probe: true'));
      const timer = setTimeout(() => reject(new Error(`probe did not answer ${msg}`)), 30_000);
      child.once('message', (answer) => {
        clearTimeout(timer);
        resolve((answer as { eld: T }).eld);
      });
      child.send(msg);
    });
  return {
    pid: child.pid!,
    child,
    nodeName: opts.nodeName,
    startMs,
    url,
    dataDir,
    readyAt,
    cookie,
    stop,
    async kill() {
      if (gone()) return;
      child.kill('SIGKILL');
      await exited;
      await stop();
    },
    eventLoop: () => ask<EventLoopDelay>('eld:read'),
    resetEventLoop: async () => {
      await ask<string>('eld:reset');
    },
    stallsStart: async () => {
      await ask<string>('stalls:start');
    },
    stallsStop: () => ask<Stall[]>('stalls:stop'),
    memory: () => ask('mem:read'),
  };
}

/** The admin password the bench gave the server of this data dir or database. */
export function adminPasswordOf(dataDirOrUrl: string): string | undefined {
  return adminPasswords.get(dataDirOrUrl);
}

/** Logs in as the first admin (ADMIN_PASSWORD) and returns the session cookie; undefined when the server has no login route. */
export async function login(url: string, password: string): Promise<string | undefined> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`login as admin failed: ${res.status} ${await res.text()}`);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  return cookies.join('; ') || undefined;
}

// ---------------------------------------------------------------- /proc

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds of a process: utime + stime of all its threads, plus cutime + cstime of its waited-for children. */
export function cpuSeconds(pid: number): { own: number; children: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3 (state).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
  const [utime, stime, cutime, cstime] = [f[11]!, f[12]!, f[13]!, f[14]!];
  return { own: (utime + stime) / CLK_TCK, children: (cutime + cstime) / CLK_TCK };
}

/** VmRSS of a process in MB. */
export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU seconds (utime + stime) of each thread of a process, by thread id (the main thread's id is the pid). */
export function threadCpuSeconds(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      out.set(Number(tid), (f[11]! + f[12]!) / CLK_TCK);
    } catch {
      // the thread ended
    }
  }
  return out;
}

/**
 * Per-thread CPU between two threadCpuSeconds() readings, as text: the main
 * thread (JavaScript, the event loop) and the busiest other threads (a
 * worker thread such as PGlite's, V8's GC helpers, libuv's pool), % of a core.
 */
export function threadBreakdown(pid: number, a: Map<number, number>, b: Map<number, number>, seconds: number): string {
  const rows = [...b.entries()].map(([tid, cpu]) => ({ tid, pct: ((cpu - (a.get(tid) ?? 0)) / seconds) * 100 }));
  const main = rows.find((r) => r.tid === pid)?.pct ?? 0;
  const others = rows.filter((r) => r.tid !== pid).sort((x, y) => y.pct - x.pct);
  const rest = others.slice(3).reduce((s, r) => s + r.pct, 0);
  return `main thread ${round(main, 2)} %, busiest other threads ${others.slice(0, 3).map((r) => `${round(r.pct, 2)} %`).join(', ')}, the other ${Math.max(0, others.length - 3)} threads ${round(rest, 2)} %`;
}

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps: Rss summed
 * by kind of mapping (anonymous: heaps, WASM memory, thread stacks; files:
 * the node binary and libraries), and the largest anonymous mappings.
 */
export function memoryMap(pid: number): string {
  const text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const maps: Array<{ name: string; size: number; rss: number }> = [];
  let current: { name: string; size: number; rss: number } | undefined;
  for (const line of text.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+\s+\S+\s+\S+\s+\S+\s+\d+\s*(.*)$/.exec(line);
    if (head) {
      current = { name: head[1]!.trim() || '[anon]', size: 0, rss: 0 };
      maps.push(current);
      continue;
    }
    const kb = /^(Size|Rss):\s+(\d+) kB/.exec(line);
    if (kb && current) current[kb[1] === 'Size' ? 'size' : 'rss'] = Number(kb[2]) / 1024;
  }
  const sum = (xs: typeof maps) => xs.reduce((a, m) => a + m.rss, 0);
  const anon = maps.filter((m) => m.name === '[anon]' || m.name.startsWith('[anon:') || m.name === '[heap]');
  const files = maps.filter((m) => m.name.startsWith('/'));
  const top = [...anon].sort((a, b) => b.rss - a.rss).slice(0, 4);
  return `anonymous ${round(sum(anon), 0)} MB (largest mappings ${top.map((m) => `${round(m.rss, 0)} of ${round(m.size, 0)} MB`).join(', ')}), files ${round(sum(files), 0)} MB, other ${round(sum(maps) - sum(anon) - sum(files), 0)} MB`;
}

/** VmHWM of a process in MB: the peak RSS since it started. */
export function peakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU % of one core used by `pids` (their threads and reaped children) between two readings. */
export function cpuMeter(pids: () => number[]) {
  const read = () => {
    let sum = 0;
    for (const pid of pids()) {
      try {
        const c = cpuSeconds(pid);
        sum += c.own + c.children;
      } catch {
        // gone
      }
    }
    return sum;
  };
  let cpu = read();
  let t = performance.now();
  const start = { cpu, t };
  return {
    /** % of one core since the last lap (or the start). */
    lap(): number {
      const c = read();
      const now = performance.now();
      const pct = ((c - cpu) / ((now - t) / 1000)) * 100;
      cpu = c;
      t = now;
      return pct;
    },
    /** % of one core since the meter was made, and the CPU seconds. */
    total(): { percent: number; seconds: number } {
      const c = read();
      return { percent: ((c - start.cpu) / ((performance.now() - start.t) / 1000)) * 100, seconds: c - start.cpu };
    },
  };
}

/** Busy and total jiffies of all CPUs (/proc/stat), for the machine's load during a window. */
export function machineJiffies(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
  const idle = f[3]! + f[4]!;
  return { busy: total - idle, total };
}

/** Share of the whole machine (all cores, 0–100 %) busy between two machineJiffies() readings. */
export function machineBusyPercent(a: { busy: number; total: number }, b: { busy: number; total: number }): number {
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 : 0;
}

// ---------------------------------------------------------------- socket clients

export type BenchSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A socket.io-client over websocket only (with the session cookie, if any), resolved once the server's snapshot has arrived. */
export function connectViewer(server: { url: string; cookie?: string | undefined }, auth: HandshakeAuth = {}): Promise<BenchSocket> {
  const socket: BenchSocket = io(server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    // The default 20 s connect timeout is too short for a handshake on a saturated 2-core machine.
    timeout: 60_000,
    auth: { ...auth },
    ...(server.cookie ? { extraHeaders: { cookie: server.cookie } } : {}),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no snapshot within 60 s'));
    }, 60_000);
    socket.once('snapshot', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

export function machine() {
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

/** Prints a progress line to stderr (the table goes to stdout). */
export function progress(msg: string): void {
  process.stderr.write(`  · ${msg}\n`);
}

/** Runs one benchmark file on its own (`npx tsx bench/ingest.ts`): prints its results as JSON, cleans up. */
export async function standalone(run: () => Promise<BenchResult[]>): Promise<void> {
  cleanupOnSignals();
  try {
    console.log(JSON.stringify(await run(), null, 2));
  } finally {
    await runCleanups();
  }
}

// ---------------------------------------------------------------- HTTP as the admin

/** A request as a logged-in browser makes it (session cookie, and Origin on writes); throws on a non-2xx answer. */
export async function api<T = unknown>(server: { url: string; cookie?: string | undefined }, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(server.cookie ? { cookie: server.cookie } : {}),
      ...(method !== 'GET' && server.cookie ? { origin: server.url } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The name the server stores its own samples under (it runs on this machine). */
export const SERVER_HOST = os.hostname();

// ---------------------------------------------------------------- load generators (child processes)

export interface Worker {
  pid: number;
  /** Calls a command of the worker (bench/loadgen/ipc.ts `serve`) and resolves with its answer. */
  call<T = unknown>(cmd: string, args?: unknown): Promise<T>;
  /** Asks it to exit; SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * Starts a load generator as a separate node process (`node --import tsx
 * bench/loadgen/<name>.ts`): its work and its event loop are not the bench's
 * nor the server's; it answers commands over IPC.
 */
export async function spawnWorker(name: string, env: Record<string, string> = {}): Promise<Worker> {
  const child = spawn(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', path.join(ROOT, 'bench/loadgen', `${name}.ts`)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let nextId = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let ready: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.on('message', (raw) => {
    const msg = raw as { ready?: boolean; id?: number; result?: unknown; error?: string };
    if (msg.ready) return ready();
    const w = waiting.get(msg.id!);
    if (!w) return;
    waiting.delete(msg.id!);
    if (msg.error !== undefined) w.reject(new Error(`${name}: ${msg.error}`));
    else w.resolve(msg.result);
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new Error(`load generator ${name} exited (${code ?? signal}): ${stderr}`));
    waiting.clear();
  });
  const stop = onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.send?.({ id: 0, cmd: 'exit' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });
  await Promise.race([
    isReady,
    exited.then(() => {
      throw new Error(`load generator ${name} exited before it was ready: ${stderr}`);
    }),
  ]);
  return {
    pid: child.pid!,
    call<T>(cmd: string, args?: unknown) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send!({ id, cmd, args });
      });
    },
    stop,
  };
}

// ---------------------------------------------------------------- PostgreSQL's side

/** Pids of the PostgreSQL backends serving a database (they run on this machine: their CPU is read from /proc). */
export async function backendPids(url: string): Promise<number[]> {
  const pg = (await import('pg')).default;
  const name = new URL(url).pathname.slice(1);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}
