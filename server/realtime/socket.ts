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
import type { Target } from '../../shared/fleet.ts';
import {
  parseHandshakeAuth, SNAPSHOT_MAX_WINDOW_MS, SNAPSHOT_WINDOW_MS, type ClientToServerEvents, type HostInfo, type SeriesAck,
  type ServerInfo, type ServerStatus, type ServerToClientEvents, type Snapshot,
} from '../../shared/events.ts';
import { findUnstorableText, unstorableMessage } from '../../shared/text.ts';
import type { SampleBus } from '../lib/bus.ts';
import { createLogger } from '../lib/log.ts';
import { timeSlices } from '../lib/slices.ts';
import type { AudienceCounts } from '../collect/sources/app.ts';
import type { AlertService } from '../alerts/service.ts';
import type { AuthService } from '../auth/service.ts';
import type { HostRegistry } from '../fleet/hosts.ts';
import type { MetricCatalog } from '../store/metric-catalog.ts';
import { createTokenBucket, type TokenBucket } from '../lib/token-bucket.ts';
import { ownOrigin } from '../http/auth.ts';
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
  /** PUBLIC_URL: its origin may connect from a browser (as may the Host a request was sent to). */
  publicUrl: string;
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
/** Events over budget after which a socket is disconnected. */
const FLOOD_CUTOFF = 2000;

/** The window a snapshot covers: what the client missed, at least 15 min, at most an hour. */
export function snapshotSince(now: number, since: number | undefined): number {
  if (since === undefined) return now - SNAPSHOT_WINDOW_MS;
  return Math.max(Math.min(since, now), now - SNAPSHOT_MAX_WINDOW_MS);
}

export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps) {
  const now = deps.now ?? Date.now;
  const isOwn = ownOrigin(deps.publicUrl);
  const io: IoServer = new Server(httpServer, {
    serveClient: false,
    /**
     * Cross-site WebSocket hijacking: a page of another origin, opened in a
     * browser holding a session cookie, must not connect as that user. A
     * browser always names its Origin; scripts and agents send none (and
     * authenticate with a token).
     */
    allowRequest(req, callback) {
      const origin = req.headers.origin;
      if (!origin || isOwn(origin, req.headers.host, (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http')) return callback(null, true);
      callback(`cross-site connection from ${origin} refused`, false);
    },
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
      // `data.code` tells a client a refusal (stop, forget the token) from a failure to check (retry).
      if ('refused' in principal) return next(Object.assign(new Error(principal.refused), { data: { code: principal.code } }));
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
    // Every event: refuse text that cannot be stored before any handler runs; answer the callback, if any.
    // Every event also spends from a generous flood budget; a socket that keeps flooding is cut off.
    const events = createTokenBucket({ perSecond: 100, burst: 200 });
    let refused = 0;
    socket.use((packet, next) => {
      const args = packet.slice(1);
      const callback = args.at(-1);
      const refuse = (code: string, message: string) => {
        if (typeof callback === 'function') callback({ ok: false, error: { code, message } });
      };
      if (!events.take()) {
        if (++refused >= FLOOD_CUTOFF) {
          log.warn(`cutting off a socket of ${socket.data.principal.kind === 'user' ? socket.data.principal.username : 'a display'} that sent ${refused} events over its budget`);
          socket.disconnect(true);
        }
        return refuse('rate_limited', 'too many events: slow down');
      }
      const bad = findUnstorableText(args.filter((a) => typeof a !== 'function'), 'payload');
      if (bad) return refuse('bad_request', unstorableMessage(bad));
      next();
    });
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
    queueSnapshot(socket);
  });

  /**
   * Snapshots go out one after another, yielding to the event loop between
   * them once a few milliseconds are spent: 200 viewers reconnecting at once
   * wait their turn for a moment instead of stalling every tick and socket.
   * A socket joins the live room right after its snapshot, so no live event
   * reaches it first and none is missed.
   */
  const waiting: IoSocket[] = [];
  let draining = false;
  function queueSnapshot(socket: IoSocket) {
    waiting.push(socket);
    if (!draining) void drainSnapshots();
  }
  async function drainSnapshots() {
    draining = true;
    const slices = timeSlices();
    while (waiting.length > 0) {
      const socket = waiting.shift()!;
      if (!socket.connected) continue;
      try {
        socket.emit('snapshot', buildSnapshot(socket));
        void socket.join(LIVE_ROOM);
      } catch (err) {
        log.error('could not build a snapshot', err);
        socket.disconnect(true);
      }
      await slices.pause();
    }
    draining = false;
  }

  // Every node pushes to its own viewers (io.local): samples and alerts of other nodes reach it
  // through the cluster's messages (cluster/cross-node.ts) and are pushed here the same way.
  const unsubscribe = deps.bus.subscribe('realtime', ({ samples }) => {
    // A late sample (an agent's backlog) is drawn too, as far as any viewer's window reaches.
    const oldest = now() - SNAPSHOT_MAX_WINDOW_MS;
    for (const sample of samples) if (sample.ts >= oldest) io.local.to(LIVE_ROOM).emit('metrics', sample);
  });
  const offCatalog = deps.catalog.onAdded((added: MetricInfo[]) => io.local.to(LIVE_ROOM).emit('catalog', added));

  const audience: AudienceCounts = {
    viewers: () => io.of('/').sockets.size,
    // A login session (however many tabs), or one wall screen.
    sessions: () => new Set(Array.from(io.of('/').sockets.values(), ({ data: { principal: p, clientId } }) => (p.kind === 'user' ? `s:${p.sessionId}` : `d:${p.id}:${clientId}`))).size,
  };

  return {
    io,
    audience,
    emitAlert: (alert: Alert) => io.local.to(LIVE_ROOM).emit('alert', alert),
    emitHosts: (hosts: HostInfo[]) => io.local.to(LIVE_ROOM).emit('hosts', hosts),
    emitStatus: (status: ServerStatus) => io.local.to(LIVE_ROOM).emit('status', status),
    emitTargets: (targets: Target[]) => io.local.to(LIVE_ROOM).emit('targets', targets),
    emitCatalog: (added: MetricInfo[]) => io.local.to(LIVE_ROOM).emit('catalog', added),
    async close() {
      unsubscribe();
      offCatalog();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
