/**
 * Real agents for tests: the single-file build (`buildAgent`, as an operator
 * installs it) run with plain `node` as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { buildAgent } from '../../server/agent/bundle.ts';
import { tempDir } from './databases.ts';

let bundle: Promise<string> | undefined;
const bundleDir = tempDir('glasswatch-agent-bundle-');
process.once('exit', () => bundleDir.remove());

/** Builds the agent once per test process. */
export function agentBundle(): Promise<string> {
  bundle ??= buildAgent(path.join(bundleDir.dir, 'glasswatch-agent.mjs'));
  return bundle;
}

export interface AgentProcess {
  child: ChildProcess;
  /** Everything it wrote to stderr so far (its log). */
  log(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function spawnAgent(opts: {
  url: string; token: string; name: string; dataDir: string; intervalMs?: number; env?: Record<string, string>;
  /** A PostgreSQL database the agent watches (`--db`). */
  db?: string;
}): Promise<AgentProcess> {
  const file = await agentBundle();
  const args = [file, '--server', opts.url, '--token', opts.token, '--name', opts.name, '--data-dir', opts.dataDir, ...(opts.db ? ['--db', opts.db] : [])];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? '', COLLECT_INTERVAL_MS: String(opts.intervalMs ?? 250), LOG_LEVEL: 'info', LOG_FORMAT: 'pretty', ...opts.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    log: () => stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
