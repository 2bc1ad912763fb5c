/**
 * A real glasswatch server for tests: the product's own `startServer`, on
 * port 0, with PGlite in a temp dir unless a database is given.
 */
import { loadConfig } from '../../server/config.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { startServer, type StartOptions } from '../../server/main.ts';
import { tempDir } from './databases.ts';

export interface TestServerOptions {
  intervalMs?: number;
  databaseUrl?: string;
  dataDir?: string;
  hostName?: string;
  port?: number;
  /** More environment, as a user would set it (SMTP_URL, ALERT_EMAIL_TO, PUBLIC_URL…). */
  env?: Record<string, string>;
  /** Notification retry timing; tests use short delays. */
  outbox?: StartOptions['outbox'];
}

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

setLogLevel((process.env.LOG_LEVEL as 'info') ?? 'error');

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const tmp = opts.dataDir ? undefined : tempDir();
  const dataDir = opts.dataDir ?? tmp!.dir;
  const config = loadConfig({
    PORT: String(opts.port ?? 0),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    COLLECT_INTERVAL_MS: String(opts.intervalMs ?? 250),
    DATABASE_URL: opts.databaseUrl,
    ...opts.env,
  });
  const server = await startServer(config, {
    hostName: opts.hostName ?? 'test-host',
    outbox: opts.outbox ?? { retryBaseMs: 200, maxRetryMs: 1000, pollMs: 100 },
  });
  return {
    url: server.url,
    port: server.port,
    dataDir,
    async close() {
      await server.close();
      tmp?.remove();
    },
  };
}
