/**
 * A real glasswatch server for tests: the product's own `startServer`, on
 * port 0, with PGlite in a temp dir unless a database is given.
 */
import { loadConfig } from '../../server/config.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { startServer, type StartOptions } from '../../server/main.ts';
import type { Db } from '../../server/store/db.ts';
import type { Role } from '../../shared/auth.ts';
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
  /** This machine's sources (default: the real ones). */
  sources?: StartOptions['sources'];
}

/** The first admin's password in tests (the product reads it from ADMIN_PASSWORD). */
export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';
/** Password of every user tests create. */
export const TEST_PASSWORD = 'password-for-tests';

/** A logged-in browser-like client: its cookie rides on every request and socket. */
export interface Session {
  url: string;
  username: string;
  cookie: string;
  /** fetch relative to the server, with the session cookie and (for writes) our Origin, as a browser sends. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** fetch + JSON body; `body` objects are sent as JSON. */
  json<T = unknown>(path: string, init?: Omit<RequestInit, 'body'> & { body?: unknown }): Promise<{ status: number; body: T }>;
}

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  /** Logs in through POST /api/auth/login. */
  login(username: string, password: string): Promise<Session>;
  /** The first admin, logged in (cached). */
  admin(): Promise<Session>;
  /** Reads through the server's own database handle (an embedded database opens once). */
  read<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  /** Resolves once samples are written, alert changes applied and notifications delivered (see RunningServer.idle). */
  idle(): Promise<void>;
  /** A user with this name and role, created by the admin on first use (cached), logged in. */
  user(username: string, role: Role): Promise<Session>;
  close(): Promise<void>;
}

export function sessionFor(url: string, username: string, cookie: string): Session {
  const session: Session = {
    url,
    username,
    cookie,
    fetch(path, init = {}) {
      const headers = new Headers(init.headers);
      headers.set('cookie', cookie);
      const method = (init.method ?? 'GET').toUpperCase();
      if (method !== 'GET' && method !== 'HEAD' && !headers.has('origin')) headers.set('origin', new URL(url).origin);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    async json(path, init = {}) {
      const { body, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
      const res = await session.fetch(path, { ...rest, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as never };
    },
  };
  return session;
}

/** Logs in over HTTP and returns the session. */
export async function login(url: string, username: string, password: string): Promise<Session> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: new URL(url).origin },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login of ${username} failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('glasswatch_session='));
  if (!cookie) throw new Error('login set no session cookie');
  return sessionFor(url, username, cookie.split(';')[0]!);
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
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    // Every test client is 127.0.0.1: one address, many clients (the fairness tests set their own).
    API_RATE_PER_ADDRESS: '100000',
    ...opts.env,
  });
  const server = await startServer(config, {
    hostName: opts.hostName ?? 'test-host',
    outbox: opts.outbox ?? { retryBaseMs: 200, maxRetryMs: 1000 },
    ...(opts.sources ? { sources: opts.sources } : {}),
  });
  let admin: Promise<Session> | undefined;
  const users = new Map<string, Promise<Session>>();
  const self: TestServer = {
    url: server.url,
    port: server.port,
    dataDir,
    login: (username, password) => login(server.url, username, password),
    admin: () => (admin ??= login(server.url, 'admin', TEST_ADMIN_PASSWORD)),
    read: (fn) => fn(server.database.db),
    idle: () => server.idle(),
    user(username, role) {
      let session = users.get(username);
      if (!session) {
        session = (async () => {
          const a = await self.admin();
          const created = await a.json('/api/users', { method: 'POST', body: { username, password: TEST_PASSWORD, role } });
          if (created.status !== 201 && created.status !== 409) throw new Error(`creating ${username} failed: ${JSON.stringify(created)}`);
          return login(server.url, username, TEST_PASSWORD);
        })();
        users.set(username, session);
      }
      return session;
    },
    async close() {
      await server.close();
      tmp?.remove();
    },
  };
  return self;
}
