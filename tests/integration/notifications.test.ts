/**
 * Notifications end to end: a real in-process SMTP server, a real HTTP
 * webhook receiver, a real server with its outbox worker (retries at 200 ms
 * doubling to 1 s in tests). Receivers that are down or failing at first get
 * every notification exactly once when they are back.
 *
 * Reminders (`repeatSeconds`, at least 60 s) are tested on PostgreSQL only:
 * the test moves `last_notified_at` back through its own SQL connection
 * instead of waiting a minute. PGlite lives inside the server process and
 * takes no second connection, so there the test cannot be done without
 * waiting, and it is skipped (as it is when PostgreSQL is absent).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Alert, AlertDetail, Delivery, Rule } from '../../shared/alerts.ts';
import { createTempDatabase, postgresSkipReason, type TempDatabase } from '../helpers/postgres.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../helpers/smtp.ts';
import { calmMachine } from '../helpers/sources.ts';
import { startWebhookReceiver, type ReceivedHook, type TestWebhookReceiver } from '../helpers/webhook.ts';
import { waitFor } from '../helpers/wait.ts';

const TICK = 250;
const HOST = 'test-host';
const PUBLIC_URL = 'https://glasswatch.example.test';
const MAIL_FROM = 'glasswatch@example.test';
const MAIL_TO = 'oncall@example.test';


/** REST calls against one server, as its admin unless `as` is another logged-in session. */
function client(server: () => TestServer) {
  async function api<T = unknown>(method: string, path: string, body?: unknown, as?: Session): Promise<{ status: number; body: T }> {
    const session = as ?? (await server().admin());
    const res = await session.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
  let n = 0;
  return {
    api,
    async createRule(fields: Partial<Rule>): Promise<Rule> {
      const res = await api<Rule>('POST', '/api/rules', {
        name: `notify ${++n} ${Math.random().toString(36).slice(2, 7)}`,
        metric: 'cpu.count',
        operator: '>=',
        threshold: 1,
        level: 'WARNING',
        ...fields,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    },
    async openAlert(ruleId: number): Promise<Alert> {
      return waitFor(async () => (await api<{ alerts: Alert[] }>('GET', `/api/alerts?state=open&ruleId=${ruleId}`)).body.alerts[0], `an alert of rule ${ruleId}`);
    },
    async detail(id: number): Promise<AlertDetail> {
      const res = await api<AlertDetail>('GET', `/api/alerts/${id}`);
      assert.equal(res.status, 200);
      return res.body;
    },
    async delivery(id: number, pick: (d: Delivery) => boolean, until: (d: Delivery) => boolean, what: string, timeoutMs = 5000): Promise<Delivery> {
      return waitFor(async () => {
        const d = (await this.detail(id)).deliveries.find(pick);
        return d && until(d) && d;
      }, what, timeoutMs);
    },
    disable: (ruleId: number) => api('PATCH', `/api/rules/${ruleId}`, { enabled: false }),
  };
}

/**
 * Runs `n` outbox passes to their end (each `idle()` runs a pass and waits for every delivery it
 * started): what "nothing more is sent" is checked after, instead of sleeping through some passes.
 */
async function passes(server: TestServer, n = 3) {
  for (let i = 0; i < n; i++) await server.idle();
}

const hooksFor = (hook: TestWebhookReceiver, alertId: number, reason?: string) =>
  hook.requests.filter((r) => (r.json as { alert?: Alert } | undefined)?.alert?.id === alertId && (!reason || (r.json as { reason: string }).reason === reason));
const delivered = (hooks: ReceivedHook[]) => hooks.filter((r) => r.status < 300);
const mailsAbout = (smtp: TestSmtpServer, ruleName: string, what: string) =>
  smtp.messages.filter((m: ReceivedMail) => m.subject.includes(ruleName) && m.subject.includes(`— ${what}`));

describe('notifications', () => {
  let smtp: TestSmtpServer;
  let hook: TestWebhookReceiver;
  let server: TestServer;
  /** The same product with no SMTP settings at all. */
  let bare: TestServer;
  before(async () => {
    [smtp, hook] = await Promise.all([startSmtpServer(), startWebhookReceiver()]);
    [server, bare] = await Promise.all([
      startTestServer({
        intervalMs: TICK,
        sources: calmMachine,
        env: { SMTP_URL: smtp.url, ALERT_EMAIL_FROM: MAIL_FROM, ALERT_EMAIL_TO: MAIL_TO, PUBLIC_URL: `${PUBLIC_URL}/` },
      }),
      // Retries after 1 ms: a delivery that is (wrongly) retried is retried by the next outbox pass.
      startTestServer({ intervalMs: TICK, sources: calmMachine, outbox: { retryBaseMs: 1, maxRetryMs: 1 } }),
    ]);
  });
  after(async () => {
    await Promise.all([server?.close(), bare?.close()]);
    await Promise.all([smtp?.close(), hook?.close()]);
  });
  const gw = client(() => server);

  it('emails the firing and the resolution with level, rule, value, threshold, host, time and a link', async () => {
    const rule = await gw.createRule({ name: 'Cores are present', level: 'CRITICAL', channels: ['email'] });
    const alert = await gw.openAlert(rule.id);
    const sent = await gw.delivery(alert.id, (d) => d.reason === 'firing', (d) => d.status !== 'pending', 'the firing email');
    assert.equal(sent.status, 'sent', `delivery ${JSON.stringify(sent)}`);
    assert.equal(sent.channel, 'email');
    assert.equal(sent.attempts, 1);
    assert.equal(sent.lastError, null);
    assert.ok(sent.sentAt! >= alert.startedAt);

    const [mail, ...more] = mailsAbout(smtp, 'Cores are present', 'firing');
    assert.ok(mail, `no firing email among: ${smtp.messages.map((m) => m.subject).join(' | ')}`);
    assert.equal(more.length, 0, 'the firing email arrived more than once');
    assert.equal(mail.from, MAIL_FROM);
    assert.deepEqual(mail.to, [MAIL_TO]);
    assert.match(mail.headers.to ?? '', /oncall@example\.test/);
    assert.match(mail.subject, /\[CRITICAL\]/);
    assert.match(mail.subject, /Cores are present/);
    assert.ok(mail.subject.includes(HOST));
    assert.match(mail.text, new RegExp(`Value:\\s+${alert.value}\\b`));
    assert.match(mail.text, /Threshold:\s+>= 1\b/);
    assert.match(mail.text, new RegExp(`Host:\\s+${HOST}`));
    assert.ok(mail.text.includes(new Date(alert.startedAt).toISOString()), 'the time the alert started');
    assert.ok(mail.text.includes(`${PUBLIC_URL}/alerts?id=${alert.id}`), `no link in:\n${mail.text}`);
    assert.ok(!mail.text.includes(`${PUBLIC_URL}//`), 'PUBLIC_URL with a trailing slash doubles it');

    assert.equal((await gw.disable(rule.id)).status, 200);
    const resolvedDelivery = await gw.delivery(alert.id, (d) => d.reason === 'resolved', (d) => d.status !== 'pending', 'the resolution email');
    assert.equal(resolvedDelivery.status, 'sent');
    const resolvedMails = mailsAbout(smtp, 'Cores are present', 'resolved');
    assert.equal(resolvedMails.length, 1);
    assert.match(resolvedMails[0]!.subject, /\[CRITICAL\]/);
    assert.match(resolvedMails[0]!.text, /Resolved:\s+\S+ by system/);
    assert.ok(resolvedMails[0]!.text.includes(`${PUBLIC_URL}/alerts?id=${alert.id}`));

    const d = await gw.detail(alert.id);
    assert.deepEqual(d.deliveries.map((x) => [x.channel, x.reason, x.status]), [['email', 'firing', 'sent'], ['email', 'resolved', 'sent']]);
    const notified = d.timeline.filter((e) => e.kind === 'notified').map((e) => e.detail);
    assert.deepEqual(notified, ['firing via email', 'resolved via email']);
  });

  it('posts JSON with a Slack-compatible text and the alert to a webhook', async () => {
    const rule = await gw.createRule({ name: 'Hooked rule', level: 'WARNING', channels: [`webhook:${hook.url}/glasswatch?team=ops`, 'dashboard'] });
    const alert = await gw.openAlert(rule.id);
    await waitFor(async () => (await gw.detail(alert.id)).deliveries.every((d) => d.status === 'sent'), 'both deliveries sent');
    const [req, ...more] = hooksFor(hook, alert.id, 'firing');
    assert.ok(req, 'the webhook got nothing');
    assert.equal(more.length, 0);
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/glasswatch?team=ops');
    assert.match(String(req.headers['content-type']), /^application\/json/);
    const body = req.json as { text: string; reason: string; alert: Alert; link: string };
    assert.equal(typeof body.text, 'string');
    assert.match(body.text, /\[WARNING\] Hooked rule on test-host/);
    assert.match(body.text, /firing/);
    assert.ok(body.text.includes(`${PUBLIC_URL}/alerts?id=${alert.id}`));
    assert.equal(body.reason, 'firing');
    assert.equal(body.link, `${PUBLIC_URL}/alerts?id=${alert.id}`);
    assert.equal(body.alert.id, alert.id);
    assert.equal(body.alert.ruleId, rule.id);
    assert.equal(body.alert.state, 'firing');
    assert.equal(body.alert.host, HOST);
    assert.equal(body.alert.threshold, 1);
    const d = await gw.detail(alert.id);
    // A webhook URL is a secret (it may carry a token): deliveries show its host only.
    assert.deepEqual(d.deliveries.map((x) => [x.channel, x.status]), [[`webhook:${new URL(hook.url).host}/…`, 'sent'], ['dashboard', 'sent']]);
    await gw.disable(rule.id);
    await waitFor(() => delivered(hooksFor(hook, alert.id, 'resolved')).length === 1, 'the resolution on the webhook');
  });

  it('retries a webhook that answers 500 and delivers each notification exactly once when it recovers', async () => {
    hook.answerWith(500);
    try {
      const rule = await gw.createRule({ name: 'Flaky hook', channels: [`webhook:${hook.url}/flaky`] });
      const alert = await gw.openAlert(rule.id);
      const failing = await gw.delivery(alert.id, (d) => d.reason === 'firing', (d) => d.attempts >= 3, 'three attempts');
      assert.equal(failing.status, 'pending');
      assert.match(failing.lastError ?? '', /500/);
      assert.equal(failing.sentAt, null);
      // Resolve while the receiver is still down: that notification waits too.
      await gw.disable(rule.id);
      await gw.delivery(alert.id, (d) => d.reason === 'resolved', (d) => d.attempts >= 1 && d.status === 'pending', 'a failed resolution attempt');
      assert.equal(delivered(hooksFor(hook, alert.id)).length, 0);
      const failedEvents = (await gw.detail(alert.id)).timeline.filter((e) => e.kind === 'notify_failed');
      assert.ok(failedEvents.length >= 1 && failedEvents.length <= 2, 'one notify_failed event per delivery, not per attempt');
      assert.match(failedEvents[0]!.detail ?? '', /500/);

      hook.answerWith(200);
      await waitFor(async () => (await gw.detail(alert.id)).deliveries.every((d) => d.status === 'sent'), 'both deliveries sent', 6000);
      await passes(server); // several more outbox passes: nothing is sent twice
      const d = await gw.detail(alert.id);
      for (const reason of ['firing', 'resolved'] as const) {
        const arrived = delivered(hooksFor(hook, alert.id, reason));
        assert.equal(arrived.length, 1, `${reason} arrived ${arrived.length} times`);
        const row = d.deliveries.find((x) => x.reason === reason)!;
        assert.equal(row.status, 'sent');
        assert.equal(row.lastError, null);
        assert.equal(row.attempts, hooksFor(hook, alert.id, reason).length, 'every attempt reached the receiver once');
      }
      assert.ok(d.deliveries.find((x) => x.reason === 'firing')!.attempts >= 4);
    } finally {
      hook.answerWith(200);
    }
  });

  it('retries a webhook receiver that is down and delivers once it listens again', async () => {
    await hook.stop();
    try {
      const rule = await gw.createRule({ name: 'Hook down', channels: [`webhook:${hook.url}/down`] });
      const alert = await gw.openAlert(rule.id);
      const failing = await gw.delivery(alert.id, () => true, (d) => d.attempts >= 2 && !!d.lastError, 'two attempts, a failure recorded');
      assert.equal(failing.status, 'pending');
      assert.ok(failing.lastError && failing.lastError.length > 0);
      assert.equal(hooksFor(hook, alert.id).length, 0);
      await hook.start();
      const sent = await gw.delivery(alert.id, () => true, (d) => d.status === 'sent', 'delivery after the receiver is back', 6000);
      assert.ok(sent.attempts >= 3);
      await passes(server);
      assert.equal(delivered(hooksFor(hook, alert.id, 'firing')).length, 1);
      await gw.disable(rule.id);
    } finally {
      await hook.start().catch(() => {}); // already listening when the test passed
    }
  });

  it('retries an SMTP server that is down and delivers the mail once when it is back', async () => {
    await smtp.stop();
    try {
      const rule = await gw.createRule({ name: 'Mail server down', channels: ['email'] });
      const alert = await gw.openAlert(rule.id);
      const failing = await gw.delivery(alert.id, () => true, (d) => d.attempts >= 2 && !!d.lastError, 'two attempts, a failure recorded');
      assert.equal(failing.status, 'pending');
      assert.match(failing.lastError ?? '', /ECONNREFUSED|connect/i);
      await smtp.start();
      const sent = await gw.delivery(alert.id, () => true, (d) => d.status === 'sent', 'the mail after the server is back', 6000);
      assert.equal(sent.lastError, null);
      await passes(server);
      assert.equal(mailsAbout(smtp, 'Mail server down', 'firing').length, 1);
      await gw.disable(rule.id);
      await gw.delivery(alert.id, (d) => d.reason === 'resolved', (d) => d.status === 'sent', 'the resolution mail');
      assert.equal(mailsAbout(smtp, 'Mail server down', 'resolved').length, 1);
    } finally {
      await smtp.start().catch(() => {});
    }
  });

  it('retries an SMTP server that refuses mail for a while (451) and delivers once', async () => {
    smtp.rejectWith(451);
    try {
      const rule = await gw.createRule({ name: 'Mail refused', channels: ['email'] });
      const alert = await gw.openAlert(rule.id);
      const failing = await gw.delivery(alert.id, () => true, (d) => d.attempts >= 2 && !!d.lastError, 'two attempts, a failure recorded');
      assert.equal(failing.status, 'pending');
      assert.match(failing.lastError ?? '', /451/);
      assert.ok(smtp.rejected >= failing.attempts - 1, 'the attempts reached the SMTP server'); // the latest claimed attempt may still be in flight
      assert.equal(mailsAbout(smtp, 'Mail refused', 'firing').length, 0);
      smtp.rejectWith(null);
      await gw.delivery(alert.id, () => true, (d) => d.status === 'sent', 'the mail once accepted', 6000);
      await passes(server);
      assert.equal(mailsAbout(smtp, 'Mail refused', 'firing').length, 1);
      await gw.disable(rule.id);
    } finally {
      smtp.rejectWith(null);
    }
  });

  it('reports the email channel as configured when SMTP is set', async () => {
    const { body } = await gw.api<{ channels: Array<{ kind: string; configured: boolean; reason: string | null }> }>('GET', '/api/channels');
    assert.deepEqual(body.channels.find((c) => c.kind === 'email'), { kind: 'email', configured: true, reason: null });
  });

  describe('without SMTP settings', () => {
    const bareGw = client(() => bare);

    // A bounded run: with a 1 ms retry, a delivery that kept being retried would keep the outbox from going idle.
    it('fails the email delivery at once with "not configured", without retries, and still notifies the dashboard', { timeout: 30_000 }, async () => {
      const { body } = await bareGw.api<{ channels: Array<{ kind: string; configured: boolean; reason: string | null }> }>('GET', '/api/channels');
      const email = body.channels.find((c) => c.kind === 'email');
      assert.equal(email?.configured, false);
      assert.match(email?.reason ?? '', /SMTP_URL/);

      const rule = await bareGw.createRule({ channels: ['email', 'dashboard'] });
      const alert = await bareGw.openAlert(rule.id);
      const failed = await bareGw.delivery(alert.id, (d) => d.channel === 'email', (d) => d.status !== 'pending', 'the email delivery to settle');
      assert.equal(failed.status, 'failed');
      assert.match(failed.lastError ?? '', /not configured/);
      assert.match(failed.lastError ?? '', /SMTP_URL/);
      assert.equal(failed.attempts, 1);
      // This server retries after 1 ms (see `before`): a retry of it would be due by the first of these passes.
      await passes(bare);
      const d = await bareGw.detail(alert.id);
      const email2 = d.deliveries.find((x) => x.channel === 'email')!;
      assert.equal(email2.status, 'failed');
      assert.equal(email2.attempts, 1, 'a channel that is not configured was retried');
      assert.equal(d.deliveries.find((x) => x.channel === 'dashboard')?.status, 'sent');
      await bareGw.disable(rule.id);
    });
  });
});

describe('reminders stop once an alert is acknowledged [postgres]', async () => {
  const skip = await postgresSkipReason();
  if (skip) {
    it('needs PostgreSQL (the test moves last_notified_at back with its own SQL connection)', { skip }, () => {});
    return;
  }
  let db: TempDatabase;
  let sqlClient: pg.Client;
  let hook: TestWebhookReceiver;
  let server: TestServer;
  before(async () => {
    db = await createTempDatabase();
    [hook, server] = await Promise.all([startWebhookReceiver(), startTestServer({ intervalMs: TICK, sources: calmMachine, databaseUrl: db.url })]);
    sqlClient = new pg.Client({ connectionString: db.url });
    await sqlClient.connect();
  });
  after(async () => {
    await sqlClient?.end();
    await server?.close();
    await hook?.close();
    await db?.drop();
  });
  const gw = client(() => server);

  /** As if the last notification went out five minutes ago. */
  async function makeReminderDue(alertId: number) {
    const res = await sqlClient.query(`UPDATE alerts SET last_notified_at = now() - interval '5 minutes' WHERE id = $1`, [alertId]);
    assert.equal(res.rowCount, 1);
  }

  it('sends a reminder for a firing alert, none while it is acknowledged, and again after unacknowledging', async () => {
    const rule = await gw.createRule({ name: 'Reminder rule', channels: [`webhook:${hook.url}/remind`], repeatSeconds: 60 });
    assert.equal(rule.repeatSeconds, 60);
    const alert = await gw.openAlert(rule.id);
    await waitFor(() => delivered(hooksFor(hook, alert.id, 'firing')).length === 1, 'the firing notification');
    await passes(server); // each pass looks for due reminders first
    assert.equal(hooksFor(hook, alert.id, 'repeat').length, 0, 'a reminder before repeatSeconds passed');

    await makeReminderDue(alert.id);
    await server.idle(); // the pass the outbox's timer would run at the due time (moved into the past above)
    const [reminder] = await waitFor(() => {
      const r = delivered(hooksFor(hook, alert.id, 'repeat'));
      return r.length > 0 && r;
    }, 'a reminder');
    assert.match((reminder!.json as { text: string }).text, /still firing/);
    await waitFor(async () => (await gw.detail(alert.id)).deliveries.some((d) => d.reason === 'repeat' && d.status === 'sent'), 'the repeat delivery');
    await passes(server);
    assert.equal(delivered(hooksFor(hook, alert.id, 'repeat')).length, 1, 'one due reminder was sent more than once');

    const ack = await gw.api<Alert>('POST', `/api/alerts/${alert.id}/ack`, {}, await server.user('oscar', 'operator'));
    assert.equal(ack.status, 200);
    await makeReminderDue(alert.id);
    await passes(server); // the acknowledgement applied, then passes that each look for due reminders
    assert.equal(hooksFor(hook, alert.id, 'repeat').length, 1, 'an acknowledged alert was reminded');
    const deliveries = (await gw.detail(alert.id)).deliveries;
    assert.equal(deliveries.filter((d) => d.reason === 'repeat').length, 1, 'a reminder was queued for an acknowledged alert');
    const { rows } = await sqlClient.query<{ due: boolean }>(
      `SELECT last_notified_at < now() - interval '4 minutes' AS due FROM alerts WHERE id = $1`,
      [alert.id],
    );
    assert.equal(rows[0]?.due, true, 'the reminder clock of an acknowledged alert moved');

    // The control: the same due reminder goes out as soon as the alert is unacknowledged.
    assert.equal((await gw.api('POST', `/api/alerts/${alert.id}/unack`)).status, 200);
    await waitFor(() => delivered(hooksFor(hook, alert.id, 'repeat')).length === 2, 'a reminder after unacknowledging');
    await gw.disable(rule.id);
  });
});
