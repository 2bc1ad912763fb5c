import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { Context } from 'koa';
import type { Report, ReportDeliveriesResponse, ReportSendResponse } from '../../../shared/reports.ts';
import { deliveriesQuery, reportQuery, reportSendSchema } from '../../../shared/reports-schemas.ts';
import type { ReportService } from '../../reports/service.ts';
import { principalOf, requestOrigin, requireRole } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { concurrencyCap } from '../fairness.ts';
import { parseBody } from './params.ts';

/**
 * Reports (viewers read, admins send): the report of a day or range as JSON
 * or CSV, the deliveries of report emails, and "send now". The service
 * audits every send.
 */
export function reportRoutes(deps: { reports: ReportService }) {
  const { reports } = deps;
  const router = new Router();
  const viewer = requireRole('viewer');
  // A report makes the database aggregate a day to a month of data: a couple at a time per client.
  const cap = concurrencyCap(2);

  router.get(API.reports, viewer, cap, async (ctx: Context) => {
    ctx.body = (await reports.get(parseInput(ctx, reportQuery, ctx.query))) satisfies Report;
  });
  router.get(API.reportsCsv, viewer, cap, async (ctx: Context) => {
    const { filename, body } = await reports.csv(parseInput(ctx, reportQuery, ctx.query));
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="${filename}"`);
    ctx.body = body;
  });
  router.get(API.reportDeliveries, viewer, async (ctx: Context) => {
    ctx.body = { deliveries: await reports.deliveries(parseInput(ctx, deliveriesQuery, ctx.query)) } satisfies ReportDeliveriesResponse;
  });
  router.post(API.reportSend, requireRole('admin'), cap, async (ctx: Context) => {
    const { day } = parseBody(ctx, reportSendSchema);
    ctx.status = 202;
    ctx.body = (await reports.send(day, { principal: principalOf(ctx), from: requestOrigin(ctx) })) satisfies ReportSendResponse;
  });
  return router;
}
