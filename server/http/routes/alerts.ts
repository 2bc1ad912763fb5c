import { Router } from '@koa/router';
import type { Context } from 'koa';
import { type ChannelKind } from '../../../shared/alerts.ts';
import { alertListQuery, noteSchema, ruleCreateSchema, rulePatchSchema, silenceCreateSchema } from '../../../shared/alert-schemas.ts';
import type { AuditAction } from '../../../shared/auth.ts';
import type { AlertService } from '../../alerts/service.ts';
import { actorName, type AuthService } from '../../auth/service.ts';
import type { Notifier } from '../../notify/notifier.ts';
import { principalOf, requestOrigin, requireRole } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { idParam, jsonBody } from './params.ts';

/**
 * Alerts (viewers read, operators act), rules (viewers read, admins write)
 * and silences (operators). Every change is written to the audit trail.
 */
export function alertRoutes(deps: { alerts: AlertService; auth: AuthService; notifiers: Record<ChannelKind, Notifier> }) {
  const { alerts } = deps;
  const router = new Router({ prefix: '/api' });
  const viewer = requireRole('viewer');
  const operator = requireRole('operator');
  const admin = requireRole('admin');
  const actor = (ctx: Context) => actorName(principalOf(ctx));
  const record = (ctx: Context, action: AuditAction, target: string, detail?: Record<string, unknown>) =>
    deps.auth.record(principalOf(ctx), action, target, requestOrigin(ctx), detail);

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
    await record(ctx, 'alert.ack', `alert ${id}`, note ? { note } : undefined);
  });
  router.post('/alerts/:id/unack', operator, async (ctx) => {
    const id = idParam(ctx);
    ctx.body = await alerts.unacknowledge(id, actor(ctx));
    await record(ctx, 'alert.unack', `alert ${id}`);
  });
  router.post('/alerts/:id/resolve', operator, async (ctx) => {
    const id = idParam(ctx);
    const { note } = parseInput(ctx, noteSchema, jsonBody(ctx), 'body');
    ctx.body = await alerts.resolve(id, actor(ctx), note);
    await record(ctx, 'alert.resolve', `alert ${id}`, note ? { note } : undefined);
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
    const rule = await alerts.createRule(input);
    await record(ctx, 'rule.create', `rule ${rule.id} "${rule.name}"`, input);
    ctx.status = 201;
    ctx.body = rule;
  });
  router.patch('/rules/:id', admin, async (ctx) => {
    const id = idParam(ctx);
    const patch = parseInput(ctx, rulePatchSchema, jsonBody(ctx), 'body');
    const rule = await alerts.updateRule(id, patch, actor(ctx));
    await record(ctx, 'rule.update', `rule ${id} "${rule.name}"`, patch);
    ctx.body = rule;
  });
  router.delete('/rules/:id', admin, async (ctx) => {
    const id = idParam(ctx);
    const name = alerts.rule(id)?.name;
    await alerts.deleteRule(id, actor(ctx));
    await record(ctx, 'rule.delete', `rule ${id} "${name}"`);
    ctx.status = 204;
  });

  router.get('/silences', operator, (ctx) => {
    ctx.body = { silences: alerts.silences() };
  });
  router.post('/silences', operator, async (ctx) => {
    const input = parseInput(ctx, silenceCreateSchema, jsonBody(ctx), 'body');
    const silence = await alerts.createSilence(input, actor(ctx));
    await record(ctx, 'silence.create', `silence ${silence.id}`, input);
    ctx.status = 201;
    ctx.body = silence;
  });
  router.delete('/silences/:id', operator, async (ctx) => {
    const id = idParam(ctx);
    await alerts.deleteSilence(id);
    await record(ctx, 'silence.delete', `silence ${id}`);
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
