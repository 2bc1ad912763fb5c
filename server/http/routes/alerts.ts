import { Router } from '@koa/router';
import type { Context } from 'koa';
import {
  alertListQuery, noteSchema, ruleCreateSchema, rulePatchSchema, silenceCreateSchema, type ChannelKind,
} from '../../../shared/alerts.ts';
import { ACTOR_NAME } from '../../../shared/events.ts';
import type { AlertService } from '../../alerts/service.ts';
import type { Notifier } from '../../notify/notifier.ts';
import { parseInput } from '../errors.ts';
import { idParam, jsonBody } from './params.ts';

/**
 * Until logins exist, who acts is the name in the `X-Glasswatch-User`
 * header (validated), else "anonymous".
 */
export function actorOf(ctx: Context): string {
  const name = ctx.get('X-Glasswatch-User').trim();
  return ACTOR_NAME.test(name) ? name : 'anonymous';
}

export function alertRoutes(deps: { alerts: AlertService; notifiers: Record<ChannelKind, Notifier> }) {
  const { alerts } = deps;
  const router = new Router({ prefix: '/api' });

  router.get('/alerts', async (ctx) => {
    const q = parseInput(ctx, alertListQuery, ctx.query);
    ctx.body = { alerts: await alerts.list(q) };
  });
  router.get('/alerts/:id', async (ctx) => {
    ctx.body = await alerts.detail(idParam(ctx));
  });
  router.post('/alerts/:id/ack', async (ctx) => {
    const { note } = parseInput(ctx, noteSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.acknowledge(idParam(ctx), actorOf(ctx), note);
  });
  router.post('/alerts/:id/unack', async (ctx) => {
    ctx.body = await alerts.unacknowledge(idParam(ctx), actorOf(ctx));
  });
  router.post('/alerts/:id/resolve', async (ctx) => {
    const { note } = parseInput(ctx, noteSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.resolve(idParam(ctx), actorOf(ctx), note);
  });

  router.get('/rules', (ctx) => {
    ctx.body = { rules: alerts.rules() };
  });
  router.get('/rules/:id', (ctx) => {
    const rule = alerts.rule(idParam(ctx));
    if (!rule) ctx.throw(404, 'rule not found', { code: 'not_found' });
    ctx.body = rule;
  });
  router.post('/rules', async (ctx) => {
    const input = parseInput(ctx, ruleCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await alerts.createRule(input);
  });
  router.patch('/rules/:id', async (ctx) => {
    const id = idParam(ctx);
    const patch = parseInput(ctx, rulePatchSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.updateRule(id, patch, actorOf(ctx));
  });
  router.delete('/rules/:id', async (ctx) => {
    await alerts.deleteRule(idParam(ctx), actorOf(ctx));
    ctx.status = 204;
  });

  router.get('/silences', (ctx) => {
    ctx.body = { silences: alerts.silences() };
  });
  router.post('/silences', async (ctx) => {
    const input = parseInput(ctx, silenceCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await alerts.createSilence(input, actorOf(ctx));
  });
  router.delete('/silences/:id', async (ctx) => {
    await alerts.deleteSilence(idParam(ctx));
    ctx.status = 204;
  });

  /** Which notification channels can deliver, and why not. */
  router.get('/channels', (ctx) => {
    ctx.body = {
      channels: Object.values(deps.notifiers).map((n) => ({ kind: n.kind, configured: n.notConfigured() === null, reason: n.notConfigured() })),
    };
  });

  return router;
}
