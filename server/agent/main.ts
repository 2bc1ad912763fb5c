/**
 * The agent's command line (entry: cli.ts):
 * `npm run agent -- --server URL --token T [--name NAME] [--db postgres://…]`,
 * or the single file `node glasswatch-agent.mjs …` (see `npm run build:agent`).
 * Flags win over the environment: GLASSWATCH_URL, GLASSWATCH_TOKEN,
 * AGENT_NAME, AGENT_DB_URL, AGENT_DATA_DIR, AGENT_BUFFER_HOURS,
 * COLLECT_INTERVAL_MS. Exit codes: 0 stopped, 2 bad settings, 78 the server
 * refused the token (a systemd unit should not restart it: see README).
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pkg from '../../package.json' with { type: 'json' };
import { createLogger, setLogLevel, type LogLevel } from '../lib/log.ts';
import { startAgent } from './agent.ts';

const log = createLogger('agent');

export const EXIT_REFUSED = 78;

export interface AgentSettings {
  serverUrl: string;
  token: string;
  name: string;
  dbUrl: string | undefined;
  dataDir: string;
  bufferHours: number;
  intervalMs: number;
}

const USAGE = `usage: glasswatch-agent --server URL --token TOKEN [--name NAME] [--db postgres://…] [--data-dir DIR]
  (or GLASSWATCH_URL, GLASSWATCH_TOKEN, AGENT_NAME, AGENT_DB_URL, AGENT_DATA_DIR, AGENT_BUFFER_HOURS, COLLECT_INTERVAL_MS)`;

/** Flags and environment → settings; throws an Error whose message says what is wrong. */
export function parseAgentSettings(argv: string[], env: Record<string, string | undefined>): AgentSettings {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      token: { type: 'string' },
      name: { type: 'string' },
      db: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const pick = (flag: string | undefined, name: string) => (flag ?? env[name])?.trim() || undefined;
  const serverUrl = pick(values.server, 'GLASSWATCH_URL');
  const token = pick(values.token, 'GLASSWATCH_TOKEN');
  if (!serverUrl) throw new Error(`the server URL is missing (--server or GLASSWATCH_URL)\n${USAGE}`);
  if (!/^https?:\/\/[^/]/.test(serverUrl)) throw new Error(`--server must be an http(s) URL, got "${serverUrl}"`);
  if (!token) throw new Error(`the agent token is missing (--token or GLASSWATCH_TOKEN): create one under Admin → Agents\n${USAGE}`);
  const name = pick(values.name, 'AGENT_NAME') ?? os.hostname();
  const dbUrl = pick(values.db, 'AGENT_DB_URL');
  if (dbUrl && !/^postgres(ql)?:\/\//.test(dbUrl)) throw new Error('--db must be a postgres:// URL');
  const number = (raw: string | undefined, what: string, min: number, max: number, fallback: number) => {
    if (raw === undefined || raw.trim() === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${what} must be a number from ${min} to ${max}, got "${raw}"`);
    return n;
  };
  return {
    serverUrl,
    token,
    name,
    dbUrl,
    dataDir: path.resolve(pick(values['data-dir'], 'AGENT_DATA_DIR') ?? './agent-data'),
    bufferHours: number(env.AGENT_BUFFER_HOURS, 'AGENT_BUFFER_HOURS', 0.01, 24 * 31, 24),
    intervalMs: Math.round(number(env.COLLECT_INTERVAL_MS, 'COLLECT_INTERVAL_MS', 250, 3_600_000, 1000)),
  };
}

/** pg is loaded only by an agent that watches a database (`--db`): the others never load it (8 MB less RSS, measured). */
async function watchedDatabase(url: string) {
  const { default: pg } = await import('pg');
  // One connection is plenty at one query a tick; never more than two.
  const pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'glasswatch-agent', connectionTimeoutMillis: 5000 });
  pool.on('error', (err) => log.warn('the watched database connection failed', err));
  return {
    run: async (text: string) => (await pool.query(text)).rows as Array<Record<string, unknown>>,
    close: () => pool.end(),
  };
}

/** Runs the agent until SIGINT/SIGTERM (or a refused token) and exits. */
export async function runAgentCli(): Promise<never> {
  setLogLevel((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'info');
  let settings: AgentSettings;
  try {
    settings = parseAgentSettings(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`glasswatch-agent: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const stop = new AbortController();
  let exitCode = 0;
  const agent = await startAgent({
    ...settings,
    version: pkg.version,
    ...(settings.dbUrl ? { db: await watchedDatabase(settings.dbUrl) } : {}),
    signal: stop.signal,
    onRefused() {
      exitCode = EXIT_REFUSED;
      stop.abort();
    },
  });
  log.info(
    `glasswatch agent ${pkg.version}: host "${settings.name}" every ${settings.intervalMs} ms to ${settings.serverUrl}` +
      `${settings.dbUrl ? ' with database metrics' : ''}; buffer ${settings.bufferHours} h in ${settings.dataDir}`,
  );
  const shutdown = (signal: string) => {
    log.info(`${signal}: stopping (${agent.pending} samples stay buffered)`);
    stop.abort();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  await agent.stopped;
  process.exit(exitCode);
}
