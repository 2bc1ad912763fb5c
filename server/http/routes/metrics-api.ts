import { Router } from '@koa/router';
import { API } from '../../../shared/routes.ts';
import type { Context } from 'koa';
import {
  currentQuery, HISTORY_DEFAULT_POINTS, HISTORY_DEFAULT_RANGE_MS, HISTORY_MAX_RANGE_MS, historyQuery,
  type CatalogResponse, type CurrentResponse, type HistoryResponse, type HostsResponse,
} from '../../../shared/api.ts';
import type { HostRegistry } from '../../fleet/hosts.ts';
import type { RecentWindow } from '../../realtime/recent-window.ts';
import type { Db } from '../../store/db.ts';
import { queryHistory } from '../../store/history.ts';
import type { MetricCatalog } from '../../store/metric-catalog.ts';
import { requireRole } from '../auth.ts';
import { parseInput } from '../errors.ts';
import { concurrencyCap } from '../fairness.ts';
import { stringifyInSlices } from '../../lib/slices.ts';

export interface MetricsApiDeps {
  db: Db;
  hosts: HostRegistry;
  catalog: MetricCatalog;
  recent: RecentWindow;
  /** The server's own host: the default when a request names none. */
  localHost: string;
  intervalMs: number;
}

/** A clock skew allowance: `to` may lie a little in the future. */
const FUTURE_SLACK_MS = 86_400_000;
/** `current` leaves out values older than this many ticks of their host: they are not current. */
const CURRENT_MAX_TICKS = 3;

export function metricsApiRoutes(deps: MetricsApiDeps) {
  const router = new Router();
  router.use([API.hosts, API.metricsCatalog, API.metricsCurrent, API.metricsHistory], requireRole('viewer'));

  router.get(API.hosts, (ctx) => {
    ctx.body = { hosts: deps.hosts.list() } satisfies HostsResponse;
  });

  router.get(API.metricsCatalog, (ctx) => {
    ctx.body = { metrics: deps.catalog.list() } satisfies CatalogResponse;
  });

  router.get(API.metricsCurrent, (ctx) => {
    const { host = deps.localHost } = parseInput(ctx, currentQuery, ctx.query);
    const info = deps.hosts.list().find((h) => h.name === host);
    if (!info) return ctx.throw(404, `unknown host "${host}"`, { code: 'unknown_host' });
    const current = deps.recent.current(host, (CURRENT_MAX_TICKS + 0.5) * info.intervalMs);
    ctx.body = { host, ts: current?.ts ?? null, values: current?.values ?? {} } satisfies CurrentResponse;
  });

  const hostIdOf = (ctx: Context, host: string) => {
    const id = deps.hosts.anyId(host);
    if (id === undefined) return ctx.throw(404, `unknown host "${host}"`, { code: 'unknown_host' });
    return id;
  };

  // A history read is the one request that makes the database work hard: a few at a time per client.
  router.get(API.metricsHistory, concurrencyCap(4), async (ctx) => {
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
    const info = deps.catalog.info(q.metric);
    const metricId = deps.catalog.id(q.metric);
    if (!info || metricId === undefined) return ctx.throw(400, `unknown metric "${q.metric}"`, { code: 'unknown_metric' });
    const points = q.points ?? HISTORY_DEFAULT_POINTS;
    const result = await queryHistory(deps.db, { hostId, metricId, fromMs, toMs, points });
    const { points: list, ...head } = {
      metric: q.metric,
      unit: info.unit,
      host,
      from: fromMs,
      to: toMs,
      stepMs: result.stepMs,
      points: result.points,
    } satisfies HistoryResponse;
    // Up to 10,000 points: serialized a slice at a time, not in one stall.
    ctx.type = 'json';
    ctx.body = await stringifyInSlices(head, 'points', list);
  });

  return router;
}
