import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { Context } from 'koa';
import type { Channel, ChannelKind, Rule } from '../../../shared/alerts.ts';
import { hasRole } from '../../../shared/auth.ts';
import { maskChannel } from '../../../shared/channels.ts';
import { alertListQuery, noteSchema, ruleCreateSchema, rulePatchSchema, silenceCreateSchema } from '../../../shared/alert-schemas.ts';
import type { AlertService } from '../../alerts/service.ts';
import type { Notifier } from '../../notify/notifier.ts';
import { actorOf, principalOf, requireRole } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { collectionRoutes } from './collection.ts';
import { idParam, parseBody } from './params.ts';

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

  router.get(API.alerts, viewer, async (ctx) => {
    ctx.body = { alerts: await alerts.list(parseInput(ctx, alertListQuery, ctx.query)) };
  });
  router.get(API.alert, viewer, async (ctx) => {
    ctx.body = await alerts.detail(idParam(ctx));
  });
  router.post(API.alertAck, operator, async (ctx) => {
    const id = idParam(ctx);
    const { note } = parseBody(ctx, noteSchema);
    ctx.body = await alerts.acknowledge(id, actorOf(ctx), note);
  });
  router.post(API.alertUnack, operator, async (ctx) => {
    const id = idParam(ctx);
    ctx.body = await alerts.unacknowledge(id, actorOf(ctx));
  });
  router.post(API.alertResolve, operator, async (ctx) => {
    const id = idParam(ctx);
    const { note } = parseBody(ctx, noteSchema);
    ctx.body = await alerts.resolve(id, actorOf(ctx), note);
  });

  // A channel's target can be a secret (a webhook URL, a routing key): only admins see it whole.
  const shown = (ctx: Context, rule: Rule): Rule =>
    hasRole(principalOf(ctx).role, 'admin') ? rule : { ...rule, channels: rule.channels.map((c) => maskChannel(c) as Channel) };
  collectionRoutes(router, { list: API.rules, one: API.rule }, { read: viewer, write: admin }, {
    list: (ctx) => ({ rules: alerts.rules().map((r) => shown(ctx, r)) }),
    create: [ruleCreateSchema, (input, by) => alerts.createRule(input, by)],
    update: [rulePatchSchema, (id, patch, by) => alerts.updateRule(id, patch, by)],
    remove: (id, by) => alerts.deleteRule(id, by),
  });
  router.get(API.rule, viewer, (ctx) => {
    const rule = alerts.rule(idParam(ctx));
    if (!rule) return ctx.throw(404, 'rule not found', { code: 'not_found' });
    ctx.body = shown(ctx, rule);
  });

  // Viewers see everything, silences included; only operators change them.
  collectionRoutes(router, { list: API.silences, one: API.silence }, { read: viewer, write: operator }, {
    list: () => ({ silences: alerts.silences() }),
    create: [silenceCreateSchema, (input, by) => alerts.createSilence(input, by)],
    remove: (id, by) => alerts.deleteSilence(id, by),
  });

  /** Which notification channels can deliver, and why not. */
  router.get(API.channels, viewer, (ctx) => {
    ctx.body = {
      channels: Object.values(deps.notifiers).map((n) => ({ kind: n.kind, configured: n.notConfigured() === null, reason: n.notConfigured() })),
    };
  });

  return router;
}
