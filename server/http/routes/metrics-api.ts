import { Router } from '@koa/router';
import type { Context } from 'koa';
import {
  currentQuery, HISTORY_DEFAULT_POINTS, HISTORY_DEFAULT_RANGE_MS, HISTORY_MAX_RANGE_MS, historyQuery,
  type CurrentResponse, type HistoryResponse, type HostsResponse,
} from '../../../shared/api.ts';
import { METRICS } from '../../../shared/catalog.ts';
import type { HostDirectory } from '../../realtime/hosts.ts';
import type { RecentWindow } from '../../realtime/recent-window.ts';
import type { Db } from '../../store/db.ts';
import { queryHistory } from '../../store/history.ts';
import type { SeriesIds } from '../../store/series-ids.ts';
import { requireRole } from '../auth.ts';
import { parseInput } from '../errors.ts';

export interface MetricsApiDeps {
  db: Db;
  ids: SeriesIds;
  recent: RecentWindow;
  hosts: HostDirectory;
  /** The server's own host: the default when a request names none. */
  localHost: string;
}

/** A clock skew allowance: `to` may lie a little in the future. */
const FUTURE_SLACK_MS = 86_400_000;

export function metricsApiRoutes(deps: MetricsApiDeps) {
  const router = new Router({ prefix: '/api' });
  router.use(['/hosts', '/metrics'], requireRole('viewer'));

  const hostIdOf = (ctx: Context, host: string) => {
    const id = deps.ids.knownHostId(host);
    if (id === undefined) ctx.throw(404, `unknown host "${host}"`, { code: 'unknown_host' });
    return id;
  };

  router.get('/hosts', (ctx) => {
    ctx.body = { hosts: deps.hosts.list() } satisfies HostsResponse;
  });

  router.get('/metrics/current', (ctx) => {
    const { host = deps.localHost } = parseInput(ctx, currentQuery, ctx.query);
    hostIdOf(ctx, host);
    const latest = deps.recent.latest(host);
    ctx.body = { host, ts: latest?.ts ?? null, values: latest?.values ?? {} } satisfies CurrentResponse;
  });

  router.get('/metrics/history', async (ctx) => {
    const q = parseInput(ctx, historyQuery, ctx.query);
    const host = q.host ?? deps.localHost;
    const now = Date.now();
    const toMs = q.to ?? now;
    const fromMs = q.from ?? toMs - HISTORY_DEFAULT_RANGE_MS;
    if (fromMs >= toMs) ctx.throw(422, '"from" must be before "to"', { code: 'invalid_range' });
    if (toMs - fromMs > HISTORY_MAX_RANGE_MS) {
      ctx.throw(422, `range longer than ${HISTORY_MAX_RANGE_MS / 86_400_000} days`, { code: 'invalid_range' });
    }
    if (toMs > now + FUTURE_SLACK_MS) ctx.throw(422, '"to" lies more than a day in the future', { code: 'invalid_range' });
    const hostId = hostIdOf(ctx, host);
    const points = q.points ?? HISTORY_DEFAULT_POINTS;
    const result = await queryHistory(deps.db, { hostId, metricId: deps.ids.metricId(q.metric), fromMs, toMs, points });
    ctx.body = {
      metric: q.metric,
      unit: METRICS[q.metric].unit,
      host,
      from: fromMs,
      to: toMs,
      stepMs: result.stepMs,
      points: result.points,
    } satisfies HistoryResponse;
  });

  return router;
}
