/**
 * The fleet end to end: real agents (the single-file build, run with plain
 * node as child processes) against a real server on loopback and a real
 * PostgreSQL. Outages of the server, of the agent and of both; a killed agent
 * turning into a "Host down" alert; revoked tokens; hostile batches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import type { AgentAck } from '../../shared/agent-protocol.ts';
import type { Alert } from '../../shared/alerts.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import type { AgentCreated, AgentsResponse } from '../../shared/fleet.ts';
import { openDatabase, type Database } from '../../server/store/db.ts';
import { readStoredSamples } from '../../server/store/history.ts';
import { spawnAgent, agentBundle, type AgentProcess } from '../helpers/agent.ts';
import { createTempDatabase, postgresSkipReason, type TempDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/databases.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { connectForSnapshot, type TestSocket } from '../helpers/socket.ts';
import { waitFor } from '../helpers/wait.ts';

const TICK = 250;
const skip = await postgresSkipReason();

describe('the fleet: agents against a real server', { skip }, () => {
  let pgdb: TempDatabase;
  let database: Database;
  const serverDir = tempDir();
  let server: TestServer | undefined;
  let port = 0;
  let admin: Session;
  const agents: AgentProcess[] = [];
  const dirs: Array<{ remove(): void }> = [serverDir];

  const start = async () => {
    server = await startTestServer({ intervalMs: TICK, databaseUrl: pgdb.url, dataDir: serverDir.dir, port, hostName: 'monitor' });
    port = server.port;
    admin = await server.admin();
    return server;
  };

  before(async () => {
    pgdb = await createTempDatabase();
    await agentBundle();
    await start();
    database = await openDatabase({ databaseUrl: pgdb.url, dataDir: serverDir.dir, maxConnections: 2 });
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.stop('SIGKILL')));
    await server?.close();
    await database?.close();
    await pgdb?.drop();
    for (const d of dirs) d.remove();
  });

  async function newAgent(name: string): Promise<{ token: string; id: number; dataDir: string }> {
    const { status, body } = await admin.json<AgentCreated>('/api/agents', { method: 'POST', body: { name } });
    assert.equal(status, 201, JSON.stringify(body));
    const dir = tempDir(`glasswatch-agent-${name}-`);
    dirs.push(dir);
    return { token: body.token, id: body.id, dataDir: dir.dir };
  }

  async function run(name: string, creds: { token: string; dataDir: string }, db?: string) {
    const agent = await spawnAgent({ url: server!.url.replace(/:\d+$/, `:${port}`), token: creds.token, name, dataDir: creds.dataDir, intervalMs: TICK, db });
    agents.push(agent);
    return agent;
  }

  /** Every stored sample of one series in a range (duplicates included, if there were any). */
  async function stored(host: string, metric: string, fromMs: number, toMs: number) {
    return readStoredSamples(database.db, { host, metric, fromMs, toMs });
  }

  /** The largest hole between consecutive stored samples. */
  function largestGap(ts: number[]): number {
    let gap = 0;
    for (let i = 1; i < ts.length; i++) gap = Math.max(gap, ts[i]! - ts[i - 1]!);
    return gap;
  }

  async function viewerSocket(): Promise<TestSocket> {
    const { socket } = await connectForSnapshot(admin);
    return socket;
  }

  it('shows the samples of two agents with different names on every viewer, and the database one agent watches', async () => {
    const a = await newAgent('web-1');
    const b = await newAgent('db-1');
    const t0 = Date.now();
    const viewers = [await viewerSocket(), await viewerSocket()];
    const seen = viewers.map(() => new Set<string>());
    viewers.forEach((v, i) => v.on('metrics', (e: MetricsEvent) => seen[i]!.add(e.host)));
    await run('web-1', a);
    // db-1 also watches a PostgreSQL database (--db): its db.* series arrive with its host's.
    await run('db-1', b, pgdb.url);
    try {
      for (const s of seen) await waitFor(() => s.has('web-1') && s.has('db-1'), 'both agents on every viewer', 15_000);
      for (const name of ['web-1', 'db-1']) {
        const host = await waitFor(async () => {
          const { body } = await admin.json<{ hosts: Array<{ name: string; kind: string; online: boolean }> }>('/api/hosts');
          return body.hosts.find((h) => h.name === name && h.online);
        }, `${name} online`);
        assert.equal(host.kind, 'agent');
      }
      const web = await waitFor(async () => {
        const list = await admin.json<AgentsResponse>('/api/agents');
        return list.body.agents.find((x) => x.name === 'web-1' && x.clockSkewMs !== null);
      }, 'the clock skew of web-1 measured');
      assert.equal(web.online, true);
      assert.match(web.platform ?? '', /\S/);
      assert.ok(Math.abs(web.clockSkewMs!) < 1000, `skew ${web.clockSkewMs} ms on one machine`);
      const dbConnections = await waitFor(async () => {
        const found = await stored('db-1', 'db.active_connections', t0, Date.now());
        return found.values.length > 0 && found.values;
      }, 'db-1 storing the watched database\'s connections');
      assert.ok(dbConnections.every((v) => v >= 1), `the agent's own connection counts: ${dbConnections.join(', ')}`);
      assert.equal((await stored('web-1', 'db.active_connections', t0, Date.now())).values.length, 0, 'web-1 watches no database');
    } finally {
      for (const v of viewers) v.disconnect();
    }
  });

  it('fills the hole of a 20 s server outage from the agent backlog, without a duplicate', async () => {
    const t0 = Date.now();
    await waitFor(async () => (await stored('web-1', 'cpu.count', t0, Date.now())).ts.length >= 4, 'live samples of web-1 stored', 10_000);
    await server!.close();
    const down = Date.now();
    // Kept: the 20 s the server stays down is the scenario (the agent buffers them).
    await new Promise((r) => setTimeout(r, 20_000));
    const up = Date.now();
    await start();
    // The backlog arrives behind live data: wait until the outage seconds are stored.
    await waitFor(
      async () => {
        const s = await stored('web-1', 'cpu.count', down, up);
        return s.ts.length >= ((up - down) / TICK) * 0.9;
      },
      'the outage seconds stored from the backlog',
      30_000,
    );
    const s = await stored('web-1', 'cpu.count', t0, Date.now() - 2 * TICK);
    assert.equal(new Set(s.ts).size, s.ts.length, 'a sample stored twice');
    assert.ok(largestGap(s.ts) <= 3 * TICK, `a hole of ${largestGap(s.ts)} ms remains`);
  });

  it('loses nothing when the agent itself restarts during an outage', async () => {
    const creds = await newAgent('app-1');
    let agent = await run('app-1', creds);
    await waitFor(async () => (await stored('app-1', 'cpu.count', 0, Date.now())).ts.length >= 4, 'app-1 live', 15_000);
    await server!.close();
    // Kept: the scenario is 3 s of outage buffered before the agent is killed.
    await new Promise((r) => setTimeout(r, 3000));
    // Killed hard while the server is away: the buffer must survive on disk.
    await agent.stop('SIGKILL');
    const deadFrom = Date.now();
    agent = await run('app-1', creds);
    // Its ticks start once it has loaded (a second or more on a busy machine): the backlog is counted from there.
    await waitFor(() => /glasswatch agent .*host "app-1"/.test(agent.log()), 'the restarted agent to start', 15_000);
    const bufferingFrom = Date.now();
    // Kept: the scenario is 3 s buffered by the restarted agent while the server is still away (checked below).
    await new Promise((r) => setTimeout(r, 3000));
    await start();
    await waitFor(async () => /connected to/.test(agent.log()), 'the restarted agent to connect', 15_000);
    await waitFor(async () => (await stored('app-1', 'cpu.count', bufferingFrom, bufferingFrom + 2500)).ts.length >= 5, 'the post-restart backlog', 20_000);
    const s = await stored('app-1', 'cpu.count', 0, deadFrom - 500);
    const beforeKill = s.ts.filter((t) => t > deadFrom - 3000);
    assert.ok(beforeKill.length >= 8, `${beforeKill.length} samples of the 3 s before the kill were stored`);
    assert.equal(new Set(s.ts).size, s.ts.length);
  });

  it('turns a killed agent into host.up 0 and a "Host down" alert within 5 s', async () => {
    const viewer = await viewerSocket();
    try {
      const alerts: Alert[] = [];
      const up: number[] = [];
      viewer.on('alert', (a: Alert) => alerts.push(a));
      viewer.on('metrics', (e: MetricsEvent) => {
        if (e.host === 'db-1' && e.values['host.up'] !== undefined) up.push(e.values['host.up']!);
      });
      await waitFor(() => up.includes(1), 'db-1 up', 10_000);
      const agent = agents.find((a) => a.log().includes('host "db-1"'))!;
      await agent.stop('SIGKILL');
      const killed = Date.now();
      const alert = await waitFor(
        () => alerts.find((a) => a.host === 'db-1' && a.metric === 'host.up' && a.state === 'firing' && a.startedAt >= killed),
        'a Host down alert',
        8000,
      );
      assert.ok(alert.startedAt - killed <= 5000, `fired ${alert.startedAt - killed} ms after the kill`);
      assert.equal(alert.level, 'CRITICAL');
      assert.ok(up.at(-1) === 0, 'host.up 0 was pushed');
      const current = await admin.json<{ values: Record<string, number> }>('/api/metrics/current?host=db-1');
      assert.deepEqual(current.body.values, { 'host.up': 0 }, 'a down host shows no stale numbers as current');
    } finally {
      viewer.disconnect();
    }
  });

  it('cuts and refuses a revoked agent', async () => {
    const list = await admin.json<AgentsResponse>('/api/agents');
    const web = list.body.agents.find((x) => x.name === 'web-1' && x.revokedAt === null)!;
    const agent = agents.find((a) => a.log().includes('host "web-1"'))!;
    assert.equal((await admin.fetch(`/api/agents/${web.id}`, { method: 'DELETE' })).status, 204);
    const code = await Promise.race([agent.exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))]);
    assert.equal(code, 78, `exit ${code}; log: ${agent.log().slice(-500)}`);
    assert.match(agent.log(), /refused this agent: this agent token is unknown or was revoked/);
    const { body } = await admin.json<{ hosts: Array<{ name: string }> }>('/api/hosts');
    assert.ok(!body.hosts.some((h) => h.name === 'web-1'), 'a revoked agent\'s host is retired');
  });

  describe('hostile agents', () => {
    let creds: { token: string; id: number };
    let socket: Socket;
    before(async () => {
      creds = await newAgent('fuzz-1');
      socket = io(`${server!.url}/agent`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: creds.token, version: 't', platform: 't', intervalMs: 1000 } });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
    });
    after(() => socket.disconnect());

    const send = (batch: unknown) => socket.timeout(5000).emitWithAck('samples', batch) as Promise<AgentAck>;

    it('refuses an unknown token with a reason', async () => {
      const bad = io(`${server!.url}/agent`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: 'gwa_nope' } });
      const err = await new Promise<Error>((resolve) => bad.once('connect_error', resolve));
      bad.disconnect();
      assert.match(err.message, /unknown or was revoked/);
    });

    it('refuses malformed batches whole, keeps the connection and stores nothing', async () => {
      const now = Date.now();
      const cases: unknown[] = [
        null, 'x', 42, [], {}, { sentAt: now, live: true },
        { sentAt: now, live: true, samples: [] },
        { sentAt: 'now', live: true, samples: [{ ts: now, values: {} }] },
        { sentAt: now, live: 'yes', samples: [{ ts: now, values: {} }] },
        { sentAt: now, live: true, samples: [{ ts: now, values: { 'cpu.usage_percent': 'high' } }] },
        { sentAt: now, live: true, samples: [{ ts: now, values: { 'cpu.usage_percent': 1 } }, { ts: 1.5, values: {} }] },
        { sentAt: now, live: true, samples: [{ ts: now, values: { 'self.rss_mb': 1 } }] },
        { sentAt: now, live: true, samples: [{ ts: now, values: { 'erp.orders': 1 } }] },
        { sentAt: now, live: true, samples: [{ ts: now, values: JSON.parse('{"__proto__": 1}') }] },
        { sentAt: now, live: true, samples: Array.from({ length: 601 }, (_, i) => ({ ts: now - i, values: { 'cpu.count': 1 } })) },
      ];
      for (const batch of cases) {
        const ack = await send(batch);
        assert.equal(ack.ok, false, JSON.stringify(batch)?.slice(0, 120));
        assert.ok(!ack.ok && ack.error.code === 'bad_request' && ack.error.message.length > 0);
      }
      assert.ok(socket.connected);
      assert.equal((await stored('fuzz-1', 'cpu.usage_percent', 0, Date.now() + 1000)).ts.length, 0);
      assert.equal((await stored('fuzz-1', 'cpu.count', 0, Date.now() + 1000)).ts.length, 0);
    });

    it('writes only its own host whatever the batch claims, and never in the future', async () => {
      const now = Date.now();
      const ack = await send({ sentAt: now, live: false, samples: [{ ts: now - 5000, host: 'monitor', values: { 'cpu.count': 64 } }, { ts: now + 3_600_000, values: { 'cpu.count': 65 } }] });
      assert.deepEqual(ack, { ok: true, stored: 2 });
      const mine = await stored('fuzz-1', 'cpu.count', now - 10_000, now + 7_200_000);
      assert.deepEqual(mine.values, [64, 65]);
      assert.ok(mine.ts.every((t) => t <= Date.now()), 'a sample from the future was stored as such');
      const monitor = await stored('monitor', 'cpu.count', now - 6000, now - 4000);
      assert.ok(!monitor.values.includes(64), 'an agent wrote another host');
    });

    it('is cut off by the server for a batch over the size limit, and the server stays up', async () => {
      const big = { sentAt: Date.now(), live: true, samples: [{ ts: Date.now(), values: { 'cpu.count': 1 } }], padding: 'x'.repeat(2_000_000) };
      socket.emit('samples', big, () => {});
      await waitFor(() => !socket.connected, 'the oversized connection to be closed', 5000);
      assert.equal((await fetch(`${server!.url}/healthz`)).status, 200);
    });
  });
});
