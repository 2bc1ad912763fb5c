/**
 * Alerts over Socket.IO with real clients: every viewer sees every alert
 * change, operators acknowledge and resolve through acknowledgement
 * callbacks, malformed payloads get a clear `bad_request` and never hurt the
 * server, and a newly connecting viewer's snapshot holds the open alerts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Socket } from 'socket.io-client';
import type { Alert, AlertAck, Rule } from '../../shared/alerts.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { connect, connectForSnapshot, type TestSocket } from '../helpers/socket.ts';
import { calmMachine } from '../helpers/sources.ts';
import { waitFor } from '../helpers/wait.ts';

const TICK = 250;


/** A connected viewer that keeps every `alert` event it received. */
interface Viewer {
  socket: TestSocket;
  alerts: Alert[];
  /** Waits for an `alert` event that matches, among those received since index `from`. */
  seen(match: (a: Alert) => boolean, what: string, from?: number): Promise<Alert>;
}

/** `session`'s user acts through this socket: the server takes who acts from the session cookie. */
async function viewer(session: Session): Promise<Viewer> {
  const { socket } = await connectForSnapshot(session);
  const alerts: Alert[] = [];
  socket.on('alert', (a) => alerts.push(a));
  return { socket, alerts, seen: (match, what, from = 0) => waitFor(() => alerts.slice(from).find(match), `${session.username} to see ${what}`) };
}

const act = (socket: TestSocket, event: 'alert:ack' | 'alert:unack' | 'alert:resolve', payload: { id: number; note?: string }) =>
  socket.timeout(5000).emitWithAck(event, payload) as Promise<AlertAck>;

