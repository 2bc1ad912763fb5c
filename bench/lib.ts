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
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/events.ts';
import { setLogLevel } from '../server/lib/log.ts';
import { createTempDatabase, postgresSkipReason } from '../tests/helpers/postgres.ts';

// The product code running inside the bench process (databases) logs warnings only.
setLogLevel('warn');

export const ROOT = path.resolve(import.meta.dirname, '..');

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

/**
 * Runs `fn` while a 1 ms interval timer watches this process's event loop:
 * its duration, and the longest the event loop went without running a timer
 * (beyond the 1 ms interval): for work done on this thread (PGlite) that is
 * about the whole duration, for work done elsewhere (PostgreSQL) it stays small.
 */
export async function timeBlocking<T>(fn: () => Promise<T>): Promise<{ ms: number; blockedMs: number; value: T }> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const t = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - t;
    // The gap still open when fn finished counts too.
    longest = Math.max(longest, performance.now() - last);
    return { ms, blockedMs: Math.max(0, longest - 1), value };
  } finally {
    clearInterval(timer);
  }
}

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
  url: string;
  dataDir: string;
  /** Date.now() when /healthz first answered; the once-a-minute maintenance runs its first pass just before. */
  readyAt: number;
  /** The admin's session cookie when the server has login (else undefined): viewers send it. */
  cookie: string | undefined;
  /** SIGTERM, wait for the graceful shutdown (samples flushed), SIGKILL after 15 s. */
  stop(): Promise<void>;
  /** With `probe`: the event-loop delay measured by bench/probe.ts inside the server since the last reset. */
  eventLoop(): Promise<EventLoopDelay>;
  resetEventLoop(): Promise<void>;
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
}

const adminPasswords = new Map<string, string>();

/**
 * Starts `node --import tsx server/main.ts`, one process, so its /proc entry is
 * the server itself, and waits for /healthz.
 */
export async function startServerProcess(opts: ServerProcessOptions): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? tempDir().dir;
  const port = await freePort();
  // The first start on a data dir creates the admin with this password; later starts on it must reuse it.
  const adminPassword = adminPasswords.get(dataDir) ?? randomBytes(12).toString('hex');
  adminPasswords.set(dataDir, adminPassword);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    COLLECT_INTERVAL_MS: String(opts.intervalMs),
    LOG_LEVEL: 'warn',
    ADMIN_PASSWORD: adminPassword,
  };
  delete env.DATABASE_URL;
  if (opts.databaseUrl) env.DATABASE_URL = opts.databaseUrl;
  const probe = opts.probe ? ['--import', path.join(ROOT, 'bench/probe.ts')] : [];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ...probe, path.join(ROOT, 'server/main.ts')], {
    cwd: ROOT,
    env,
    stdio: opts.probe ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${stderr}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server did not answer /healthz within 60 s:\n${stderr}`);
    }
    await sleep(100);
  }
  const readyAt = Date.now();
  const cookie = await login(url, adminPassword);
  const ask = <T>(msg: string) =>
    new Promise<T>((resolve, reject) => {
      if (!child.send) return reject(new Error('the server was started without probe: true'));
      const timer = setTimeout(() => reject(new Error(`probe did not answer ${msg}`)), 5000);
      child.once('message', (answer) => {
        clearTimeout(timer);
        resolve((answer as { eld: T }).eld);
      });
      child.send(msg);
    });
  return {
    pid: child.pid!,
    url,
    dataDir,
    readyAt,
    cookie,
    stop,
    eventLoop: () => ask<EventLoopDelay>('eld:read'),
    resetEventLoop: async () => {
      await ask<string>('eld:reset');
    },
  };
}

/** Logs in as the first admin (ADMIN_PASSWORD) and returns the session cookie; undefined when the server has no login route. */
async function login(url: string, password: string): Promise<string | undefined> {
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
export function connectViewer(server: { url: string; cookie?: string | undefined }): Promise<BenchSocket> {
  const socket: BenchSocket = io(server.url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...(server.cookie ? { extraHeaders: { cookie: server.cookie } } : {}),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no snapshot within 10 s'));
    }, 10_000);
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
