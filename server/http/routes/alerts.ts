import { Router } from '@koa/router';
import type { Context } from 'koa';
import { type ChannelKind } from '../../../shared/alerts.ts';
import { alertListQuery, noteSchema, ruleCreateSchema, rulePatchSchema, silenceCreateSchema } from '../../../shared/alert-schemas.ts';
import type { Actor, AlertService } from '../../alerts/service.ts';
import type { Notifier } from '../../notify/notifier.ts';
import { principalOf, requestOrigin, requireRole } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { idParam, jsonBody } from './params.ts';

/**
 * Alerts (viewers read, operators act), rules (viewers read, admins write)
 * and silences (viewers read, operators write). The service audits every change.
 */
export function alertRoutes(deps: { alerts: AlertService; notifiers: Record<ChannelKind, Notifier> }) {
  const { alerts } = deps;
  const router = new Router({ prefix: '/api' });
  const viewer = requireRole('viewer');
  const operator = requireRole('operator');
  const admin = requireRole('admin');
  const actor = (ctx: Context): Actor => ({ principal: principalOf(ctx), from: requestOrigin(ctx) });

  router.get('/alerts', viewer, async (ctx) => {
    ctx.body = { alerts: await alerts.list(parseInput(ctx, alertListQuery, ctx.query)) };
  });
  router.get('/alerts/:id', viewer, async (ctx) => {
    ctx.body = await alerts.detail(idParam(ctx));
  });
  router.post('/alerts/:id/ack', operator, async (ctx) => {
    const id = idParam(ctx);
    const { note } = parseInput(ctx, noteSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.acknowledge(id, actor(ctx), note);
  });
  router.post('/alerts/:id/unack', operator, async (ctx) => {
    const id = idParam(ctx);
    ctx.body = await alerts.unacknowledge(id, actor(ctx));
  });
  router.post('/alerts/:id/resolve', operator, async (ctx) => {
    const id = idParam(ctx);
    const { note } = parseInput(ctx, noteSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.resolve(id, actor(ctx), note);
  });

  router.get('/rules', viewer, (ctx) => {
    ctx.body = { rules: alerts.rules() };
  });
  router.get('/rules/:id', viewer, (ctx) => {
    const rule = alerts.rule(idParam(ctx));
    if (!rule) ctx.throw(404, 'rule not found', { code: 'not_found' });
    ctx.body = rule;
  });
  router.post('/rules', admin, async (ctx) => {
    const input = parseInput(ctx, ruleCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await alerts.createRule(input, actor(ctx));
  });
  router.patch('/rules/:id', admin, async (ctx) => {
    const id = idParam(ctx);
    const patch = parseInput(ctx, rulePatchSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.updateRule(id, patch, actor(ctx));
  });
  router.delete('/rules/:id', admin, async (ctx) => {
    await alerts.deleteRule(idParam(ctx), actor(ctx));
    ctx.status = 204;
  });

  // Viewers see everything, silences included; only operators change them.
  router.get('/silences', viewer, (ctx) => {
    ctx.body = { silences: alerts.silences() };
  });
  router.post('/silences', operator, async (ctx) => {
    const input = parseInput(ctx, silenceCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await alerts.createSilence(input, actor(ctx));
  });
  router.delete('/silences/:id', operator, async (ctx) => {
    await alerts.deleteSilence(idParam(ctx), actor(ctx));
    ctx.status = 204;
  });

  /** Which notification channels can deliver, and why not. */
  router.get('/channels', viewer, (ctx) => {
    ctx.body = {
      channels: Object.values(deps.notifiers).map((n) => ({ kind: n.kind, configured: n.notConfigured() === null, reason: n.notConfigured() })),
    };
  });

  return router;
}
