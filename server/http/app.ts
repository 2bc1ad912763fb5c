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
import { errorBoundary } from './errors.ts';
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
  clientDist?: string;
}

export function createApp(deps: AppDeps): Koa {
  const app = new Koa();
  app.silent = true; // errors are logged once, by the error boundary
  app.use(errorBoundary());
  app.use(compress({ threshold: 1024 }));
  app.use(clientRoutes(deps.clientDist));
  for (const router of [
    healthRoutes(deps),
    prometheusRoutes(deps),
    metricsApiRoutes({ ...deps, db: deps.database.db }),
  ]) {
    app.use(router.routes());
    app.use(router.allowedMethods({ throw: true }));
  }
  return app;
}
