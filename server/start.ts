/**
 * The process: `npm start` runs this file's bundle, dist/server/main.js
 * (the name systemd units give). It reads the configuration, and on the
 * embedded database it starts PGlite's worker first — booting WebAssembly
 * and PostgreSQL takes about a second — then loads the rest of the server
 * (server/main.ts and its packages, about as long) beside it, on the other
 * core. Then it serves until SIGINT/SIGTERM. Exit codes: 2 bad
 * configuration, 1 could not start or stop cleanly.
 */
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger, setLogFormat, setLogLevel } from './lib/log.ts';
import { startEmbedded } from './store/embedded.ts';
import { VERSION } from './version.ts';

const log = createLogger('server');

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`glasswatch: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function main() {
  const config = configOrExit();
  if (config.logFormat) setLogFormat(config.logFormat);
  setLogLevel(config.logLevel);
  const embedded = config.databaseUrl ? undefined : startEmbedded(config.dataDir);
  // Its failure is startServer's to report, once it awaits it.
  embedded?.catch(() => {});
  const { startServer } = await import('./main.ts');
  const server = await startServer(config, { embedded });
  log.info(`glasswatch ${VERSION} serving ${server.url} (database: ${config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`}, tick ${config.collectIntervalMs} ms)`);
  if (server.firstAdmin?.generated) {
    // Printed once, on the very first start: the only place this password ever appears.
    process.stdout.write(
      `\n  First start: log in at ${config.publicUrl} as "${server.firstAdmin.username}" with password\n\n      ${server.firstAdmin.password}\n\n  (shown once; change it under Admin → Users)\n\n`,
    );
  } else if (server.firstAdmin) {
    log.info(`created the "${server.firstAdmin.username}" user with ADMIN_PASSWORD`);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    server.close().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (err) => {
        log.error('shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err) => {
  log.error('could not start', err);
  process.exit(1);
});
