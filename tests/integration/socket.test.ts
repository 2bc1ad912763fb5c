import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MetricsEvent, TsMs } from '../../shared/events.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { connect, connectForSnapshot, nextEvent, recordMetrics } from '../helpers/socket.ts';
import { tempDir } from '../helpers/databases.ts';
import { calmMachine } from '../helpers/sources.ts';

const INTERVAL = 250;

/** Asserts timestamps strictly increase: in order, none twice. */
function assertIncreasing(ts: TsMs[], what: string) {
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!, `${what}: ${ts[i - 1]} then ${ts[i]}`);
}

describe('realtime over Socket.IO', () => {
  let server: TestServer;
  /** A logged-in viewer: sockets are refused without a session (see auth.test.ts). */
  let viewer: Session;
  before(async () => {
    // Known values: a busy machine's CPU would fire a default rule and put an alert in the snapshot.
    server = await startTestServer({ intervalMs: INTERVAL, sources: calmMachine });
    viewer = await server.user('victor', 'viewer');
    // The recent window holds a few ticks before the tests connect (the snapshot test wants 4).
    const { socket } = await connectForSnapshot(viewer);
    await recordMetrics(socket).count(4);
    socket.disconnect();
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

      // However long the ticks take on a busy machine: the next 4 events, whenever they come.
      const events: MetricsEvent[] = [...(await recordMetrics(socket).count(4))];
      assert.ok(events[0]!.ts > lastSnapshotTs, 'live events continue after the snapshot');
      for (const e of events) {
        assert.equal(e.host, 'test-host');
        assert.equal(typeof e.values['cpu.usage_percent'], 'number');
      }
      // One event per tick: each newer than the one before, none twice, and no tick the server made
      // in that span left out (its own record of them: a snapshot from the first one on). Exact
      // whatever the machine's pace; the loop's cadence itself is tested on a fake clock (scheduler.test.ts).
      const live = events.map((e) => e.ts);
      assertIncreasing(live, 'live events');
      const record = await connectForSnapshot(viewer, { since: live[0]! });
      record.socket.disconnect();
      const made = record.snapshot.series['test-host']!['cpu.count']!.map(([t]) => t).filter((t) => t <= live.at(-1)!);
      assert.deepEqual(live, made, 'the live events are not the ticks the server made');
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
    // A second viewer stays connected throughout: it sees every tick the first one misses.
    const observer = await connectForSnapshot(viewer);
    const stream = recordMetrics(observer.socket, 'test-host');
    try {
      const first = await connectForSnapshot(viewer);
      const last = await nextEvent(first.socket, 'metrics');
      first.socket.disconnect();
      // Away while the server ticks 8 times.
      await stream.until((events) => events.filter((e) => e.ts > last.ts).length >= 8, '8 ticks while the client is away');
      const missed = stream.events.map((e) => e.ts).filter((t) => t > last.ts);

      const again = await connectForSnapshot(viewer, { since: last.ts });
      again.socket.disconnect();
      const ts = again.snapshot.series['test-host']!['cpu.count']!.map(([t]) => t);
      assert.equal(ts[0], last.ts, 'the catch-up starts at the last sample the client had');
      // Every tick it missed, in order, up to the newest one sent before it came back: no hole (however
      // irregular a busy machine's ticks were), nothing stale.
      assert.deepEqual(ts.slice(0, missed.length + 1), [last.ts, ...missed], 'the catch-up is not the ticks the client missed');
      assertIncreasing(ts, 'the catch-up');
    } finally {
      observer.socket.disconnect();
    }
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
      let server = await startTestServer({ intervalMs: INTERVAL, sources: calmMachine, dataDir: data.dir });
      const { socket } = await connectForSnapshot(await server.admin());
      const seen = await nextEvent(socket, 'metrics');
      await recordMetrics(socket).count(3); // three more ticks before the restart
      socket.disconnect();
      await server.close();

      server = await startTestServer({ intervalMs: INTERVAL, sources: calmMachine, dataDir: data.dir });
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
