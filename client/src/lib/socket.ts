import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, HandshakeAuth, ServerToClientEvents } from '$shared/events.ts';
import { liveAlerts } from './alerts.svelte.ts';
import { clientId } from './client-id.ts';
import { live } from './live.svelte.ts';
import { operator } from './operator.svelte.ts';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** When the server refused us or closed the connection itself, socket.io stops; we retry slower. */
const MANUAL_RETRY_MIN_MS = 2_000;
const MANUAL_RETRY_MAX_MS = 60_000;

let socket: LiveSocket | null = null;

/** The live socket, once connectLive() ran (operator actions use it while connected). */
export function liveSocket(): LiveSocket | null {
  return socket;
}

/**
 * The one socket to the server (same origin), feeding the live store. Every
 * (re)connect sends `since` = the newest sample we hold, so the server's
 * snapshot fills exactly the hole the disconnection left. It also sends the
 * operator's name (`user`): a new name reconnects, so the server records
 * acknowledgements under it.
 */
export function connectLive(): LiveSocket {
  if (socket) return socket;
  const s: LiveSocket = io({
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnection: true,
    reconnectionAttempts: Number.POSITIVE_INFINITY,
    reconnectionDelay: 1_000,
    reconnectionDelayMax: 15_000,
    randomizationFactor: 0.5,
    auth: (cb) =>
      cb({ since: live.lastTs ?? undefined, clientId: clientId(), user: operator.name ?? undefined } satisfies HandshakeAuth),
  });
  socket = s;

  let manualRetryMs = MANUAL_RETRY_MIN_MS;
  let manualRetry: ReturnType<typeof setTimeout> | undefined;
  /** socket.io gives up after a middleware refusal or a server-side disconnect: a wall screen must not. */
  const retryLater = () => {
    clearTimeout(manualRetry);
    const delay = manualRetryMs * (0.5 + Math.random());
    manualRetryMs = Math.min(MANUAL_RETRY_MAX_MS, manualRetryMs * 2);
    manualRetry = setTimeout(() => {
      if (s.connected || s.active) return;
      live.onConnecting();
      s.connect();
    }, delay);
  };

  s.on('connect', () => {
    manualRetryMs = MANUAL_RETRY_MIN_MS;
    clearTimeout(manualRetry);
  });
  s.on('snapshot', (snapshot) => {
    live.applySnapshot(snapshot);
    liveAlerts.applySnapshot(snapshot.alerts);
  });
  s.on('metrics', (event) => live.applyMetrics(event));
  s.on('alert', (alert) => liveAlerts.apply(alert));
  s.on('disconnect', () => {
    live.onDisconnect();
    if (!s.active) retryLater(); // the server closed it ("io server disconnect"), e.g. while shutting down
  });
  s.on('connect_error', (err) => {
    // Not active: a middleware refused us (socket.io will not retry by itself).
    live.onConnectError(err.message, !s.active);
    if (!s.active) retryLater();
  });
  s.io.on('reconnect_attempt', () => live.onConnecting());

  // The handshake carries the name: a new one needs a new connection.
  operator.onChange(() => {
    if (s.connected || s.active) s.disconnect();
    live.onConnecting();
    s.connect();
  });

  window.addEventListener('offline', () => live.onBrowserOffline());
  window.addEventListener('online', () => {
    live.onConnecting();
    if (!s.connected && !s.active) s.connect();
  });
  return s;
}
