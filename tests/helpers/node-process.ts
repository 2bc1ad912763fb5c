/**
 * Real glasswatch server nodes as child processes, started as `npm start`
 * starts one (`node dist/server/main.js`, the bundle server/build.ts makes),
 * for what needs several processes: a cluster, a kill -9.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { buildServer, SERVER_BUNDLE, serverIsStale } from '../../server/build.ts';
import { TEST_ADMIN_PASSWORD } from './server.ts';
import { waitFor } from './wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface NodeProcess {
  name: string;
  url: string;
  port: number;
  child: ChildProcess;
  log(): string;
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/** The server bundle, built once per test process if it is older than the sources (`npm test` builds it first). */
let bundled: Promise<void> | undefined;
const serverBuilt = () => (bundled ??= serverIsStale() ? buildServer() : Promise.resolve());

/** Starts a node and resolves once it answers /healthz. */
export async function startNode(opts: { name: string; env: Record<string, string>; port?: number }): Promise<NodeProcess> {
  await serverBuilt();
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, ['--enable-source-maps', SERVER_BUNDLE], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_NAME: opts.name,
      ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      API_RATE_PER_ADDRESS: '100000',
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'pretty',
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`node ${opts.name} exited: ${stderr.slice(-2000)}`);
      return fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    },
    `node ${opts.name} to answer`,
    60_000,
  );
  return {
    name: opts.name,
    url,
    port,
    child,
    log: () => stderr,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