describe('alerts over Socket.IO', () => {
  let server: TestServer;
  let alice: Viewer;
  let bob: Viewer;
  before(async () => {
    // Known values: a busy machine's CPU would fire (and clear) default rules between a snapshot and a list.
    server = await startTestServer({ intervalMs: TICK, sources: calmMachine });
    [alice, bob] = await Promise.all([viewer(await server.user('alice', 'operator')), viewer(await server.user('bob', 'operator'))]);
  });
  after(async () => {
    alice?.socket.disconnect();
    bob?.socket.disconnect();
    await server?.close();
  });

  /** REST as the admin (rules need an admin; silences and reads are allowed to it too). */
  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const admin = await server.admin();
    const res = await admin.fetch(path, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async function createRule(fields: Partial<Rule> = {}): Promise<Rule> {
    const res = await api<Rule>('POST', '/api/rules', { name: `socket rule ${Math.random().toString(36).slice(2, 8)}`, metric: 'cpu.count', operator: '>=', threshold: 1, level: 'CRITICAL', ...fields });
    assert.equal(res.status, 201);
    return res.body;
  }

  const stored = async (id: number) => (await api<Alert>('GET', `/api/alerts/${id}`)).body;

  /**
   * Waits until alice has been sent every open alert (again) since index `from`: what a silence
   * change pushes. Known open alerts must be there; the push is one burst, so the rest came with them.
   */
  async function repushed(from: number, what: string) {
    await server.idle();
    const open = (await api<{ alerts: Alert[] }>('GET', '/api/alerts?state=open')).body.alerts;
    assert.ok(open.length > 0, 'no open alert to watch being pushed again');
    await waitFor(() => open.every((a) => alice.alerts.slice(from).some((x) => x.id === a.id)), `alice to be sent ${what}`);
    // And the rest of that burst: the answer to an action she sends now comes after it on her socket.
    const answer = await act(alice.socket, 'alert:ack', { id: 999_999 });
    assert.ok(!answer.ok && answer.error.code === 'not_found');
  }

  let rule: Rule;
  let fired: Alert;

  it('pushes the `alert` event to every viewer when a rule fires', async () => {
    rule = await createRule({ name: 'socket cores' });
    const [a, b] = await Promise.all([
      alice.seen((x) => x.ruleId === rule.id && x.state === 'firing', 'the firing alert'),
      bob.seen((x) => x.ruleId === rule.id && x.state === 'firing', 'the firing alert'),
    ]);
    assert.equal(a.id, b.id);
    assert.equal(a.ruleName, 'socket cores');
    assert.equal(a.level, 'CRITICAL');
    assert.equal(a.host, 'test-host');
    assert.equal(a.acknowledgedBy, null);
    fired = a;
    assert.equal((await stored(a.id)).state, 'firing', 'pushed only once stored');
  });

  it('alice acknowledges over the socket; bob sees it at once; bob cannot acknowledge again', async () => {
    const before = Date.now();
    const result = await act(alice.socket, 'alert:ack', { id: fired.id, note: 'on it' });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.alert.id, fired.id);
    assert.equal(result.alert.state, 'acknowledged');
    assert.equal(result.alert.acknowledgedBy, 'alice');
    assert.equal(result.alert.note, 'on it');
    assert.ok(result.alert.acknowledgedAt! >= before - 1000);

    const seen = await bob.seen((x) => x.id === fired.id && x.state === 'acknowledged', 'the acknowledgement');
    assert.equal(seen.acknowledgedBy, 'alice');
    assert.equal(seen.acknowledgedAt, result.alert.acknowledgedAt);
    assert.equal((await stored(fired.id)).acknowledgedBy, 'alice');

    const second = await act(bob.socket, 'alert:ack', { id: fired.id });
    assert.equal(second.ok, false);
    assert.ok(!second.ok);
    assert.equal(second.error.code, 'conflict');
    assert.match(second.error.message, /alice/);
    assert.equal((await stored(fired.id)).acknowledgedBy, 'alice', 'the refused ack changed nothing');
  });

  it('unacknowledges over the socket, seen by the other viewer', async () => {
    const from = alice.alerts.length;
    const result = await act(bob.socket, 'alert:unack', { id: fired.id });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.alert.state, 'firing');
    assert.equal(result.alert.acknowledgedBy, null);
    const seen = await alice.seen((x) => x.id === fired.id && x.state === 'firing', 'the unacknowledgement', from);
    assert.equal(seen.acknowledgedBy, null);
    const again = await act(bob.socket, 'alert:unack', { id: fired.id });
    assert.ok(!again.ok && again.error.code === 'conflict');
  });

  it('answers malformed payloads with bad_request and stays up', async () => {
    const raw = alice.socket as unknown as Socket;
    const payloads: unknown[] = [
      { id: 'x' },
      {},
      { id: 1, note: 5 },
      { id: fired.id, note: 'ok', extra: true },
      'a string',
      null,
      42,
      [fired.id],
      { id: -1 },
      { id: 1.5 },
      { id: fired.id, note: 'n'.repeat(1001) },
    ];
    for (const event of ['alert:ack', 'alert:unack', 'alert:resolve']) {
      for (const payload of payloads) {
        const result = (await raw.timeout(5000).emitWithAck(event, payload)) as AlertAck;
        assert.equal(result.ok, false, `${event} ${JSON.stringify(payload)}`);
        assert.ok(!result.ok);
        assert.equal(result.error.code, 'bad_request', `${event} ${JSON.stringify(payload)}`);
        assert.equal(typeof result.error.message, 'string');
        assert.doesNotMatch(result.error.message, /\bat .+\.ts:\d+/);
      }
    }
    assert.ok(alice.socket.connected);
    assert.equal((await api<{ status: string }>('GET', '/healthz')).body.status, 'ok');
    assert.equal((await stored(fired.id)).state, 'firing', 'a malformed payload changed the alert');

    const unknown = await act(alice.socket, 'alert:ack', { id: 999999 });
    assert.ok(!unknown.ok);
    assert.equal(unknown.error.code, 'not_found');
  });

  it('ignores an action sent without a callback, without crashing', async () => {
    const raw = bob.socket as unknown as Socket;
    raw.emit('alert:ack', { id: fired.id });
    raw.emit('alert:resolve', { id: fired.id, note: 'no callback' });
    raw.emit('alert:ack');
    // A socket's events are handled in order and alert actions run one at a time: once an action
    // sent after them is answered, any of them that was carried out has been carried out.
    const barrier = await act(bob.socket, 'alert:unack', { id: fired.id });
    assert.ok(!barrier.ok && barrier.error.code === 'conflict', `the alert was acknowledged without a callback: ${JSON.stringify(barrier)}`);
    await server.idle();
    assert.ok(bob.socket.connected);
    assert.equal((await stored(fired.id)).state, 'firing', 'an action without a callback was carried out');
    const ok = await act(bob.socket, 'alert:ack', { id: fired.id });
    assert.ok(ok.ok, 'the socket still works');
    assert.equal(ok.alert.acknowledgedBy, 'bob');
  });

  it('resolves over the socket; both viewers see it; a second resolve conflicts', async () => {
    const result = await act(bob.socket, 'alert:resolve', { id: fired.id, note: 'rebooted' });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.alert.state, 'resolved');
    assert.equal(result.alert.resolvedBy, 'bob');
    assert.equal(result.alert.note, 'rebooted');
    for (const v of [alice, bob]) {
      const seen = await v.seen((x) => x.id === fired.id && x.state === 'resolved', 'the resolution');
      assert.equal(seen.resolvedBy, 'bob');
    }
    assert.equal((await stored(fired.id)).state, 'resolved');
    const again = await act(alice.socket, 'alert:resolve', { id: fired.id });
    assert.ok(!again.ok && again.error.code === 'conflict');
  });

  it("a new viewer's snapshot holds the open alerts and no resolved ones", async () => {
    const other = await createRule({ name: 'still open', level: 'WARNING' });
    const open = await alice.seen((x) => x.ruleId === other.id && x.state === 'firing', 'the second alert');
    const acked = await act(alice.socket, 'alert:ack', { id: open.id });
    assert.ok(acked.ok);
    const { socket, snapshot } = await connectForSnapshot(await server.user('carol', 'viewer'));
    try {
      const ids = snapshot.alerts.map((a) => a.id);
      assert.ok(ids.includes(open.id), 'the open alert is missing from the snapshot');
      assert.ok(!ids.includes(fired.id), 'a resolved alert is in the snapshot');
      assert.ok(snapshot.alerts.every((a) => a.state !== 'resolved'));
      const inSnapshot = snapshot.alerts.find((a) => a.id === open.id)!;
      assert.equal(inSnapshot.state, 'acknowledged');
      assert.equal(inSnapshot.acknowledgedBy, 'alice');
      const listed = (await api<{ alerts: Alert[] }>('GET', '/api/alerts?state=open')).body.alerts.map((a) => a.id).sort();
      assert.deepEqual([...ids].sort(), listed, 'the snapshot and GET /api/alerts disagree on what is open');
    } finally {
      socket.disconnect();
    }
  });

  // Regression: the resolution of a deleted rule's alert is published after its rule_id became null.
  it("a rule deleted while its alert is open: the resolved alert leaves snapshots and is never pushed as firing again", async () => {
    const doomed = await createRule({ name: 'deleted while open' });
    const alert = await alice.seen((x) => x.ruleId === doomed.id && x.state === 'firing', 'the alert of the doomed rule');
    const from = alice.alerts.length;
    assert.equal((await api('DELETE', `/api/rules/${doomed.id}`)).status, 204);
    const resolved = await alice.seen((x) => x.id === alert.id && x.state === 'resolved', 'the resolution on delete', from);
    // What she is sent after it: a push of the firing state before it (the delivery of the firing
    // notification re-pushes the alert when it ends, late on a busy machine) is no regression.
    const afterResolution = alice.alerts.indexOf(resolved) + 1;
    assert.equal(resolved.ruleId, null);
    assert.equal(resolved.resolvedBy, 'system');

    // A silence change makes the server push every open alert again.
    const quiet = await createRule({ enabled: false });
    const silence = await api<{ id: number }>('POST', '/api/silences', { ruleId: quiet.id, minutes: 5 });
    assert.equal(silence.status, 201);
    await repushed(from, 'the open alerts again after the silence');
    const { socket, snapshot } = await connectForSnapshot(await server.user('dave', 'viewer'));
    socket.disconnect();
    const beforeDelete = alice.alerts.length;
    assert.equal((await api('DELETE', `/api/silences/${silence.body.id}`)).status, 204);
    await repushed(beforeDelete, 'the open alerts again after the silence was deleted');
    const stale = snapshot.alerts.find((a) => a.id === alert.id);
    assert.equal(stale, undefined, `a new viewer's snapshot shows resolved alert ${alert.id} as ${stale?.state}`);
    const pushedAgain = alice.alerts.slice(afterResolution).filter((a) => a.id === alert.id && a.state !== 'resolved');
    assert.deepEqual(pushedAgain.map((a) => a.state), [], 'viewers were told the resolved alert is open again');
  });

  // Was "refuses a handshake with an unusable user name": the handshake no longer names a user;
  // who acts is the session's user, and a socket without a session is refused.
  it('refuses a handshake without a session', async () => {
    const socket = connect(server.url);
    try {
      const err = await new Promise<Error>((resolve, reject) => {
        socket.once('connect_error', resolve);
        socket.once('connect', () => reject(new Error('connected without a session')));
      });
      assert.match(err.message, /log in/);
    } finally {
      socket.disconnect();
    }
  });
});
