/**
 * Socket.IO on the HTTP server: typed events from shared/, a snapshot on
 * every connect (from the in-memory window: no database query), then one
 * `metrics` event per tick of every host, pushed from the bus.
 */
import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import type { Alert } from '../../shared/alerts.ts';
import {
  parseHandshakeAuth, SNAPSHOT_MAX_WINDOW_MS, SNAPSHOT_WINDOW_MS, type ClientToServerEvents, type ServerInfo,
  type ServerToClientEvents, type Snapshot,
} from '../../shared/events.ts';
import type { SampleBus } from '../lib/bus.ts';
import { createLogger } from '../lib/log.ts';
import type { AudienceCounts } from '../collect/sources/app.ts';
import type { AlertService } from '../alerts/service.ts';
import type { AuthService } from '../auth/service.ts';
import { principalOfHandshake, type SocketPrincipal } from './auth.ts';
import { registerAlertHandlers } from './alert-handlers.ts';
import type { HostDirectory } from './hosts.ts';
import type { RecentWindow } from './recent-window.ts';

export interface SocketData {
  clientId: string;
  /** Who is connected: a logged-in user or a wall screen. */
  principal: SocketPrincipal;
}

export type IoServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface RealtimeDeps {
  bus: SampleBus;
  alerts: AlertService;
  auth: AuthService;
  recent: RecentWindow;
  hosts: HostDirectory;
  serverInfo: () => ServerInfo;
}

const log = createLogger('realtime');

/** The window a snapshot covers: what the client missed, at least 15 min, at most an hour. */
export function snapshotSince(now: number, since: number | undefined): number {
  if (since === undefined) return now - SNAPSHOT_WINDOW_MS;
  return Math.max(Math.min(since, now), now - SNAPSHOT_MAX_WINDOW_MS);
}

export function createRealtime(httpServer: HttpServer, deps: RealtimeDeps) {
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
    next();
  });

  // Built and sent synchronously: no `metrics` event can slip in before the snapshot.
  io.on('connection', (socket) => {
    const parsed = parseHandshakeAuth(socket.handshake.auth);
    const since = parsed.ok ? parsed.auth.since : undefined;
    try {
      const now = Date.now();
      const p = socket.data.principal;
      const snapshot: Snapshot = {
        viewer:
          p.kind === 'user'
            ? { kind: 'user', name: p.username, role: p.role }
            : { kind: 'display', name: p.name, role: p.role, ...(p.settings ? { display: p.settings } : {}) },
        hosts: deps.hosts.list(now),
        series: deps.recent.series(snapshotSince(now, since)),
        alerts: deps.alerts.openAlerts(),
        server: deps.serverInfo(),
        now,
      };
      socket.emit('snapshot', snapshot);
      registerAlertHandlers(socket, deps.alerts, deps.auth);
    } catch (err) {
      log.error('could not build a snapshot', err);
      socket.disconnect(true);
    }
  });

  const unsubscribe = deps.bus.subscribe('realtime', (sample) => {
    io.emit('metrics', sample);
  });

  const audience: AudienceCounts = {
    viewers: () => io.of('/').sockets.size,
    // A login session (however many tabs), or one wall screen.
    sessions: () => new Set(Array.from(io.of('/').sockets.values(), ({ data: { principal: p, clientId } }) => (p.kind === 'user' ? `s:${p.sessionId}` : `d:${p.id}:${clientId}`))).size,
  };

  return {
    io,
    audience,
    emitAlert: (alert: Alert) => io.emit('alert', alert),
    async close() {
      unsubscribe();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
