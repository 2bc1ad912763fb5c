import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { Context } from 'koa';
import type { Channel, ChannelKind, Rule } from '../../../shared/alerts.ts';
import { hasRole } from '../../../shared/auth.ts';
import { maskChannel } from '../../../shared/channels.ts';
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
  const router = new Router();
  const viewer = requireRole('viewer');
  const operator = requireRole('operator');
  const admin = requireRole('admin');
  const actor = (ctx: Context): Actor => ({ principal: principalOf(ctx), from: requestOrigin(ctx) });

  router.get(API.alerts, viewer, async (ctx) => {
    ctx.body = { alerts: await alerts.list(parseInput(ctx, alertListQuery, ctx.query)) };
  });
  router.get(API.alert, viewer, async (ctx) => {
    ctx.body = await alerts.detail(idParam(ctx));
  });
  router.post(API.alertAck, operator, async (ctx) => {
    const id = idParam(ctx);
    const { note } = parseInput(ctx, noteSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.acknowledge(id, actor(ctx), note);
  });
  router.post(API.alertUnack, operator, async (ctx) => {
    const id = idParam(ctx);
    ctx.body = await alerts.unacknowledge(id, actor(ctx));
  });
  router.post(API.alertResolve, operator, async (ctx) => {
    const id = idParam(ctx);
    const { note } = parseInput(ctx, noteSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.resolve(id, actor(ctx), note);
  });

  // A channel's target can be a secret (a webhook URL, a routing key): only admins see it whole.
  const shown = (ctx: Context, rule: Rule): Rule =>
    hasRole(principalOf(ctx).role, 'admin') ? rule : { ...rule, channels: rule.channels.map((c) => maskChannel(c) as Channel) };
  router.get(API.rules, viewer, (ctx) => {
    ctx.body = { rules: alerts.rules().map((r) => shown(ctx, r)) };
  });
  router.get(API.rule, viewer, (ctx) => {
    const rule = alerts.rule(idParam(ctx));
    if (!rule) return ctx.throw(404, 'rule not found', { code: 'not_found' });
    ctx.body = shown(ctx, rule);
  });
  router.post(API.rules, admin, async (ctx) => {
    const input = parseInput(ctx, ruleCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await alerts.createRule(input, actor(ctx));
  });
  router.patch(API.rule, admin, async (ctx) => {
    const id = idParam(ctx);
    const patch = parseInput(ctx, rulePatchSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.updateRule(id, patch, actor(ctx));
  });
  router.delete(API.rule, admin, async (ctx) => {
    await alerts.deleteRule(idParam(ctx), actor(ctx));
    ctx.status = 204;
  });

  // Viewers see everything, silences included; only operators change them.
  router.get(API.silences, viewer, (ctx) => {
    ctx.body = { silences: alerts.silences() };
  });
  router.post(API.silences, operator, async (ctx) => {
    const input = parseInput(ctx, silenceCreateSchema, jsonBody(ctx), 'body');
    ctx.status = 201;
    ctx.body = await alerts.createSilence(input, actor(ctx));
  });
  router.delete(API.silence, operator, async (ctx) => {
    await alerts.deleteSilence(idParam(ctx), actor(ctx));
    ctx.status = 204;
  });

  /** Which notification channels can deliver, and why not. */
  router.get(API.channels, viewer, (ctx) => {
    ctx.body = {
      channels: Object.values(deps.notifiers).map((n) => ({ kind: n.kind, configured: n.notConfigured() === null, reason: n.notConfigured() })),
    };
  });

  return router;
}
