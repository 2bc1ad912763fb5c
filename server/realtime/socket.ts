/**
 * Socket.IO on the HTTP server: typed events from shared/, a snapshot on
 * every connect (from the in-memory window: no database query), then one
 * `metrics` event per tick of every host, pushed from the bus. A socket joins
 * the `live` room only once its snapshot is sent, so no live event can reach
 * it before the snapshot.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import type { Alert } from '../../shared/alerts.ts';
import type { MetricInfo } from '../../shared/catalog.ts';
import {
  parseHandshakeAuth, SNAPSHOT_MAX_WINDOW_MS, SNAPSHOT_WINDOW_MS, type ClientToServerEvents, type HostInfo, type SeriesAck,
  type ServerInfo, type ServerStatus, type ServerToClientEvents, type Snapshot,
} from '../../shared/events.ts';
import type { SampleBus } from '../lib/bus.ts';
import { createLogger } from '../lib/log.ts';
import type { AudienceCounts } from '../collect/sources/app.ts';
import type { AlertService } from '../alerts/service.ts';
import type { AuthService } from '../auth/service.ts';
import type { HostRegistry } from '../fleet/hosts.ts';
import type { MetricCatalog } from '../store/metric-catalog.ts';
import { createTokenBucket, type TokenBucket } from '../lib/token-bucket.ts';
import { principalOfHandshake, type SocketPrincipal } from './auth.ts';
import { registerAlertHandlers } from './alert-handlers.ts';
import type { RecentWindow } from './recent-window.ts';

export interface SocketData {
  clientId: string;
  /** Who is connected: a logged-in user or a wall screen. */
  principal: SocketPrincipal;
  /** Every client → server event spends a token: one socket cannot flood the server. */
  bucket: TokenBucket;
}

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
export type IoSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface RealtimeDeps {
  bus: SampleBus;
  alerts: AlertService;
  auth: AuthService;
  recent: RecentWindow;
  hosts: HostRegistry;
  catalog: MetricCatalog;
  serverInfo: () => ServerInfo;
  status: () => ServerStatus;
  now?: () => number;
}

const log = createLogger('realtime');
/** Viewers get live events in this room, joined right after their snapshot. */
export const LIVE_ROOM = 'live';

/** The window a snapshot covers: what the client missed, at least 15 min, at most an hour. */
export function snapshotSince(now: number, since: number | undefined): number {
  if (since === undefined) return now - SNAPSHOT_WINDOW_MS;
  return Math.max(Math.min(since, now), now - SNAPSHOT_MAX_WINDOW_MS);
}

export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps) {
  const now = deps.now ?? Date.now;
  const io: IoServer = new Server(httpServer, {
    serveClient: false,
    // Small JSON payloads at 1 Hz: compressing each one costs more CPU than it saves on a LAN.
    perMessageDeflate: false,
    pingInterval: 10_000,
    pingTimeout: 5_000,
  });

  io.use(async (socket, next) => {
    const parsed = parseHandshakeAuth(socket.handshake.auth);
    if (!parsed.ok) return next(new Error(parsed.message));
    try {
      const principal = await principalOfHandshake(deps.auth, socket.handshake.headers.cookie, parsed.auth.token);
      if ('refused' in principal) return next(new Error(principal.refused));
      socket.data.principal = principal;
    } catch (err) {
      log.error('could not check a socket handshake', err);
      return next(new Error('the server could not check your login; retrying'));
    }
    socket.data.clientId = parsed.auth.clientId ?? socket.id;
    // Ten actions a second, bursts of twenty: far above what a person clicks.
    socket.data.bucket = createTokenBucket({ perSecond: 10, burst: 20 });
    next();
  });

  function buildSnapshot(socket: IoSocket): Snapshot {
    const parsed = parseHandshakeAuth(socket.handshake.auth);
    const auth = parsed.ok ? parsed.auth : {};
    const at = now();
    const p = socket.data.principal;
    return {
      viewer:
        p.kind === 'user'
          ? { kind: 'user', name: p.username, role: p.role }
          : { kind: 'display', name: p.name, role: p.role, ...(p.settings ? { display: p.settings } : {}) },
      hosts: deps.hosts.list(at),
      series: deps.recent.series(snapshotSince(at, auth.since), auth.hosts ? new Set(auth.hosts) : undefined),
      catalog: deps.catalog.runtime(),
      status: deps.status(),
      alerts: deps.alerts.openAlerts(),
      server: deps.serverInfo(),
      now: at,
    };
  }

  io.on('connection', (socket) => {
    try {
      socket.emit('snapshot', buildSnapshot(socket));
      // Synchronously after the snapshot: the next live event is newer than everything in it.
      void socket.join(LIVE_ROOM);
      registerAlertHandlers(socket, deps.alerts);
      socket.on('series:get', (payload: unknown, callback: unknown) => {
        if (typeof callback !== 'function') return;
        const reply = callback as (r: SeriesAck) => void;
        if (!socket.data.bucket.take()) return reply({ ok: false, error: { code: 'rate_limited', message: 'too many requests: slow down' } });
        const req = payload as { host?: unknown; since?: unknown } | null;
        if (typeof req !== 'object' || req === null || typeof req.host !== 'string' || req.host.length > 253) {
          return reply({ ok: false, error: { code: 'bad_request', message: 'payload must be {host, since?}' } });
        }
        const since = typeof req.since === 'number' && Number.isFinite(req.since) ? req.since : undefined;
        const series = deps.recent.hostSeries(req.host, snapshotSince(now(), since));
        if (!series) return reply({ ok: false, error: { code: 'not_found', message: `no recent samples of host "${req.host}"` } });
        reply({ ok: true, host: req.host, series });
      });
    } catch (err) {
      log.error('could not build a snapshot', err);
      socket.disconnect(true);
    }
  });

  const unsubscribe = deps.bus.subscribe('realtime', ({ samples }) => {
    // A late sample (an agent's backlog) is drawn too, as far as any viewer's window reaches.
    const oldest = now() - SNAPSHOT_MAX_WINDOW_MS;
    for (const sample of samples) if (sample.ts >= oldest) io.to(LIVE_ROOM).emit('metrics', sample);
  });
  const offCatalog = deps.catalog.onAdded((added: MetricInfo[]) => io.to(LIVE_ROOM).emit('catalog', added));

  const audience: AudienceCounts = {
    viewers: () => io.of('/').sockets.size,
    // A login session (however many tabs), or one wall screen.
    sessions: () => new Set(Array.from(io.of('/').sockets.values(), ({ data: { principal: p, clientId } }) => (p.kind === 'user' ? `s:${p.sessionId}` : `d:${p.id}:${clientId}`))).size,
  };

  return {
    io,
    audience,
    emitAlert: (alert: Alert) => io.to(LIVE_ROOM).emit('alert', alert),
    emitHosts: (hosts: HostInfo[]) => io.to(LIVE_ROOM).emit('hosts', hosts),
    emitStatus: (status: ServerStatus) => io.to(LIVE_ROOM).emit('status', status),
    async close() {
      unsubscribe();
      offCatalog();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
