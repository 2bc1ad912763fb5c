/**
 * Builds the Koa app from its dependencies. It never listens: main.ts (or a
 * test) puts it on a server.
 */
import compress from 'koa-compress';
import Koa from 'koa';
import type { Database } from '../store/db.ts';
import type { DatabaseHealth } from '../store/health.ts';
import type { MetricCatalog } from '../store/metric-catalog.ts';
import type { AgentService } from '../fleet/agents.ts';
import type { HostRegistry } from '../fleet/hosts.ts';
import type { RecentWindow } from '../realtime/recent-window.ts';
import { bodyParser } from '@koa/bodyparser';
import { buildAgent } from '../agent/bundle.ts';
import { withDbPriority } from '../store/priority.ts';
import type { ChannelKind } from '../../shared/alerts.ts';
import type { AlertService } from '../alerts/service.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { AuthService } from '../auth/service.ts';
import { authenticate, sameOrigin, securityHeaders } from './auth.ts';
import { bodyParseError, errorBoundary, storableInput } from './errors.ts';
import { requestBudget } from './fairness.ts';
import { requestId } from './request-id.ts';
import { API } from '../../shared/routes.ts';
import { authRoutes } from './routes/auth.ts';
import { alertRoutes } from './routes/alerts.ts';
import { clientRoutes } from './routes/client.ts';
import { downloadRoutes } from './routes/downloads.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { appRoutes, type AppRouteDeps } from './routes/apps.ts';
import { clusterRoutes, type ClusterRouteDeps } from './routes/cluster.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsApiRoutes } from './routes/metrics-api.ts';
import { prometheusRoutes } from './routes/prometheus.ts';
import { reportRoutes } from './routes/reports.ts';
import type { ReportService } from '../reports/service.ts';

export interface AppDeps extends AppRouteDeps {
  /** Told the path of every successful write (cluster: other nodes reload what it changed). */
  announce?(path: string): void;
  cluster: ClusterRouteDeps;
  health: DatabaseHealth;
  apiRatePerAddress: number;
  database: Database;
  catalog: MetricCatalog;
  recent: RecentWindow;
  hosts: HostRegistry;
  agents: AgentService;
  localHost: string;
  intervalMs: number;
  version: string;
  startedAtMs: number;
  clientDist?: string | undefined;
  alerts: AlertService;
  notifiers: Record<ChannelKind, Notifier>;
  auth: AuthService;
  reports: ReportService;
  publicUrl: string;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once, by the error boundary
  app.use(requestId());
  app.use(errorBoundary(deps.health));
  app.use(requestBudget({ perSecond: deps.apiRatePerAddress, burst: deps.apiRatePerAddress * 4 }));
  // What a request makes the database do waits behind the server's own work (priority.ts).
  app.use(function requestLane(_ctx, next) {
    return withDbPriority('request', next);
  });
  app.use(securityHeaders());
  app.use(compress({ threshold: 1024 }));
  app.use(clientRoutes(deps.clientDist));
  app.use(sameOrigin(deps.publicUrl));
  const jsonBodies = bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', encoding: 'utf-8', onError: bodyParseError });
  // Pushes parse their own, larger bodies (routes/apps.ts).
  app.use(function body(ctx, next) {
    return ctx.path === API.ingest ? next() : jsonBodies(ctx, next);
  });
  app.use(storableInput());
  // A successful change of configuration is announced, so other server nodes reload it.
  app.use(async function announceChanges(ctx, next) {
    await next();
    if (deps.announce && ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.status < 400) deps.announce(ctx.path);
  });
  // Probes and scrapers first: they need no login and must answer even when the database does not.
  for (const router of [healthRoutes(deps), prometheusRoutes({ ...deps, node: deps.cluster.node }), downloadRoutes({ build: buildAgent })]) app.use(router.routes());
  app.use(authenticate(deps.auth));
  for (const router of [
    authRoutes({ auth: deps.auth, db: deps.database.db, secureCookies: deps.publicUrl.startsWith('https:') }),
    metricsApiRoutes({ ...deps, db: deps.database.db }),
    alertRoutes(deps),
    fleetRoutes(deps),
    appRoutes(deps),
    reportRoutes(deps),
    clusterRoutes(deps.cluster),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return app;
}
