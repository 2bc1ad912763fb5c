/**
 * Alerting end to end over REST, on a real server, once on PGlite and once
 * on PostgreSQL: default rules, firing once, forSeconds, automatic and manual
 * resolution (latched), acknowledgement, rule changes, history and filters,
 * restarts, silences, and bad input that stores nothing.
 *
 * Conditions are made true or false with metrics whose value is known here:
 * the machine is `calmMachine` (cpu.count 4, so `cpu.count >= 1` always holds,
 * and no default rule fires however busy the real machine is), and
 * `app.viewers` is the number of sockets this test has open (none, unless a
 * test connects one).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Alert, AlertDetail, Rule, Silence } from '../../shared/alerts.ts';
import type { ApiErrorBody } from '../../shared/api.ts';
import type { Role } from '../../shared/auth.ts';
import { describeEachDatabase } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { connectForSnapshot, type TestSocket } from '../helpers/socket.ts';
import { calmMachine } from '../helpers/sources.ts';
import { waitFor } from '../helpers/wait.ts';

const TICK = 250;
const HOST = 'test-host';


interface Reply<T> {
  status: number;
  body: T;
}

describeEachDatabase('alerting over REST', (target) => {
  describe('one server', () => {
    let server: TestServer;
    const start = () => startTestServer({ intervalMs: TICK, sources: calmMachine, ...target().serverOptions() });
    before(async () => {
      server = await start();
    });
    after(() => server.close());

    /** Who acts: the admin unless `as` names a user (logged in with their role from ROLE_OF). */
    interface As {
      as?: string;
      headers?: Record<string, string>;
    }

    /** Rules are written by admins; alerts and silences are handled by operators. */
    const ROLE_OF: Record<string, Role> = { erin: 'admin' };
    const sessionOf = (user?: string) => (user ? server.user(user, ROLE_OF[user] ?? 'operator') : server.admin());

    async function api<T = unknown>(method: string, path: string, body?: unknown, { as: user, headers = {} }: As = {}): Promise<Reply<T>> {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await (await sessionOf(user)).fetch(path, init);
      const text = await res.text();
      assert.doesNotMatch(text, /\bat .+\.ts:\d+/, 'a stack trace reached the client');
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    }

    const as = (user: string): As => ({ as: user });

    async function createRule(fields: Partial<Rule> & Record<string, unknown>): Promise<Rule> {
      const res = await api<Rule>('POST', '/api/rules', {
        name: `test rule ${Math.random().toString(36).slice(2, 8)}`,
        metric: 'cpu.count',
        operator: '>=',
        threshold: 1,
        level: 'WARNING',
        ...fields,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    }

    async function alertsOf(ruleId: number, state = 'all'): Promise<Alert[]> {
      const res = await api<{ alerts: Alert[] }>('GET', `/api/alerts?state=${state}&ruleId=${ruleId}`);
      assert.equal(res.status, 200);
      return res.body.alerts;
    }

    const openAlertOf = (ruleId: number, timeoutMs = 5000) =>
      waitFor(async () => (await alertsOf(ruleId, 'open'))[0], `an open alert of rule ${ruleId}`, timeoutMs);

    async function detail(id: number): Promise<AlertDetail> {
      const res = await api<AlertDetail>('GET', `/api/alerts/${id}`);
      assert.equal(res.status, 200);
      return res.body;
    }

    /** Waits until the server has evaluated `n` more ticks (the latest sample moved on n times). */
    async function ticks(n: number) {
      const ts = async () => (await api<{ ts: number | null }>('GET', '/api/metrics/current')).body.ts ?? 0;
      const from = await ts();
      await waitFor(async () => (await ts()) >= from + (n - 0.5) * TICK, `${n} ticks`, n * TICK + 5000);
      // The last tick is in memory; its evaluation (and anything it notifies) settles here.
      await server.idle();
    }

    async function viewer(): Promise<TestSocket> {
      return (await connectForSnapshot(await server.user('victor', 'viewer'))).socket;
    }

    it('has the eleven default rules on a fresh database', async () => {
      const { status, body } = await api<{ rules: Rule[] }>('GET', '/api/rules');
      assert.equal(status, 200);
      const shape = body.rules.map((r) => `${r.metric} ${r.operator} ${r.threshold} ${r.level}`).sort();
      assert.deepEqual(
        shape,
        [
          'cpu.usage_percent >= 70 WARNING',
          'cpu.usage_percent >= 85 CRITICAL',
          'memory.usage_percent >= 75 WARNING',
          'memory.usage_percent >= 90 CRITICAL',
          'disk.usage_percent >= 80 WARNING',
          'disk.usage_percent >= 95 CRITICAL',
          'db.query_ms >= 500 WARNING',
          'db.query_ms >= 1000 CRITICAL',
          'db.active_connections >= 80 WARNING',
          'db.active_connections >= 100 CRITICAL',
          'host.up < 1 CRITICAL',
        ].sort(),
      );
      for (const r of body.rules) {
        assert.equal(r.enabled, true);
        assert.equal(r.host, null);
        assert.ok(r.channels.includes('dashboard'));
      }
    });

    it('fires exactly once while the condition stays true', async () => {
      const rule = await createRule({ name: 'cores present', level: 'CRITICAL' });
      const alert = await openAlertOf(rule.id);
      assert.equal(alert.state, 'firing');
      assert.equal(alert.ruleName, 'cores present');
      assert.equal(alert.metric, 'cpu.count');
      assert.equal(alert.host, HOST);
      assert.equal(alert.level, 'CRITICAL');
      assert.equal(alert.threshold, 1);
      assert.equal(alert.operator, '>=');
      assert.ok(alert.value >= 1);
      assert.match(alert.message, /cores present/);
      assert.equal(alert.acknowledgedBy, null);
      assert.equal(alert.resolvedAt, null);

      await ticks(6);
      const all = await alertsOf(rule.id);
      assert.equal(all.length, 1, 'one alert for (rule, host) after many ticks');
      assert.equal(all[0]!.id, alert.id);
      assert.equal(all[0]!.state, 'firing');
      const fired = (await detail(alert.id)).timeline.filter((e) => e.kind === 'fired');
      assert.equal(fired.length, 1);
      await api('PATCH', `/api/rules/${rule.id}`, { enabled: false });
    });

    it('waits forSeconds before firing', async () => {
      const rule = await createRule({ forSeconds: 1 });
      // Two ticks evaluated with the rule in place, about half its forSeconds. However late a busy
      // machine gets here, nothing may have fired before forSeconds passed (less the tick's slack below).
      await ticks(2);
      for (const a of await alertsOf(rule.id)) {
        assert.ok(a.startedAt - rule.createdAt >= 1000 - 2 * TICK, `fired before forSeconds passed: ${a.startedAt - rule.createdAt} ms after the rule was created`);
      }
      const alert = await openAlertOf(rule.id);
      // The condition is first seen by the first sample evaluated after the rule exists; that sample
      // may have been taken a tick or so before createdAt. Without forSeconds, `held` is under a tick.
      const held = alert.startedAt - rule.createdAt;
      assert.ok(held >= 1000 - 2 * TICK, `fired ${held} ms after the rule was created`);
      assert.ok(held < 1000 + 8 * TICK, `fired ${held} ms after the rule was created: too late`);
      await api('PATCH', `/api/rules/${rule.id}`, { enabled: false });
    });

    it('resolves by itself ("system") when the condition clears', async () => {
      const rule = await createRule({ metric: 'app.viewers', operator: '>=', threshold: 1, name: 'someone watches' });
      await ticks(2);
      assert.deepEqual(await alertsOf(rule.id), [], 'no viewer yet: nothing fires');
      const socket = await viewer();
      let alert: Alert;
      try {
        alert = await openAlertOf(rule.id);
        assert.equal(alert.value, 1);
      } finally {
        socket.disconnect();
      }
      const resolved = await waitFor(async () => {
        const a = (await alertsOf(rule.id))[0];
        return a?.state === 'resolved' && a;
      }, 'automatic resolution');
      assert.equal(resolved.id, alert.id);
      assert.equal(resolved.resolvedBy, 'system');
      assert.ok(resolved.resolvedAt! >= alert.startedAt);
      assert.equal(resolved.acknowledgedBy, null);
      const timeline = (await detail(alert.id)).timeline;
      const last = timeline.findLast((e) => e.kind === 'resolved');
      assert.ok(last, 'resolved in the timeline');
      assert.equal(last.actor, 'system');
      assert.match(last.detail ?? '', /back to/);
      // The resolution is notified on the rule's channels, too.
      assert.ok((await detail(alert.id)).deliveries.some((d) => d.reason === 'resolved' && d.channel === 'dashboard'));
      await api('PATCH', `/api/rules/${rule.id}`, { enabled: false });
    });

    it('acknowledges as the logged-in user, refuses a second ack, unacknowledges', async () => {
      const rule = await createRule({});
      const alert = await openAlertOf(rule.id);
      const before = Date.now();
      const ack = await api<Alert>('POST', `/api/alerts/${alert.id}/ack`, { note: 'looking into it' }, as('carol'));
      assert.equal(ack.status, 200);
      assert.equal(ack.body.id, alert.id);
      assert.equal(ack.body.state, 'acknowledged');
      assert.equal(ack.body.acknowledgedBy, 'carol');
      assert.ok(ack.body.acknowledgedAt! >= before - 1000 && ack.body.acknowledgedAt! <= Date.now() + 1000);
      assert.equal(ack.body.note, 'looking into it');
      assert.equal((await alertsOf(rule.id, 'open'))[0]?.state, 'acknowledged', 'stored, not only answered');

      const again = await api<ApiErrorBody>('POST', `/api/alerts/${alert.id}/ack`, {}, as('dave'));
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'conflict');
      assert.match(again.body.error.message, /carol/);
      assert.equal((await detail(alert.id)).acknowledgedBy, 'carol', 'the conflicting ack changed nothing');

      const unack = await api<Alert>('POST', `/api/alerts/${alert.id}/unack`, undefined, as('carol'));
      assert.equal(unack.status, 200);
      assert.equal(unack.body.state, 'firing');
      assert.equal(unack.body.acknowledgedBy, null);
      assert.equal(unack.body.acknowledgedAt, null);
      const unackAgain = await api<ApiErrorBody>('POST', `/api/alerts/${alert.id}/unack`);
      assert.equal(unackAgain.status, 409);
      assert.equal(unackAgain.body.error.code, 'conflict');

      // The retired X-Glasswatch-User header names nobody: who acts is the session's user.
      const claimed = await api<Alert>('POST', `/api/alerts/${alert.id}/ack`, {}, { as: 'dave', headers: { 'X-Glasswatch-User': 'carol' } });
      assert.equal(claimed.status, 200);
      assert.equal(claimed.body.acknowledgedBy, 'dave');
      const kinds = (await detail(alert.id)).timeline.map((e) => `${e.kind}:${e.actor}`);
      assert.deepEqual(
        kinds.filter((k) => /^(acknowledged|unacknowledged)/.test(k)),
        ['acknowledged:carol', 'unacknowledged:carol', 'acknowledged:dave'],
      );
      await api('PATCH', `/api/rules/${rule.id}`, { enabled: false });
    });

    it('a manual resolution latches: no re-fire while the condition holds, a new alert once it cleared and came back', async () => {
      const rule = await createRule({ metric: 'app.viewers', operator: '>=', threshold: 1 });
      let socket = await viewer();
      try {
        const alert = await openAlertOf(rule.id);
        const res = await api<Alert>('POST', `/api/alerts/${alert.id}/resolve`, { note: 'known, fixing' }, as('dave'));
        assert.equal(res.status, 200);
        assert.equal(res.body.state, 'resolved');
        assert.equal(res.body.resolvedBy, 'dave');
        assert.equal(res.body.note, 'known, fixing');
        const twice = await api<ApiErrorBody>('POST', `/api/alerts/${alert.id}/resolve`, {}, as('dave'));
        assert.equal(twice.status, 409);
        assert.equal(twice.body.error.code, 'conflict');
        const ackResolved = await api<ApiErrorBody>('POST', `/api/alerts/${alert.id}/ack`, {}, as('dave'));
        assert.equal(ackResolved.status, 409);

        await ticks(6);
        const all = await alertsOf(rule.id);
        assert.equal(all.length, 1, 'the still-true condition fired again after a manual resolution');
        assert.equal(all[0]!.state, 'resolved');
      } finally {
        socket.disconnect();
      }
      await ticks(2); // the condition clears: the latch opens
      socket = await viewer();
      try {
        const second = await openAlertOf(rule.id);
        assert.equal((await alertsOf(rule.id)).length, 2);
        assert.equal(second.state, 'firing');
      } finally {
        socket.disconnect();
      }
      await api('PATCH', `/api/rules/${rule.id}`, { enabled: false });
    });

    it('disabling a rule or changing its condition resolves its open alerts; renaming does not', async () => {
      const a = await createRule({});
      const b = await createRule({});
      const [alertA, alertB] = await Promise.all([openAlertOf(a.id), openAlertOf(b.id)]);

      const renamed = await api<Rule>('PATCH', `/api/rules/${a.id}`, { name: 'renamed rule' }, as('erin'));
      assert.equal(renamed.status, 200);
      assert.equal(renamed.body.name, 'renamed rule');
      assert.equal((await detail(alertA.id)).state, 'firing', 'a rename keeps the alert open');

      const disabled = await api<Rule>('PATCH', `/api/rules/${a.id}`, { enabled: false }, as('erin'));
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body.enabled, false);
      const changed = await api<Rule>('PATCH', `/api/rules/${b.id}`, { threshold: 100000 }, as('erin'));
      assert.equal(changed.status, 200);
      assert.equal(changed.body.threshold, 100000);

      for (const [alert, why] of [[alertA, /disabled by erin/], [alertB, /changed by erin/]] as const) {
        const d = await detail(alert.id);
        assert.equal(d.state, 'resolved');
        assert.equal(d.resolvedBy, 'system');
        assert.match(d.timeline.findLast((e) => e.kind === 'resolved')?.detail ?? '', why);
      }
      await ticks(4);
      assert.equal((await alertsOf(a.id)).length, 1, 'a disabled rule fired');
      assert.equal((await alertsOf(b.id)).length, 1, 'a rule whose condition is false fired');
      assert.equal((await api<Rule>('GET', `/api/rules/${b.id}`)).body.threshold, 100000);
    });

    it('deleting a rule resolves its alerts and keeps them in history with ruleId null', async () => {
      const rule = await createRule({ name: 'to be deleted' });
      const alert = await openAlertOf(rule.id);
      const del = await api('DELETE', `/api/rules/${rule.id}`, undefined, as('erin'));
      assert.equal(del.status, 204);
      const rules = (await api<{ rules: Rule[] }>('GET', '/api/rules')).body.rules;
      assert.ok(!rules.some((r) => r.id === rule.id), 'deleted rule still listed');
      assert.equal((await api<ApiErrorBody>('GET', `/api/rules/${rule.id}`)).status, 404);

      const kept = await detail(alert.id);
      assert.equal(kept.ruleId, null);
      assert.equal(kept.ruleName, 'to be deleted');
      assert.equal(kept.state, 'resolved');
      assert.equal(kept.resolvedBy, 'system');
      assert.match(kept.timeline.findLast((e) => e.kind === 'resolved')?.detail ?? '', /deleted by erin/);
      const history = (await api<{ alerts: Alert[] }>('GET', '/api/alerts?state=all')).body.alerts;
      assert.ok(history.some((a) => a.id === alert.id && a.ruleId === null));
      await ticks(2);
      const again = (await api<{ alerts: Alert[] }>('GET', '/api/alerts?state=all')).body.alerts.filter((a) => a.ruleName === 'to be deleted');
      assert.equal(again.length, 1, 'a deleted rule fired');
    });

    it('lists alerts by state, level, host and rule, newest first, with a limit', async () => {
      const warn = await createRule({ level: 'WARNING' });
      const crit = await createRule({ level: 'CRITICAL' });
      const [w, c] = await Promise.all([openAlertOf(warn.id), openAlertOf(crit.id)]);
      assert.equal((await api('POST', `/api/alerts/${c.id}/resolve`, {})).status, 200);

      type List = { alerts: Alert[] };
      const ids = async (query: string) => {
        const res = await api<List>('GET', `/api/alerts?${query}`);
        assert.equal(res.status, 200, query);
        return res.body.alerts;
      };
      const open = await ids('state=open');
      assert.ok(open.some((a) => a.id === w.id) && !open.some((a) => a.id === c.id));
      assert.ok(open.every((a) => a.state !== 'resolved'));
      const byDefault = await ids('');
      assert.deepEqual(byDefault.map((a) => a.id), open.map((a) => a.id), 'state=open is the default');
      const resolved = await ids('state=resolved');
      assert.ok(resolved.some((a) => a.id === c.id) && !resolved.some((a) => a.id === w.id));
      assert.ok(resolved.every((a) => a.state === 'resolved'));
      const all = await ids('state=all');
      assert.ok(all.some((a) => a.id === c.id) && all.some((a) => a.id === w.id));
      assert.ok(all.length > open.length);
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.startedAt >= all[i]!.startedAt, 'newest first');

      const critical = await ids('state=all&level=CRITICAL');
      assert.ok(critical.length > 0 && critical.every((a) => a.level === 'CRITICAL'));
      assert.ok(critical.some((a) => a.id === c.id) && !critical.some((a) => a.id === w.id));
      assert.equal((await ids(`state=all&host=${HOST}`)).length, all.length);
      assert.deepEqual(await ids('state=all&host=elsewhere'), []);
      assert.deepEqual((await ids(`state=all&ruleId=${warn.id}`)).map((a) => a.id), [w.id]);
      const one = await ids('state=all&limit=1');
      assert.equal(one.length, 1);
      assert.equal(one[0]!.id, all[0]!.id);
      assert.equal((await ids('state=all&limit=2')).length, 2);

      for (const bad of ['state=bogus', 'limit=0', 'limit=abc', 'limit=5000', 'level=PANIC', 'ruleId=x']) {
        const res = await api<ApiErrorBody>('GET', `/api/alerts?${bad}`);
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error.code, 'bad_request', bad);
      }
      await api('PATCH', `/api/rules/${warn.id}`, { enabled: false });
      await api('PATCH', `/api/rules/${crit.id}`, { enabled: false });
    });

    it('shows an alert with its timeline: fired, notified, acknowledged, resolved', async () => {
      const rule = await createRule({ channels: ['dashboard'] });
      const alert = await openAlertOf(rule.id);
      await waitFor(async () => (await detail(alert.id)).deliveries.some((d) => d.status === 'sent'), 'the dashboard delivery');
      assert.equal((await api('POST', `/api/alerts/${alert.id}/ack`, { note: 'mine' }, as('frank'))).status, 200);
      assert.equal((await api('POST', `/api/alerts/${alert.id}/resolve`, { note: 'fixed' }, as('grace'))).status, 200);
      const d = await detail(alert.id);
      assert.equal(d.id, alert.id);
      assert.equal(d.state, 'resolved');
      assert.equal(d.acknowledgedBy, 'frank');
      assert.equal(d.resolvedBy, 'grace');
      const kinds = d.timeline.map((e) => e.kind);
      const at = (k: string) => kinds.indexOf(k as never);
      for (const k of ['fired', 'notified', 'acknowledged', 'resolved']) assert.ok(at(k) >= 0, `timeline lacks ${k}: ${kinds.join(', ')}`);
      assert.ok(at('fired') < at('notified') && at('notified') < at('acknowledged') && at('acknowledged') < at('resolved'), kinds.join(', '));
      assert.equal(d.timeline[at('acknowledged')]!.actor, 'frank');
      assert.equal(d.timeline[at('resolved')]!.actor, 'grace');
      for (let i = 1; i < d.timeline.length; i++) assert.ok(d.timeline[i - 1]!.at <= d.timeline[i]!.at);
      const firing = d.deliveries.find((x) => x.reason === 'firing');
      assert.equal(firing?.channel, 'dashboard');
      assert.equal(firing?.status, 'sent');

      for (const path of ['/api/alerts/999999', '/api/alerts/abc', '/api/alerts/-1']) {
        const res = await api<ApiErrorBody>('GET', path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.error.code, 'not_found');
      }
    });

    it('keeps open alerts (and manual resolutions) across a restart without firing or notifying again', async () => {
      const rule = await createRule({ name: 'survives restarts', channels: ['dashboard'] });
      const latched = await createRule({ name: 'resolved before restart' });
      const alert = await openAlertOf(rule.id);
      const latchedAlert = await openAlertOf(latched.id);
      assert.equal((await api('POST', `/api/alerts/${latchedAlert.id}/resolve`, {}, as('heidi'))).status, 200);
      await waitFor(async () => (await detail(alert.id)).deliveries.every((d) => d.status === 'sent'), 'the firing delivery');
      const firingBefore = (await detail(alert.id)).deliveries.filter((d) => d.reason === 'firing');
      assert.equal(firingBefore.length, 1);

      await server.close();
      server = await start();
      await ticks(6);

      const after = await alertsOf(rule.id);
      assert.equal(after.length, 1, 'fired again after the restart');
      assert.equal(after[0]!.id, alert.id);
      assert.equal(after[0]!.state, 'firing');
      assert.equal(after[0]!.startedAt, alert.startedAt);
      const d = await detail(alert.id);
      assert.equal(d.timeline.filter((e) => e.kind === 'fired').length, 1);
      assert.deepEqual(d.deliveries.filter((x) => x.reason === 'firing'), firingBefore, 'a second firing notification was queued');
      const latchedAfter = await alertsOf(latched.id);
      assert.equal(latchedAfter.length, 1, 'a manually resolved alert fired again after the restart');
      assert.equal(latchedAfter[0]!.state, 'resolved');

      // The restored alert is still one operators can act on, and viewers see it.
      const { socket, snapshot } = await connectForSnapshot(await server.user('victor', 'viewer'));
      socket.disconnect();
      assert.ok(snapshot.alerts.some((a) => a.id === alert.id));
      const ack = await api<Alert>('POST', `/api/alerts/${alert.id}/ack`, {}, as('ivan'));
      assert.equal(ack.status, 200);
      assert.equal(ack.body.acknowledgedBy, 'ivan');
      await api('PATCH', `/api/rules/${rule.id}`, { enabled: false });
      await api('PATCH', `/api/rules/${latched.id}`, { enabled: false });
    });

    it('records alerts of a silenced rule without notifying anyone; a silence can be deleted', async () => {
      const rule = await createRule({ enabled: false, channels: ['dashboard'] });
      const created = await api<Silence>('POST', '/api/silences', { ruleId: rule.id, minutes: 10, reason: 'maintenance' }, as('judy'));
      assert.equal(created.status, 201);
      const silence = created.body;
      assert.equal(silence.ruleId, rule.id);
      assert.equal(silence.host, null);
      assert.equal(silence.createdBy, 'judy');
      assert.equal(silence.reason, 'maintenance');
      assert.ok(Math.abs(silence.endsAt - silence.startsAt - 10 * 60_000) < 1000);
      const listed = (await api<{ silences: Silence[] }>('GET', '/api/silences')).body.silences;
      assert.ok(listed.some((s) => s.id === silence.id));

      assert.equal((await api('PATCH', `/api/rules/${rule.id}`, { enabled: true })).status, 200);
      const alert = await openAlertOf(rule.id);
      assert.equal(alert.silenced, true);
      const d = await waitFor(async () => {
        const x = await detail(alert.id);
        return x.deliveries.length > 0 && x.deliveries.every((del) => del.status !== 'pending') && x;
      }, 'the delivery to be settled');
      assert.deepEqual(d.deliveries.map((x) => [x.reason, x.status]), [['firing', 'suppressed']]);
      assert.equal(d.deliveries[0]!.sentAt, null);
      assert.ok(!d.timeline.some((e) => e.kind === 'notified'), 'a silenced alert was notified');
      assert.match(d.timeline.find((e) => e.kind === 'fired')?.detail ?? '', /silenced/);

      const del = await api('DELETE', `/api/silences/${silence.id}`, undefined, as('judy'));
      assert.equal(del.status, 204);
      assert.ok(!(await api<{ silences: Silence[] }>('GET', '/api/silences')).body.silences.some((s) => s.id === silence.id));
      const gone = await api<ApiErrorBody>('DELETE', `/api/silences/${silence.id}`);
      assert.equal(gone.status, 404);
      assert.equal(gone.body.error.code, 'not_found');

      for (const [body, status] of [
        [{ minutes: 10 }, 422],
        [{ ruleId: 999999, minutes: 10 }, 422],
        [{ ruleId: rule.id, minutes: 0 }, 422],
        [{ ruleId: rule.id }, 400],
        [{ ruleId: rule.id, minutes: 10, until: 'tomorrow' }, 400],
      ] as const) {
        const res = await api<ApiErrorBody>('POST', '/api/silences', body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.body.error.code, status === 422 ? 'invalid_value' : 'bad_request');
      }
      assert.ok(!(await api<{ silences: Silence[] }>('GET', '/api/silences')).body.silences.some((s) => s.ruleId === 999999));
      await api('PATCH', `/api/rules/${rule.id}`, { enabled: false });
    });

    // Regression: the database cascades a rule's silences away; the in-memory list must follow.
    it('deleting a rule removes its silences (listed silences can be deleted)', async () => {
      const rule = await createRule({ enabled: false });
      const created = await api<Silence>('POST', '/api/silences', { ruleId: rule.id, minutes: 10 });
      assert.equal(created.status, 201);
      assert.equal((await api('DELETE', `/api/rules/${rule.id}`)).status, 204);
      const listed = (await api<{ silences: Silence[] }>('GET', '/api/silences')).body.silences;
      const stale = listed.find((s) => s.id === created.body.id);
      const del = stale ? await api<ApiErrorBody>('DELETE', `/api/silences/${stale.id}`) : undefined;
      assert.equal(stale, undefined, `GET /api/silences still lists silence ${created.body.id} of deleted rule ${rule.id}; DELETE of it answers ${del?.status}`);
    });

    describe('bad input is refused with a clear error and stores nothing', () => {
      const valid = { name: 'valid', metric: 'cpu.count', operator: '>=', threshold: 1, level: 'WARNING' };
      let rulesBefore: Rule[];
      before(async () => {
        rulesBefore = (await api<{ rules: Rule[] }>('GET', '/api/rules')).body.rules;
      });
      after(async () => {
        const rulesAfter = (await api<{ rules: Rule[] }>('GET', '/api/rules')).body.rules;
        assert.deepEqual(rulesAfter, rulesBefore, 'a refused request changed the rules');
      });

      const cases: Array<[string, string, string, unknown, string | undefined, number, string]> = [
        ['broken JSON', 'POST', '/api/rules', '{"name": "x", "metric":', undefined, 400, 'invalid_json'],
        ['a body over 64 kB', 'POST', '/api/rules', { ...valid, name: 'x'.repeat(70_000) }, undefined, 413, 'body_too_large'],
        ['a non-JSON body', 'POST', '/api/rules', 'name=x&metric=cpu.count', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
        ['a text/plain body', 'POST', '/api/rules', JSON.stringify(valid), 'text/plain', 415, 'unsupported_media_type'],
        // The server's rule (server/http/errors.ts): wrong types and shapes are 400; well-formed
        // values that cannot be (unknown names, out-of-range numbers) are 422.
        ['an unknown metric', 'POST', '/api/rules', { ...valid, metric: 'cpu.bogus' }, undefined, 422, 'invalid_value'],
        ['an unknown operator', 'POST', '/api/rules', { ...valid, operator: '=>' }, undefined, 422, 'invalid_value'],
        ['a non-numeric threshold', 'POST', '/api/rules', { ...valid, threshold: 'high' }, undefined, 400, 'bad_request'],
        ['threshold 150 on a percent metric', 'POST', '/api/rules', { ...valid, metric: 'cpu.usage_percent', threshold: 150 }, undefined, 422, 'invalid_value'],
        ['a negative threshold', 'POST', '/api/rules', { ...valid, threshold: -1 }, undefined, 422, 'invalid_value'],
        ['an unknown level', 'POST', '/api/rules', { ...valid, level: 'PANIC' }, undefined, 422, 'invalid_value'],
        ['a negative forSeconds', 'POST', '/api/rules', { ...valid, forSeconds: -5 }, undefined, 422, 'invalid_value'],
        ['fractional forSeconds (not an integer)', 'POST', '/api/rules', { ...valid, forSeconds: 1.5 }, undefined, 400, 'bad_request'],
        ['an unknown field', 'POST', '/api/rules', { ...valid, colour: 'red' }, undefined, 400, 'bad_request'],
        ['a webhook URL that is not http(s)', 'POST', '/api/rules', { ...valid, channels: ['webhook:ftp://example.test/x'] }, undefined, 422, 'invalid_value'],
        ['a webhook that is no URL', 'POST', '/api/rules', { ...valid, channels: ['webhook:not a url'] }, undefined, 422, 'invalid_value'],
        ['an unknown channel', 'POST', '/api/rules', { ...valid, channels: ['sms'] }, undefined, 422, 'invalid_value'],
        ['a missing name', 'POST', '/api/rules', { ...valid, name: undefined }, undefined, 400, 'bad_request'],
        ['an array body', 'POST', '/api/rules', [valid], undefined, 400, 'bad_request'],
        ['a PATCH of an unknown rule', 'PATCH', '/api/rules/999999', { threshold: 5 }, undefined, 404, 'not_found'],
        ['a PATCH making a percent threshold 150', 'PATCH', '/api/rules/1', { threshold: 150 }, undefined, 422, 'invalid_value'],
        ['a PATCH with an unknown field', 'PATCH', '/api/rules/1', { colour: 'red' }, undefined, 400, 'bad_request'],
        ['a PATCH of nothing', 'PATCH', '/api/rules/1', {}, undefined, 422, 'invalid_value'],
        ['a DELETE of an unknown rule', 'DELETE', '/api/rules/999999', undefined, undefined, 404, 'not_found'],
        ['a non-numeric rule id', 'DELETE', '/api/rules/abc', undefined, undefined, 404, 'not_found'],
        ['a PATCH of a non-numeric rule id', 'PATCH', '/api/rules/1x', { threshold: 5 }, undefined, 404, 'not_found'],
        ['an ack of an unknown alert', 'POST', '/api/alerts/999999/ack', {}, undefined, 404, 'not_found'],
        ['an ack of a non-numeric alert id', 'POST', '/api/alerts/abc/ack', {}, undefined, 404, 'not_found'],
        ['a resolve of an unknown alert', 'POST', '/api/alerts/999999/resolve', {}, undefined, 404, 'not_found'],
        ['an ack with an unknown field', 'POST', '/api/alerts/1/ack', { who: 'me' }, undefined, 400, 'bad_request'],
      ];
      for (const [what, method, path, body, type, status, code] of cases) {
        it(`${what} → ${status} ${code}`, async () => {
          const res = await api<ApiErrorBody>(method, path, body, type ? { headers: { 'content-type': type } } : {});
          assert.equal(res.status, status, JSON.stringify(res.body));
          assert.equal(res.body.error.code, code);
          assert.ok(res.body.error.message.length > 3);
          const rulesNow = (await api<{ rules: Rule[] }>('GET', '/api/rules')).body.rules;
          assert.deepEqual(rulesNow, rulesBefore, 'nothing stored');
        });
      }

      it('the server still serves after all of it', async () => {
        assert.equal((await api<{ status: string }>('GET', '/healthz')).body.status, 'ok');
      });
    });
  });
});
