/**
 * A small tagged logger: one line per event, `level tag message`, to stderr.
 * Repeated failures of the same kind are reported once until they recover
 * (see `onceUntilOk`), so a source that fails every second does not flood.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

let threshold: LogLevel = 'info';
export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/**
 * A known, already reported condition (the database being away) makes every
 * component's failures say the same thing once a second. With `quietWhen`,
 * warnings and errors whose error the predicate claims are logged at debug
 * level instead: the condition's own component logs its start and end once.
 */
let quiet: (err: unknown) => boolean = () => false;
export function quietWhen(predicate: (err: unknown) => boolean): void {
  quiet = predicate;
}

export interface Logger {
  debug(msg: string, err?: unknown): void;
  info(msg: string, err?: unknown): void;
  warn(msg: string, err?: unknown): void;
  error(msg: string, err?: unknown): void;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

export function createLogger(tag: string): Logger {
  const write = (wanted: Exclude<LogLevel, 'silent'>) => (msg: string, err?: unknown) => {
    const level = (wanted === 'warn' || wanted === 'error') && err !== undefined && quiet(err) ? 'debug' : wanted;
    if (RANK[level] < RANK[threshold]) return;
    const detail = err === undefined ? '' : `: ${describe(err)}`;
    process.stderr.write(`${new Date().toISOString()} ${level.padEnd(5)} [${tag}] ${msg}${detail}\n`);
    if (level === 'error' && err instanceof Error && err.stack && threshold === 'debug') {
      process.stderr.write(`${err.stack}\n`);
    }
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * Logs a failure the first time it happens and once more when it recovers,
 * not on every repetition in between.
 */
export function onceUntilOk(log: Logger, what: string) {
  let failing = false;
  return {
    fail(err: unknown) {
      if (!failing) log.warn(`${what} failed (reported once until it recovers)`, err);
      failing = true;
    },
    ok() {
      if (failing) log.info(`${what} recovered`);
      failing = false;
    },
  };
}
