/**
 * Wiring only: config → database → bus → collectors → HTTP + Socket.IO.
 * `startServer` is what tests call; the process's entry is server/start.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { isBuiltinMetric, METRICS, type MetricDef } from '../shared/catalog.ts';
import { SNAPSHOT_MAX_WINDOW_MS, type MetricsEvent, type ServerInfo } from '../shared/events.ts';
import { startCollector } from './collect/scheduler.ts';
import { createSources, type SourceDeps } from './collect/sources/index.ts';
import type { Source } from './collect/source.ts';
import type { Config } from './config.ts';
import { createApp } from './http/app.ts';
import { answerClientErrors } from './http/fairness.ts';
import { createSampleBus } from './lib/bus.ts';
import { createLogger, quietWhen } from './lib/log.ts';
import { createDatabaseHealth } from './store/health.ts';
import { createAlertService } from './alerts/service.ts';
import { createAuthService } from './auth/service.ts';
import { runLoop } from './lib/loop.ts';
import { watchRevocations } from './realtime/auth.ts';
import { createNotifiers } from './notify/index.ts';
import { startOutbox, type OutboxDeps } from './notify/outbox.ts';
import { createMailer } from './notify/email.ts';
import { createReportService } from './reports/service.ts';
import { startReportScheduler, type ReportSchedulerOptions } from './reports/scheduler.ts';
import { changedBy, connectNodes, createNodeRegistry, electLeader, forwardSamples, type Changed } from './cluster/index.ts';
import type { CrossNode } from './cluster/cross-node.ts';
import { createAgentService } from './fleet/agents.ts';
import { registerAgentNamespace } from './fleet/agent-socket.ts';
import { loadHostRegistry } from './fleet/hosts.ts';
import { startLiveness } from './fleet/liveness.ts';
import { createAppPanelService } from './apps/panels.ts';
import { createDerivedService } from './ingest/derived.ts';
import { createIngest } from './ingest/ingest.ts';
import { createPushIngest } from './ingest/push.ts';
import { createExpositionPool } from './scrape/exposition-pool.ts';
import { createTargetService } from './scrape/targets.ts';
import { createRecentWindow } from './realtime/recent-window.ts';
import { createRealtime } from './realtime/socket.ts';
import { openDatabase, type Database } from './store/db.ts';
import type { EmbeddedStart } from './store/embedded.ts';
import { recentEvents } from './store/history.ts';
import { startMaintenance, type StoreContext } from './store/maintenance.ts';
import { loadMetricCatalog } from './store/metric-catalog.ts';
import { createSampleWriter } from './store/writer.ts';
import { VERSION } from './version.ts';

const log = createLogger('server');

export interface RunningServer {
  url: string;
  port: number;
  /** Set on the very first start: the admin login (printed once by `main`). */
  firstAdmin: { username: string; password: string; generated: boolean } | null;
  /** The server's database (tests read what it stored through it). */
  database: Database;
  /**
   * Resolves once everything already started has settled: queued samples
   * written, alert changes applied, notifications delivered or scheduled for
   * retry. What tests await instead of sleeping.
   */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** The name samples of this machine are stored under (default: os.hostname()). */
  hostName?: string;
  clientDist?: string;
  /** Retry timing of notifications (tests shorten it). */
  outbox?: Pick<OutboxDeps, 'retryBaseMs' | 'maxRetryMs' | 'pollMs'>;
  /** The sources of this machine's samples (tests give ones whose values they set). Default: the real ones. */
  sources?: (deps: SourceDeps) => readonly Source[];
  /** The daily report's clock and cadence (tests move the clock to REPORT_TIME). */
  reports?: ReportSchedulerOptions;
  /** Embedded PGlite already starting (server/start.ts begins it before this module has loaded). */
  embedded?: Promise<EmbeddedStart>;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const startedAtMs = Date.now();
  const stop = new AbortController();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, embedded: opts.embedded });
  const { db } = database;
  const health = createDatabaseHealth(database);
  // While the database is away, everything that fails because of it stays quiet: health logs it once.
  quietWhen((err) => health.failed(err));
  // One leader per installation evaluates, notifies, maintains, scrapes and reports (cluster/).
  const leadership = await electLeader({ node: config.nodeName, databaseUrl: config.databaseUrl, db });
  const leads = () => leadership.isLeader();
  const catalog = await loadMetricCatalog(db);
  const hosts = await loadHostRegistry(db, { intervalMs: config.collectIntervalMs });
  const auth = await createAuthService({ db, adminPassword: config.adminPassword });
  const firstAdmin = await auth.ensureAdmin();
  const agents = await createAgentService({ db, hosts });
  const localHost = opts.hostName ?? os.hostname();
  await hosts.ensure(localHost, 'server', config.collectIntervalMs);

  // The last hour in memory, refilled from storage so a restart leaves no hole in any chart.
  const intervalOf = (host: string) => hosts.list().find((h) => h.name === host)?.intervalMs ?? config.collectIntervalMs;
  const recent = createRecentWindow({ windowMs: SNAPSHOT_MAX_WINDOW_MS, intervalOf });
  for (const host of hosts.list()) {
    recent.push(await recentEvents(db, host, startedAtMs - SNAPSHOT_MAX_WINDOW_MS, catalog.name));
  }

  const bus = createSampleBus();
  const writer = createSampleWriter({ db, ids: { hostId: hosts.anyId, metricId: catalog.id } });
  bus.subscribe('recent', ({ samples }) => recent.push(samples));
  bus.subscribe('store', ({ samples, remote }) => (remote ? undefined : writer.push(samples)));
  const derived = await createDerivedService({ db, catalog });
  const ingest = createIngest({ hosts, catalog, bus, derive: derived.extend });
  const expositions = createExpositionPool();
  const targets = await createTargetService({ db, pool: expositions, ingest, hosts });
  const push = createPushIngest({ agents, hosts, ingest, pool: expositions });
  const panels = await createAppPanelService({ db, hosts, recent, derived });
  const storeContext: StoreContext = {
    thresholds(metricId) {
      const name = catalog.name(metricId);
      const def: MetricDef | undefined = name && isBuiltinMetric(name) ? METRICS[name] : undefined;
      return def && { warning: def.warning, critical: def.critical };
    },
    intervalMsOf: hosts.intervalMsOf,
  };
  const serverInfo = (): ServerInfo => ({
    version: VERSION,
    startedAt: startedAtMs,
    intervalMs: config.collectIntervalMs,
    hostname: localHost,
    platform: `${os.type()} ${os.release()} (${os.arch()})`,
    hostUptimeSec: Math.round(os.uptime()),
    database: database.kind,
  });
  let realtime: ReturnType<typeof createRealtime> | undefined;
  let outbox: ReturnType<typeof startOutbox> | undefined;
  let cross: CrossNode | undefined;
  /** Notifications were queued here: the outbox takes them now if this node leads, else the leader hears of it. */
  const queued = () => {
    void outbox?.kick();
    cross?.changed('outbox');
  };
  const alerts = await createAlertService({
    db,
    bus,
    metrics: catalog,
    evaluates: leads,
    fence: (tx) => leadership.fence(tx),
    onChange: (alert) => {
      realtime?.emitAlert(alert);
      cross?.alert(alert);
      void outbox?.kick(); // an acknowledgement (or its end) moves the next reminder
    },
    onQueued: () => queued(),
  });
  const notifiers = createNotifiers({ email: config.smtp, ...config.channels });
  const reports = createReportService({
    db, timeZone: config.reports.timeZone, publicUrl: config.publicUrl, retentionDays: config.retentionDays, emailTo: config.reports.emailTo,
    onQueued: () => queued(), now: opts.reports?.now,
  });
  outbox = startOutbox({
    db,
    notifiers,
    publicUrl: config.publicUrl,
    isSilenced: (alert) => alerts.isSilenced(alert),
    refresh: (id) => alerts.refresh(id),
    reports: { mailer: createMailer(config.smtp), compose: reports.compose },
    leader: { active: leads, condition: () => leadership.fenceCondition() },
    signal: stop.signal,
    ...opts.outbox,
  });
  let viewers = () => 0;
  let agentCount = () => 0;
  const nodes = createNodeRegistry({ db, name: config.nodeName, startedAt: startedAtMs, viewers: () => viewers(), agents: () => agentCount() });
  const app = createApp({
    cluster: { node: config.nodeName, leadership, nodes },
    announce(path) {
      const what = changedBy(path);
      if (what) cross?.changed(what);
      if (what === 'rules') void outbox?.kick(); // a rule's reminder interval moves its alerts' next reminder
    },
    database, health, catalog, recent, hosts, agents, alerts, notifiers, auth, reports, targets, derived, panels, push, publicUrl: config.publicUrl, localHost, version: VERSION, startedAtMs,
    intervalMs: config.collectIntervalMs, apiRatePerAddress: config.apiRatePerAddress, clientDist: opts.clientDist,
  });
  // Socket.IO attaches after Koa: it takes /socket.io requests and hands every other one to Koa.
  const httpServer = createServer(app.callback());
  answerClientErrors(httpServer);
  realtime = createRealtime(httpServer, { bus, alerts, auth, recent, hosts, catalog, serverInfo, publicUrl: config.publicUrl, status: () => health.status });
  health.onChange((status) => realtime?.emitStatus(status));
  const agentSockets = registerAgentNamespace(realtime.io, { agents, ingest, hosts });
  viewers = realtime.audience.viewers;
  agentCount = agentSockets.count;
  const rt = realtime;
  const link = connectNodes(rt.io, { node: config.nodeName, databaseUrl: config.databaseUrl, redisUrl: config.redisUrl }, {
    samples(msg) {
      for (const s of msg.samples) if (!hosts.has(s.host)) void hosts.reload();
      if (msg.fresh) for (const s of msg.samples) hosts.seen(s.host, Date.now());
      bus.publish({ ...msg, remote: true }).catch((err) => log.warn('applying samples of another node failed', err));
    },
    alert(alert) {
      rt.emitAlert(alerts.applyRemote(alert));
      void outbox?.kick();
    },
    catalog(added) {
      void catalog.reload().then(() => rt.emitCatalog(added));
    },
    changed(what) {
      const reload: Record<Changed, () => Promise<unknown>> = {
        rules: () => alerts.reloadConfig().then(() => outbox?.kick()), silences: alerts.reloadConfig, derived: derived.reload, targets: () => targets.reload().then(() => rt.emitTargets(targets.list())),
        agents: agents.reload, displays: async () => auth.applyRemote({ kind: 'displays-changed' }), panels: panels.reload, hosts: hosts.reload,
        outbox: async () => outbox?.kick(),
      };
      void reload[what]().catch((err) => log.warn(`reloading ${what} changed by another node failed`, err));
    },
    revoke(r) {
      if (r.kind === 'agent') void agents.applyRemoteRevoke(r.agentId);
      else auth.applyRemote(r);
    },
  });
  cross = link.cross;
  forwardSamples(bus, link.cross);
  catalog.onAdded((added) => link.cross.catalog(added));
  // Config changes reach the other nodes as the HTTP write's announce; status changes happen on the leader only.
  targets.onChange((why) => {
    rt.emitTargets(targets.list());
    if (why === 'status') link.cross.changed('targets');
  });
  auth.onRevoke((r, remote) => remote || link.cross.revoke(r));
  agents.onRevoke((agentId, remote) => remote || link.cross.revoke({ kind: 'agent', agentId }));
  // A new leader picks up where the old one stopped: open alerts, pending timers and latches from the database.
  leadership.onChange((leading) => {
    if (leading) void Promise.all([alerts.reloadState(), targets.reload()]).then(() => outbox?.kick());
  });
  const stopWatching = watchRevocations(realtime.io, auth, stop.signal);
  const sources = (opts.sources ?? createSources)({ db, audience: realtime.audience });
  const publishLocal = (sample: MetricsEvent) =>
    ingest.accept(localHost, [sample], { kind: 'server', fresh: true, intervalMs: config.collectIntervalMs }).catch((err) => log.warn('storing a sample failed', err));
  const loops = [
    startCollector({ host: localHost, intervalMs: config.collectIntervalMs, sources, publish: publishLocal, signal: stop.signal }),
    startLiveness({
      hosts, bus, intervalMs: config.collectIntervalMs, signal: stop.signal, publishes: leads, onHostsChanged: (list) => realtime?.emitHosts(list),
    }),
    startMaintenance(db, storeContext, config.retentionDays, stop.signal, leads),
    targets.start(stop.signal, leads),
    nodes.beat(stop.signal),
    health.watch(stop.signal),
    startReportScheduler({ reports, at: config.reports.time, active: leads, signal: stop.signal, ...opts.reports }),
    runLoop(() => auth.pruneSessions(), { intervalMs: 3600_000, signal: stop.signal, log }),
  ];

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    firstAdmin,
    database,
    async idle() {
      await writer.flush();
      await alerts.idle();
      await outbox.idle();
      await alerts.idle();
    },
    close() {
      closing ??= (async () => {
        stop.abort();
        await Promise.all(loops);
        await outbox.stopped();
        await stopWatching();
        agentSockets.close();
        await alerts.close();
        await leadership.close();
        await realtime.close();
        await link.close();
        httpServer.closeAllConnections();
        await new Promise<void>((resolve) => httpServer.close(() => resolve()));
        await expositions.close();
        await writer.close();
        await database.close();
      })();
      return closing;
    },
  };
}
