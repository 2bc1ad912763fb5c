/**
 * Logging, through pino: one structured record per event, tagged by the
 * part of the server it comes from, with the error and its stack when there
 * is one, and the id of the HTTP request it happened in. Readable lines in a
 * terminal (pino-pretty), JSON lines otherwise (LOG_FORMAT=json|pretty to
 * choose). No secret is ever written: passwords, tokens, cookies and the
 * credentials of a URL are masked wherever they appear.
 *
 * Repeated failures of the same kind are reported once until they recover
 * (`onceUntilOk`), and a known outage is reported by its own component only
 * (`quietWhen`), so a failure every second never floods the log.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'pretty' | 'json';

/** Masks what must never reach a log: URL credentials, agent tokens, session cookies, bearer tokens. */
export function scrub(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi, '$1[redacted]@')
    .replace(/\bgwa_[A-Za-z0-9_-]+/g, 'gwa_[redacted]')
    .replace(/(glasswatch_session=)[^;\s]+/g, '$1[redacted]')
    .replace(/(\bBearer\s+)\S+/gi, '$1[redacted]');
}

const SECRET_KEYS = ['password', 'passwordHash', 'token', 'cookie', 'authorization', 'secret', 'adminPassword'];

/** The request a log line belongs to (set by the HTTP layer for the whole async chain of a request). */
const requestContext = new AsyncLocalStorage<string>();
export function withRequestId<T>(id: string, fn: () => T): T {
  return requestContext.run(id, fn);
}

function destination(format: LogFormat) {
  if (format === 'json') return pino.destination({ dest: 2, sync: true });
  return pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l', ignore: 'pid,hostname,tag', messageFormat: '[{tag}] {msg}' });
}

function createRoot(format: LogFormat, level: LogLevel): Pino {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), 'headers.cookie', 'headers.authorization'], censor: '[redacted]' },
      mixin: () => {
        const req = requestContext.getStore();
        return req ? { req } : {};
      },
      serializers: {
        err(err: unknown) {
          const s = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
          if (typeof s.message === 'string') s.message = scrub(s.message);
          if (typeof s.stack === 'string') s.stack = scrub(s.stack);
          return s;
        },
      },
      hooks: {
        logMethod(args, method) {
          if (typeof args[0] === 'string') args[0] = scrub(args[0]);
          else if (typeof args[1] === 'string') args[1] = scrub(args[1]);
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    destination(format),
  );
}

let format: LogFormat = process.env.LOG_FORMAT === 'json' || process.env.LOG_FORMAT === 'pretty' ? process.env.LOG_FORMAT : process.stderr.isTTY ? 'pretty' : 'json';
let root = createRoot(format, 'info');
const children = new Map<string, Pino>();

export function setLogLevel(level: LogLevel): void {
  root.level = level;
  for (const c of children.values()) c.level = level;
}

/** Switches between readable lines and JSON (tests and the agent read lines). */
export function setLogFormat(next: LogFormat): void {
  if (next === format) return;
  format = next;
  const level = root.level;
  root = createRoot(format, level as LogLevel);
  children.clear();
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

export function createLogger(tag: string): Logger {
  const child = () => {
    let c = children.get(tag);
    if (!c) children.set(tag, (c = root.child({ tag })));
    return c;
  };
  const write = (wanted: Exclude<LogLevel, 'silent'>) => (msg: string, err?: unknown) => {
    const level = (wanted === 'warn' || wanted === 'error') && err !== undefined && quiet(err) ? 'debug' : wanted;
    const log = child();
    if (!log.isLevelEnabled(level)) return;
    if (err === undefined) log[level](msg);
    else if (err instanceof Error) log[level]({ err }, `${msg}: ${err.message || err.name}`);
    else log[level]({ detail: String(err) }, `${msg}: ${String(err)}`);
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
