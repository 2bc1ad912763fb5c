import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { AuditEntry, DisplayToken, Role } from '../../shared/auth.ts';
import { loadConfig } from '../../server/config.ts';
import { startServer } from '../../server/main.ts';
import { tempDir } from '../helpers/databases.ts';
import { createTempDatabase, postgresSkipReason } from '../helpers/postgres.ts';
import { sessionFor, startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { connect, connectForSnapshot, nextEvent, type TestSocket } from '../helpers/socket.ts';
import { waitFor } from '../helpers/wait.ts';

type Who = 'anonymous' | 'display' | Role;
const RANK: Record<Who, number> = { anonymous: 0, display: 1, viewer: 1, operator: 2, admin: 3 };
const NEEDS: Record<Role | 'public', number> = { public: 0, viewer: 1, operator: 2, admin: 3 };

/** Every route of the API with the least role it needs. Bodies are empty or invalid, so allowed calls change nothing. */
const ROUTES: Array<[method: string, path: string, needs: Role | 'public']> = [
  ['GET', '/healthz', 'public'],
  ['GET', '/readyz', 'public'],
  ['GET', '/metrics', 'public'],
  ['POST', '/api/auth/login', 'public'],
  ['GET', '/api/auth/me', 'viewer'],
  ['GET', '/api/hosts', 'viewer'],
  ['GET', '/api/metrics/current', 'viewer'],
  ['GET', '/api/metrics/history?metric=cpu.count', 'viewer'],
  ['GET', '/api/alerts', 'viewer'],
  ['GET', '/api/alerts/999999', 'viewer'],
  ['POST', '/api/alerts/999999/ack', 'operator'],
  ['POST', '/api/alerts/999999/unack', 'operator'],
  ['POST', '/api/alerts/999999/resolve', 'operator'],
  ['GET', '/api/rules', 'viewer'],
  ['GET', '/api/rules/999999', 'viewer'],
  ['POST', '/api/rules', 'admin'],
  ['PATCH', '/api/rules/999999', 'admin'],
  ['DELETE', '/api/rules/999999', 'admin'],
  ['GET', '/api/channels', 'viewer'],
  ['GET', '/api/silences', 'viewer'],
  ['POST', '/api/silences', 'operator'],
  ['DELETE', '/api/silences/999999', 'operator'],
  ['GET', '/api/users', 'admin'],
  ['POST', '/api/users', 'admin'],
  ['PATCH', '/api/users/999999', 'admin'],
  ['DELETE', '/api/users/999999', 'admin'],
  ['GET', '/api/displays', 'admin'],
  ['POST', '/api/displays', 'admin'],
  ['DELETE', '/api/displays/999999', 'admin'],
  ['GET', '/api/audit', 'admin'],
  ['GET', '/api/metrics/catalog', 'viewer'],
  ['GET', '/api/agents', 'admin'],
  ['POST', '/api/agents', 'admin'],
  ['DELETE', '/api/agents/999999', 'admin'],
  ['GET', '/api/targets', 'viewer'],
  ['POST', '/api/targets', 'admin'],
  ['PATCH', '/api/targets/999999', 'admin'],
  ['DELETE', '/api/targets/999999', 'admin'],
  ['GET', '/api/derived', 'viewer'],
  ['POST', '/api/derived', 'admin'],
  ['DELETE', '/api/derived/999999', 'admin'],
  ['GET', '/api/settings/app-panels', 'viewer'],
  ['PUT', '/api/settings/app-panels/h1', 'admin'],
  ['DELETE', '/api/settings/app-panels/h1', 'admin'],
];

const SOCKET_EVENTS = ['alert:ack', 'alert:unack', 'alert:resolve'] as const;

function connectError(socket: TestSocket): Promise<Error> {
  return new Promise((resolve, reject) => {
    socket.once('connect_error', resolve);
    socket.once('connect', () => reject(new Error('connected although it should have been refused')));
  });
}

describe('roles on every door', () => {
  let server: TestServer;
  const sessions = {} as Record<Role, Session>;
  let displayToken: string;

  before(async () => {
    server = await startTestServer();
    sessions.admin = await server.admin();
    sessions.viewer = await server.user('vera', 'viewer');
    sessions.operator = await server.user('otto', 'operator');
    const created = await sessions.admin.json<DisplayToken & { token: string }>('/api/displays', { method: 'POST', body: { name: 'NOC wall' } });
    assert.equal(created.status, 201);
    displayToken = created.body.token;
  });
  after(() => server.close());

  function request(who: Who, method: string, path: string) {
    const init: RequestInit = { method, ...(method === 'GET' ? {} : { headers: { 'content-type': 'application/json' }, body: '{}' }) };
    if (who === 'anonymous') return fetch(`${server.url}${path}`, init);
    if (who === 'display') return fetch(`${server.url}${path}`, { ...init, headers: { ...init.headers, authorization: `Bearer ${displayToken}` } });
    return sessions[who].fetch(path, init);
  }

  for (const [method, path, needs] of ROUTES) {
    it(`${method} ${path} admits ${needs} and up`, async () => {
      for (const who of ['anonymous', 'display', 'viewer', 'operator', 'admin'] as const) {
        const res = await request(who, method, path);
        const allowed = RANK[who] >= NEEDS[needs] && !(who === 'display' && method !== 'GET' && needs !== 'public');
        const body = await res.text();
        if (allowed) {
          assert.ok(res.status !== 401 && res.status !== 403, `${who} got ${res.status} ${body}`);
        } else {
          const expected = who === 'anonymous' ? 401 : 403;
          assert.equal(res.status, expected, `${who}: ${body}`);
          assert.equal(JSON.parse(body).error.code, expected === 401 ? 'unauthenticated' : 'forbidden');
        }
      }
    });
  }

  it('refuses an anonymous socket at the handshake, saying why', async () => {
    const socket = connect(server.url);
    const err = await connectError(socket);
    socket.disconnect();
    assert.match(err.message, /not logged in/);
    assert.deepEqual((err as Error & { data?: unknown }).data, { code: 'not_logged_in' });
  });

  it('refuses a socket with an unknown display token', async () => {
    const socket = connect(server.url, { token: 'not-a-token' });
    const err = await connectError(socket);
    socket.disconnect();
    assert.match(err.message, /display token/);
    // The kiosk forgets a token refused with this code, and retries on any other failure.
    assert.deepEqual((err as Error & { data?: unknown }).data, { code: 'token_refused' });
  });

  for (const event of SOCKET_EVENTS) {
    it(`${event} is for operators and admins only`, async () => {
      for (const who of ['display', 'viewer', 'operator', 'admin'] as const) {
        const target = who === 'display' ? server.url : sessions[who];
        const { socket } = await connectForSnapshot(target, who === 'display' ? { token: displayToken } : {});
        const answer = await socket.timeout(3000).emitWithAck(event, { id: 999_999 });
        socket.disconnect();
        if (RANK[who] >= 2) {
          assert.equal(answer.ok, false);
          if (!answer.ok) assert.equal(answer.error.code, 'not_found', who);
        } else {
          assert.equal(answer.ok, false);
          if (!answer.ok) assert.equal(answer.error.code, 'forbidden', who);
        }
      }
    });
  }
});

describe('logins and sessions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('sets an httpOnly, SameSite=Strict session cookie', async () => {
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ username: 'admin', password: 'admin-password-for-tests' }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { kind: 'user', name: 'admin', role: 'admin' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('glasswatch_session='))!;
    assert.match(cookie, /httponly/i);
    assert.match(cookie, /samesite=strict/i);
    assert.match(cookie, /path=\//i);
  });

  it('answers an unknown user and a wrong password alike', async () => {
    const attempt = (username: string) =>
      fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'wrong-password' }),
      });
    const [unknown, wrong] = await Promise.all([attempt('nobody-here'), attempt('admin')]);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.status, 401);
    assert.deepEqual(await unknown.json(), await wrong.json());
  });

  it('rate-limits failed logins per user: the sixth try is refused even with the right password', async () => {
    await server.user('rita', 'viewer');
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rita', password: 'nope-nope-nope' }),
      });
      assert.equal(res.status, 401);
    }
    const blocked = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'rita', password: 'password-for-tests' }),
    });
    assert.equal(blocked.status, 429);
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
    assert.equal(((await blocked.json()) as { error: { code: string } }).error.code, 'too_many_attempts');
  });

  it('logout really ends the session: the old cookie no longer works', async () => {
    const s = await server.login('admin', 'admin-password-for-tests');
    assert.equal((await s.fetch('/api/auth/me')).status, 200);
    assert.equal((await s.fetch('/api/auth/logout', { method: 'POST' })).status, 204);
    assert.equal((await s.fetch('/api/auth/me')).status, 401);
  });

  it('refuses cross-site writes: a foreign Origin, or a cookie without any Origin', async () => {
    const admin = await server.admin();
    const foreign = await admin.fetch('/api/displays', { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{"name":"x"}' });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { error: { code: string } }).error.code, 'bad_origin');
    const bare = await fetch(`${server.url}/api/displays`, { method: 'POST', headers: { cookie: admin.cookie, 'content-type': 'application/json' }, body: '{"name":"x"}' });
    assert.equal(bare.status, 403);
    const displays = await admin.json<{ displays: DisplayToken[] }>('/api/displays');
    assert.equal(displays.body.displays.filter((d) => d.name === 'x').length, 0, 'nothing was created');
  });

  it('sends security headers with a CSP that allows no inline script', async () => {
    for (const path of ['/', '/api/hosts', '/healthz']) {
      const res = await fetch(`${server.url}${path}`, { headers: { accept: 'text/html' } });
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, path);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  it('a disabled user is logged out everywhere at once, live socket included', async () => {
    const admin = await server.admin();
    const dora = await server.user('dora', 'operator');
    const { socket } = await connectForSnapshot(dora);
    const users = await admin.json<{ users: Array<{ id: number; username: string }> }>('/api/users');
    const id = users.body.users.find((u) => u.username === 'dora')!.id;
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    assert.equal((await admin.json(`/api/users/${id}`, { method: 'PATCH', body: { disabled: true } })).status, 200);
    assert.equal(await disconnected, 'io server disconnect');
    assert.equal((await dora.fetch('/api/hosts')).status, 401);
    const relogin = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'dora', password: 'password-for-tests' }),
    });
    assert.equal(relogin.status, 401);
  });

  it('never lets the last admin be demoted, disabled or deleted', async () => {
    const admin = await server.admin();
    const users = await admin.json<{ users: Array<{ id: number; username: string }> }>('/api/users');
    const id = users.body.users.find((u) => u.username === 'admin')!.id;
    for (const body of [{ role: 'viewer' }, { disabled: true }]) {
      const res = await admin.json<{ error: { code: string } }>(`/api/users/${id}`, { method: 'PATCH', body });
      assert.equal(res.status, 409);
    }
    assert.equal((await admin.json(`/api/users/${id}`, { method: 'DELETE' })).status, 409);
  });

  it('validates user input', async () => {
    const admin = await server.admin();
    for (const [body, status] of [
      [{ username: 'x y', password: 'long-enough-pw', role: 'viewer' }, 422],
      [{ username: 'newbie', password: 'short', role: 'viewer' }, 422],
      [{ username: 'newbie', password: 'long-enough-pw', role: 'root' }, 422],
      [{ username: 'newbie', password: 12345678901, role: 'viewer' }, 400],
      [{ username: 'admin', password: 'long-enough-pw', role: 'viewer' }, 409],
    ] as const) {
      assert.equal((await admin.json('/api/users', { method: 'POST', body })).status, status, JSON.stringify(body));
    }
  });
});

