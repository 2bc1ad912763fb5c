/**
 * A PostgreSQL server of the test's own (initdb in a temp dir, a free port,
 * trust auth), so a test can stop and start it to fault the database.
 * Needs the server binaries (Debian: /usr/lib/postgresql/<v>/bin); as root
 * it runs them as the `postgres` user. `privatePostgresSkipReason` says why
 * not when they are missing (a failure under REQUIRE_POSTGRES=1).
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './databases.ts';

const run = promisify(execFile);
const REQUIRED = process.env.REQUIRE_POSTGRES === '1';

function binDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!fs.existsSync(base)) return undefined;
  const versions = fs.readdirSync(base).sort((a, b) => Number(b) - Number(a));
  return versions.map((v) => path.join(base, v, 'bin')).find((d) => fs.existsSync(path.join(d, 'pg_ctl')));
}

export function privatePostgresSkipReason(): string | false {
  if (binDir()) return false;
  const why = 'no PostgreSQL server binaries (/usr/lib/postgresql/<version>/bin/pg_ctl) to start a private instance';
  if (REQUIRED) throw new Error(`REQUIRE_POSTGRES=1 but ${why}`);
  return why;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir()!;
  const tmp = tempDir('glasswatch-pg-');
  const data = path.join(tmp.dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]) : run(path.join(bin, cmd), args));
  fs.mkdirSync(data);
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', tmp.dir]);
  fs.chmodSync(tmp.dir, 0o755);
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-p ${port} -k ${tmp.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=16MB`;
  const start = () => as('pg_ctl', ['-D', data, '-o', opts, '-w', '-t', '30', '-l', path.join(tmp.dir, 'log'), 'start']).then(() => undefined);
  const stop = () => as('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']).then(() => undefined);
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop,
    start,
    async close() {
      await stop().catch(() => {});
      tmp.remove();
    },
  };
}
