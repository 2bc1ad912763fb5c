/**
 * The daily report email: a self-scheduling loop that, once REPORT_TIME has
 * come on a local day, has the service store yesterday's report and queue
 * its email (service.ts makes that happen once per day across restarts and
 * nodes). It runs only while `active()` — the cluster leader — and remembers
 * the day it settled so it does not ask the database again until the next.
 * A server that was stopped at REPORT_TIME sends yesterday's report when it
 * starts later that day; a day whose whole next day passed without a running
 * server is not caught up (POST /api/reports/send does it by hand).
 */
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { ReportService, ScheduleOutcome } from './service.ts';

const log = createLogger('reports');

export interface ReportSchedulerOptions {
  /** The clock (tests move it to the scheduled minute). */
  now?: () => number;
  /** How often to look (default 30 s). */
  pollMs?: number;
  /** Told what every pass did (tests wait on it instead of sleeping). */
  onPass?(outcome: ScheduleOutcome | { outcome: 'inactive' }): void;
}

export interface ReportSchedulerDeps extends ReportSchedulerOptions {
  reports: Pick<ReportService, 'runSchedule'>;
  /** REPORT_TIME, local time in the service's zone. */
  at: { hour: number; minute: number };
  /** Whether this node runs the schedule (the cluster leader; always on a single node). */
  active(): boolean;
  signal: AbortSignal;
}

export function startReportScheduler(deps: ReportSchedulerDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  let settled: string | undefined;
  return runLoop(
    async () => {
      if (!deps.active()) {
        deps.onPass?.({ outcome: 'inactive' });
        return;
      }
      const nowMs = now();
      const outcome = await deps.reports.runSchedule(nowMs, deps.at, settled);
      if (outcome.outcome === 'queued') log.info(`report of ${outcome.day} stored${outcome.deliveryId === null ? ' (no REPORT_EMAIL_TO: not mailed)' : ' and queued for email'}`);
      if (outcome.outcome === 'no data') log.info(`no data for ${outcome.day}: no report`);
      if (outcome.outcome !== 'not yet') settled = outcome.day;
      deps.onPass?.(outcome);
    },
    { intervalMs: deps.pollMs ?? 30_000, signal: deps.signal, log },
  );
}