describe('display tokens for wall screens', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it('stream live data, refuse every change, and are cut off the moment they are revoked', async () => {
    const admin = await server.admin();
    const created = await admin.json<DisplayToken & { token: string }>('/api/displays', { method: 'POST', body: { name: 'Lobby TV' } });
    const { token, id } = created.body;
    assert.ok(token.length >= 40);
    const listed = await admin.json<{ displays: Array<Record<string, unknown>> }>('/api/displays');
    assert.ok(listed.body.displays.every((d) => !('token' in d) && !('tokenHash' in d)), 'the token is shown once, never listed');

    const { socket, snapshot } = await connectForSnapshot(server.url, { token });
    assert.ok(snapshot.hosts.length > 0);
    const live = await nextEvent(socket, 'metrics');
    assert.equal(live.host, 'test-host');
    const ack = await socket.timeout(3000).emitWithAck('alert:ack', { id: 1 });
    assert.equal(ack.ok, false);

    const bearer = { authorization: `Bearer ${token}` };
    assert.equal((await fetch(`${server.url}/api/hosts`, { headers: bearer })).status, 200);
    assert.equal((await fetch(`${server.url}/api/displays`, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{"name":"x"}' })).status, 403);

    const cut = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    assert.equal((await admin.fetch(`/api/displays/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal(await cut, 'io server disconnect');
    const again = connect(server.url, { token });
    assert.match((await connectError(again)).message, /revoked/);
    again.disconnect();
    assert.equal((await fetch(`${server.url}/api/hosts`, { headers: bearer })).status, 401);
  });
});

describe('kiosk settings of a display', () => {
  it('reach the screen in its snapshot, and a change makes its screens reconnect with the new settings', async () => {
    const server = await startTestServer();
    try {
      const admin = await server.admin();
      const created = await admin.json<DisplayToken & { token: string }>('/api/displays', {
        method: 'POST', body: { name: 'Ops wall', views: ['overview', 'alerts'], rotateSeconds: 30, sound: true },
      });
      assert.equal(created.status, 201);
      const { socket, snapshot } = await connectForSnapshot(server.url, { token: created.body.token });
      assert.deepEqual(snapshot.viewer, { kind: 'display', name: 'Ops wall', role: 'viewer', display: { views: ['overview', 'alerts'], rotateSeconds: 30, sound: true } });
      const dropped = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const patched = await admin.json<DisplayToken>(`/api/displays/${created.body.id}`, { method: 'PATCH', body: { rotateSeconds: null, sound: false } });
      assert.equal(patched.status, 200);
      assert.equal(await dropped, 'io server disconnect');
      const again = await connectForSnapshot(server.url, { token: created.body.token });
      again.socket.disconnect();
      assert.deepEqual(again.snapshot.viewer.display, { views: ['overview', 'alerts'], rotateSeconds: null, sound: false });
      for (const body of [{ rotateSeconds: 5 }, { views: [] }, { views: ['tv'] }, {}]) {
        assert.equal((await admin.json(`/api/displays/${created.body.id}`, { method: 'PATCH', body })).status, 422, JSON.stringify(body));
      }
      const { snapshot: userView } = await connectForSnapshot(admin);
      assert.deepEqual(userView.viewer, { kind: 'user', name: 'admin', role: 'admin' });
    } finally {
      await server.close();
    }
  });
});

describe('the audit trail', () => {
  it('records logins, failed logins, acknowledgements, rule, user and token changes with who, what and from where', async () => {
    const server = await startTestServer();
    try {
      const admin = await server.admin();
      const otto = await server.user('otto', 'operator');
      await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"otto","password":"wrong-wrong"}' });
      const rule = await admin.json<{ id: number }>('/api/rules', {
        method: 'POST', body: { name: 'Cores', metric: 'cpu.count', operator: '>=', threshold: 1, level: 'CRITICAL' },
      });
      const { socket } = await connectForSnapshot(otto);
      const fired = await nextEvent(socket, 'alert');
      const acked = await socket.timeout(3000).emitWithAck('alert:ack', { id: fired.id, note: 'looking' });
      socket.disconnect();
      assert.equal(acked.ok, true);
      if (acked.ok) assert.equal(acked.alert.acknowledgedBy, 'otto');
      const display = await admin.json<{ id: number }>('/api/displays', { method: 'POST', body: { name: 'Wall' } });
      await admin.fetch(`/api/displays/${display.body.id}`, { method: 'DELETE' });
      await admin.fetch(`/api/rules/${rule.body.id}`, { method: 'DELETE' });
      await admin.fetch('/api/auth/logout', { method: 'POST' });

      const reader = await server.login('admin', 'admin-password-for-tests');
      const { body } = await reader.json<{ entries: AuditEntry[] }>('/api/audit?limit=100');
      const seen = (action: string, actor: string) => body.entries.find((e) => e.action === action && e.actor === actor);
      for (const [action, actor] of [
        ['login', 'admin'], ['login', 'otto'], ['login_failed', 'otto'], ['user.create', 'admin'], ['rule.create', 'admin'],
        ['alert.ack', 'otto'], ['display.create', 'admin'], ['display.revoke', 'admin'], ['rule.delete', 'admin'], ['logout', 'admin'],
      ]) {
        const entry = seen(action!, actor!);
        assert.ok(entry, `no ${action} by ${actor}`);
        assert.ok(entry.address, `${action} has no address`);
        assert.ok(entry.at > Date.now() - 60_000);
      }
      assert.equal(seen('alert.ack', 'otto')!.target, `alert ${fired.id}`);
      const filtered = await reader.json<{ entries: AuditEntry[] }>('/api/audit?action=login_failed');
      assert.ok(filtered.body.entries.length >= 1 && filtered.body.entries.every((e) => e.action === 'login_failed'));
      assert.equal((await reader.json('/api/audit?action=nonsense')).status, 400);
    } finally {
      await server.close();
    }
  });
});

describe('restarts', () => {
  it('keep sessions and display tokens valid; the first admin is created once with a printed password', async () => {
    const data = tempDir();
    const config = loadConfig({ PORT: '0', DATA_DIR: data.dir, COLLECT_INTERVAL_MS: '250' });
    try {
      let server = await startServer(config, { hostName: 'test-host' });
      assert.ok(server.firstAdmin?.generated);
      const password = server.firstAdmin!.password;
      assert.ok(password.length >= 16);
      const first = await (await import('../helpers/server.ts')).login(server.url, 'admin', password);
      const display = await first.json<{ token: string }>('/api/displays', { method: 'POST', body: { name: 'Wall' } });
      await server.close();

      server = await startServer(config, { hostName: 'test-host' });
      try {
        assert.equal(server.firstAdmin, null, 'no second admin on a later start');
        const again = sessionFor(server.url, 'admin', first.cookie);
        assert.equal((await again.fetch('/api/auth/me')).status, 200, 'the session survived the restart');
        const { socket } = await connectForSnapshot(server.url, { token: display.body.token });
        socket.disconnect();
      } finally {
        await server.close();
      }
    } finally {
      data.remove();
    }
  });
});

describe('session expiry and stored secrets on PostgreSQL', async () => {
  const skip = await postgresSkipReason();
  it('ends idle and over-age sessions, and stores only hashes of secrets', { skip }, async () => {
    const temp = await createTempDatabase();
    const server = await startTestServer({ databaseUrl: temp.url });
    const db = new pg.Client({ connectionString: temp.url });
    await db.connect();
    try {
      const admin = await server.admin();
      const idle = await server.user('ida', 'viewer');
      const old = await server.user('olga', 'viewer');
      const display = await admin.json<{ token: string }>('/api/displays', { method: 'POST', body: { name: 'Wall' } });

      const stored = await db.query('SELECT id FROM sessions UNION ALL SELECT token_hash FROM display_tokens');
      const secrets = [admin.cookie, idle.cookie, old.cookie].map((c) => decodeURIComponent(c.split('=')[1]!)).concat(display.body.token);
      for (const row of stored.rows) assert.ok(!secrets.includes(row.id), 'a secret is stored in clear');
      const hashes = await db.query('SELECT password_hash FROM users');
      assert.ok(hashes.rows.every((r) => String(r.password_hash).startsWith('scrypt$')));

      await db.query(`UPDATE sessions SET last_seen_at = now() - interval '13 hours' WHERE user_id = (SELECT id FROM users WHERE username = 'ida')`);
      await db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM users WHERE username = 'olga')`);
      assert.equal((await idle.fetch('/api/hosts')).status, 401, 'idle session still valid');
      assert.equal((await old.fetch('/api/hosts')).status, 401, 'over-age session still valid');
      assert.equal((await admin.fetch('/api/hosts')).status, 200);
      await waitFor(async () => (await db.query(`SELECT count(*)::int AS n FROM sessions`)).rows[0].n === 1, 'the ended sessions to be deleted');
    } finally {
      await db.end();
      await server.close();
      await temp.drop();
    }
  });
});
