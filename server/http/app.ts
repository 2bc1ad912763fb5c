/**
 * Builds the Koa app from its dependencies. It never listens: main.ts (or a
 * test) puts it on a server.
 */
import compress from 'koa-compress';
import Koa from 'koa';
import type { Database } from '../store/db.ts';
import type { SeriesIds } from '../store/series-ids.ts';
import type { HostDirectory } from '../realtime/hosts.ts';
import type { RecentWindow } from '../realtime/recent-window.ts';
import { bodyParser } from '@koa/bodyparser';
import type { ChannelKind } from '../../shared/alerts.ts';
import type { AlertService } from '../alerts/service.ts';
import type { Notifier } from '../notify/notifier.ts';
import { bodyParseError, errorBoundary } from './errors.ts';
import { alertRoutes } from './routes/alerts.ts';
import { clientRoutes } from './routes/client.ts';
import { healthRoutes } from './routes/health.ts';
import { metricsApiRoutes } from './routes/metrics-api.ts';
import { prometheusRoutes } from './routes/prometheus.ts';

export interface AppDeps {
  database: Database;
  ids: SeriesIds;
  recent: RecentWindow;
  hosts: HostDirectory;
  localHost: string;
  version: string;
  startedAtMs: number;
  clientDist?: string | undefined;
  alerts: AlertService;
  notifiers: Record<ChannelKind, Notifier>;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once, by the error boundary
  app.use(errorBoundary());
  app.use(compress({ threshold: 1024 }));
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', encoding: 'utf-8', onError: bodyParseError }));
  app.use(clientRoutes(deps.clientDist));
  for (const router of [
    healthRoutes(deps),
    prometheusRoutes(deps),
    metricsApiRoutes({ ...deps, db: deps.database.db }),
    alertRoutes(deps),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return app;
}
