import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetricsEvent, TsMs } from '../../shared/events.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { connect, connectForSnapshot, nextEvent } from '../helpers/socket.ts';
import { tempDir } from '../helpers/databases.ts';

const INTERVAL = 250;
import { sleep } from '../helpers/wait.ts';

/** Largest distance between consecutive timestamps. */
function largestGap(ts: TsMs[]): number {
  let gap = 0;
  for (let i = 1; i < ts.length; i++) gap = Math.max(gap, ts[i]! - ts[i - 1]!);
  return gap;
}

describe('realtime over Socket.IO', () => {
  let server: TestServer;
  /** A logged-in viewer: sockets are refused without a session (see auth.test.ts). */
  let viewer: Session;
  before(async () => {
    server = await startTestServer({ intervalMs: INTERVAL });
    viewer = await server.user('victor', 'viewer');
    await sleep(1500);
  });
  after(() => server.close());

  it('sends a snapshot first, then one metrics event per tick', async () => {
    const { socket, snapshot } = await connectForSnapshot(viewer);
    try {
      assert.equal(snapshot.server.intervalMs, INTERVAL);
      assert.equal(snapshot.server.database, 'pglite');
      assert.ok(snapshot.hosts.some((h) => h.name === 'test-host' && h.online));
      const cpu = snapshot.series['test-host']?.['cpu.count'];
      assert.ok(cpu && cpu.length >= 4, `snapshot holds ${cpu?.length} cpu points`);
      assert.deepEqual(snapshot.alerts, []);
      const lastSnapshotTs = cpu.at(-1)![0];

      const events: MetricsEvent[] = [];
      socket.on('metrics', (e) => events.push(e));
      await sleep(INTERVAL * 4.5);
      assert.ok(events.length >= 3 && events.length <= 6, `${events.length} events in 4.5 ticks`);
      assert.ok(events[0]!.ts > lastSnapshotTs, 'live events continue after the snapshot');
      for (const e of events) {
        assert.equal(e.host, 'test-host');
        assert.equal(typeof e.values['cpu.usage_percent'], 'number');
      }
      assert.ok(largestGap(events.map((e) => e.ts)) < INTERVAL * 2);
    } finally {
      socket.disconnect();
    }
  });

  it('counts viewers, and sessions as login sessions (however many tabs) plus wall screens', async () => {
    const admin = await server.admin();
    const display = await admin.json<{ token: string }>('/api/displays', { method: 'POST', body: { name: 'Wall' } });
    const sockets = await Promise.all([
      connectForSnapshot(viewer, { clientId: 'tab-1' }),
      connectForSnapshot(viewer, { clientId: 'tab-2' }),
      connectForSnapshot(admin),
      connectForSnapshot(server.url, { token: display.body.token, clientId: 'screen-1' }),
      connectForSnapshot(server.url, { token: display.body.token, clientId: 'screen-2' }),
    ]);
    try {
      await nextEvent(sockets[0]!.socket, 'metrics');
      const e = await nextEvent(sockets[0]!.socket, 'metrics');
      assert.equal(e.values['app.viewers'], 5);
      assert.equal(e.values['app.sessions'], 4);
    } finally {
      for (const s of sockets) s.socket.disconnect();
    }
  });

  it('gives every viewer the same events', async () => {
    const a = await connectForSnapshot(viewer);
    const b = await connectForSnapshot(viewer);
    try {
      const [ea, eb] = await Promise.all([nextEvent(a.socket, 'metrics'), nextEvent(b.socket, 'metrics')]);
      assert.equal(ea.ts, eb.ts);
      assert.deepEqual(ea.values['cpu.count'], eb.values['cpu.count']);
    } finally {
      a.socket.disconnect();
      b.socket.disconnect();
    }
  });

  it('fills the gap after a reconnect: the snapshot starts where the client left off', async () => {
    const first = await connectForSnapshot(viewer);
    const last = await nextEvent(first.socket, 'metrics');
    first.socket.disconnect();
    await sleep(INTERVAL * 8); // missed ~8 ticks

    const again = await connectForSnapshot(viewer, { since: last.ts });
    again.socket.disconnect();
    const ts = again.snapshot.series['test-host']!['cpu.count']!.map(([t]) => t);
    assert.equal(ts[0], last.ts, 'the catch-up starts at the last sample the client had');
    assert.ok(ts.length >= 7, `only ${ts.length} points caught up`);
    assert.ok(largestGap(ts) < INTERVAL * 2, `hole of ${largestGap(ts)} ms in the catch-up`);
    assert.ok(Date.now() - ts.at(-1)! < INTERVAL * 3);
  });

  it('refuses a malformed handshake with a clear connect_error', async () => {
    const socket = connect(viewer, { since: 'yesterday' });
    const err = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    socket.disconnect();
    assert.match(err.message, /since/);
  });
});

describe('realtime across a server restart', () => {
  it('refills the recent window from storage, so a reconnecting viewer gets the samples from before the restart', async () => {
    const data = tempDir();
    try {
      let server = await startTestServer({ intervalMs: INTERVAL, dataDir: data.dir });
      const { socket } = await connectForSnapshot(await server.admin());
      const seen = await nextEvent(socket, 'metrics');
      await sleep(INTERVAL * 3);
      socket.disconnect();
      await server.close();

      server = await startTestServer({ intervalMs: INTERVAL, dataDir: data.dir });
      try {
        const { socket: again, snapshot } = await connectForSnapshot(await server.admin(), { since: seen.ts });
        const live = await nextEvent(again, 'metrics');
        again.disconnect();
        const ts = snapshot.series['test-host']!['cpu.count']!.map(([t]) => t);
        assert.equal(ts[0], seen.ts, 'stored samples from before the restart are in the snapshot');
        assert.ok(ts.filter((t) => t > seen.ts && t < snapshot.server.startedAt).length >= 2, 'the ticks after it too');
        assert.ok(live.ts >= snapshot.server.startedAt, 'then live samples of the new process');
      } finally {
        await server.close();
      }
    } finally {
      data.remove();
    }
  });
});
