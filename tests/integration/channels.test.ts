/**
 * Every notification channel against a real local HTTP receiver, with the
 * exact payload each service expects: a generic webhook, Slack, Microsoft
 * Teams, Telegram (Bot API), PagerDuty (Events API v2: trigger, then resolve
 * with the same dedup key) and an HTTP SMS gateway (JSON and form
 * templates). Secret targets are masked for everyone but admins.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Alert, Rule } from '../../shared/alerts.ts';
import { checkChannel, maskChannel } from '../../shared/channels.ts';
import { fillSmsTemplate } from '../../server/notify/sms.ts';
import { startTestServer, type Session, type TestServer } from '../helpers/server.ts';
import { startWebhookReceiver, type ReceivedHook, type TestWebhookReceiver } from '../helpers/webhook.ts';
import { waitFor } from '../helpers/wait.ts';

describe('the channel table', () => {
  it('checks each kind\'s target with a message that says what is wrong', () => {
    assert.equal(checkChannel('dashboard'), null);
    assert.equal(checkChannel('slack:https://hooks.slack.com/services/T/B/x'), null);
    assert.equal(checkChannel('telegram:-1001234567890'), null);
    assert.equal(checkChannel('telegram:@ops_channel'), null);
    assert.equal(checkChannel('pagerduty:0123456789abcdef0123456789abcdef'), null);
    assert.equal(checkChannel('sms:+4915112345678'), null);
    assert.match(checkChannel('fax:123')!, /unknown channel "fax"/);
    assert.match(checkChannel('email:x')!, /takes no target/);
    assert.match(checkChannel('slack')!, /needs a target/);
    assert.match(checkChannel('teams:ftp://x')!, /http\(s\) URL/);
    assert.match(checkChannel('telegram:hello world')!, /chat id/);
    assert.match(checkChannel('pagerduty:short')!, /integration key/);
    assert.match(checkChannel('sms:0151 123')!, /international form/);
  });

  it('masks secret targets and leaves the others', () => {
    assert.equal(maskChannel('slack:https://hooks.slack.com/services/T/B/secret'), 'slack:hooks.slack.com/…');
    assert.equal(maskChannel('pagerduty:0123456789abcdef0123456789abcdef'), 'pagerduty:…cdef');
    assert.equal(maskChannel('sms:+4915112345678'), 'sms:+4915112345678');
    assert.equal(maskChannel('email'), 'email');
  });

  it('fills an SMS template: JSON-escaped in JSON, URL-encoded in a form', () => {
    assert.deepEqual(fillSmsTemplate('{"to":"{{to}}","message":"{{text}}"}', { to: '+491', text: 'a "quoted" & new\nline' }), {
      body: '{"to":"+491","message":"a \\"quoted\\" & new\\nline"}',
      json: true,
    });
    assert.deepEqual(fillSmsTemplate('to={{to}}&msg={{text}}', { to: '+491', text: 'a b&c' }), { body: 'to=%2B491&msg=a%20b%26c', json: false });
  });
});

describe('notification channels, delivered', () => {
  let server: TestServer;
  let receiver: TestWebhookReceiver;
  let admin: Session;

  before(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      intervalMs: 250,
      env: {
        TELEGRAM_BOT_TOKEN: '123456:bot-secret',
        TELEGRAM_API_URL: `${receiver.url}/telegram`,
        PAGERDUTY_EVENTS_URL: `${receiver.url}/pagerduty/v2/enqueue`,
        SMS_GATEWAY_URL: `${receiver.url}/sms`,
        SMS_BODY_TEMPLATE: '{"recipient":"{{to}}","body":"{{text}}","sender":"glasswatch"}',
        SMS_GATEWAY_AUTH: 'Bearer sms-gateway-key',
      },
    });
    admin = await server.admin();
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  /** Fires a rule with one channel (cpu.count ≥ 1 holds at once), waits for its delivery; returns the rule and the request. */
  async function fire(channel: string, path: string): Promise<{ rule: Rule; hook: ReceivedHook }> {
    const from = receiver.requests.length;
    const rule = await admin.json<Rule>('/api/rules', {
      method: 'POST',
      body: { name: `via ${channel.split(':')[0]}`, metric: 'cpu.count', host: 'test-host', operator: '>=', threshold: 1, level: 'CRITICAL', channels: [channel] },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const hook = await waitFor(() => receiver.requests.slice(from).find((r) => r.path.startsWith(path)), `a request to ${path}`, 10_000);
    return { rule: rule.body, hook };
  }

  async function firing(ruleId: number): Promise<Alert> {
    const { body } = await admin.json<{ alerts: Alert[] }>(`/api/alerts?ruleId=${ruleId}`);
    return body.alerts[0]!;
  }

  it('posts a generic webhook with a Slack-style text and the alert', async () => {
    const { rule, hook } = await fire(`webhook:${receiver.url}/hook`, '/hook');
    const body = hook.json as { text: string; reason: string; alert: Alert; link: string };
    const alert = await firing(rule.id);
    assert.equal(body.reason, 'firing');
    assert.equal(body.alert.id, alert.id);
    assert.match(body.text, /^\*\[CRITICAL\] via webhook on test-host — firing\*/);
    assert.match(body.link, new RegExp(`/alerts\\?id=${alert.id}$`));
  });

  it('posts Slack a headline text and a coloured attachment with a button to the alert', async () => {
    const { rule, hook } = await fire(`slack:${receiver.url}/slack/services/T0/B0/x`, '/slack/');
    const alert = await firing(rule.id);
    const body = hook.json as { text: string; attachments: Array<{ color: string; blocks: Array<{ type: string; text?: { text: string }; elements?: Array<{ url: string }> }> }> };
    assert.equal(body.text, '[CRITICAL] via slack on test-host — firing');
    assert.equal(body.attachments[0]!.color, '#ef4444');
    assert.match(body.attachments[0]!.blocks[0]!.text!.text, /Host: {6}test-host/);
    assert.match(body.attachments[0]!.blocks[1]!.elements![0]!.url, new RegExp(`/alerts\\?id=${alert.id}$`));
  });

  it('posts Teams an Adaptive Card', async () => {
    const { hook } = await fire(`teams:${receiver.url}/teams/webhook`, '/teams/');
    const body = hook.json as { type: string; attachments: Array<{ contentType: string; content: { type: string; body: Array<{ type: string; text?: string; facts?: Array<{ title: string; value: string }> }>; actions: Array<{ type: string; url: string }> } }> };
    assert.equal(body.type, 'message');
    const card = body.attachments[0]!;
    assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(card.content.type, 'AdaptiveCard');
    assert.equal(card.content.body[0]!.text, '[CRITICAL] via teams on test-host — firing');
    assert.deepEqual(card.content.body[2]!.facts!.find((f) => f.title === 'Host'), { title: 'Host', value: 'test-host' });
    assert.equal(card.content.actions[0]!.type, 'Action.OpenUrl');
  });

  it('sends Telegram a sendMessage to the chat, as the configured bot', async () => {
    const { hook } = await fire('telegram:-1001234567890', '/telegram/');
    assert.equal(hook.path, '/telegram/bot123456:bot-secret/sendMessage');
    const body = hook.json as { chat_id: number; text: string; disable_web_page_preview: boolean };
    assert.equal(body.chat_id, -1001234567890);
    assert.match(body.text, /^\[CRITICAL\] via telegram on test-host — firing\n\n/);
    assert.equal(body.disable_web_page_preview, true);
  });

  it('triggers a PagerDuty incident and resolves it with the same dedup key', async () => {
    const key = '0123456789abcdef0123456789abcdef';
    const { rule, hook } = await fire(`pagerduty:${key}`, '/pagerduty/');
    const alert = await firing(rule.id);
    const trigger = hook.json as { routing_key: string; event_action: string; dedup_key: string; payload: { summary: string; source: string; severity: string; component: string } };
    assert.deepEqual(
      [trigger.routing_key, trigger.event_action, trigger.dedup_key, trigger.payload.source, trigger.payload.severity, trigger.payload.component],
      [key, 'trigger', `glasswatch-alert-${alert.id}`, 'test-host', 'critical', 'cpu.count'],
    );
    const from = receiver.requests.length;
    assert.equal((await admin.json(`/api/alerts/${alert.id}/resolve`, { method: 'POST', body: {} })).status, 200);
    const resolve = await waitFor(() => receiver.requests.slice(from).find((r) => r.path.startsWith('/pagerduty/')), 'the resolve event', 10_000);
    assert.deepEqual(resolve.json, { routing_key: key, event_action: 'resolve', dedup_key: `glasswatch-alert-${alert.id}` });
  });

  it('sends an SMS through the gateway with the template and the auth header', async () => {
    const { hook } = await fire('sms:+4915112345678', '/sms');
    assert.equal(hook.headers.authorization, 'Bearer sms-gateway-key');
    assert.deepEqual(hook.json, { recipient: '+4915112345678', body: 'glasswatch: [CRITICAL] via sms on test-host — firing', sender: 'glasswatch' });
  });

  it('retries a channel whose service answers an error, saying why', async () => {
    receiver.answerWith(500);
    try {
      const { rule } = await fire(`slack:${receiver.url}/slack/broken`, '/slack/broken');
      const delivery = await waitFor(async () => (await firing(rule.id))?.deliveries.find((d) => d.lastError), 'the failed delivery', 10_000);
      assert.equal(delivery.status, 'pending');
      assert.match(delivery.lastError!, /HTTP 500/);
    } finally {
      receiver.answerWith(200);
    }
  });

  it('shows secret targets to admins only', async () => {
    const viewer = await server.user('vivi', 'viewer');
    const rules = (await viewer.json<{ rules: Rule[] }>('/api/rules')).body.rules;
    const slack = rules.find((r) => r.name === 'via slack')!;
    assert.deepEqual(slack.channels, [`slack:${new URL(receiver.url).host}/…`]);
    assert.equal(rules.find((r) => r.name === 'via sms')!.channels[0], 'sms:+4915112345678');
    const asAdmin = (await admin.json<{ rules: Rule[] }>('/api/rules')).body.rules.find((r) => r.name === 'via slack')!;
    assert.ok(asAdmin.channels[0]!.includes('/slack/services/T0/B0/x'));
    const alert = await firing(slack.id);
    assert.ok(alert.deliveries.every((d) => !d.channel.includes('/services/')), 'a delivery shows the secret');
  });
});
