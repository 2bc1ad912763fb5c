import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, HandshakeAuth, ServerToClientEvents } from '$shared/events.ts';
import { liveAlerts } from './alerts.svelte.ts';
import { catalog } from './catalog.svelte.ts';
import { clientId } from './client-id.ts';
import { displayLaunch, displayToken } from './kiosk-launch.svelte.ts';
import { live } from './live.svelte.ts';
import { session } from './session.svelte.ts';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** When the server refused us or closed the connection itself, socket.io stops; we retry slower. */
const MANUAL_RETRY_MIN_MS = 2_000;
const MANUAL_RETRY_MAX_MS = 60_000;

let socket: LiveSocket | null = null;

/** Why the server refused the handshake ('token_refused', 'not_logged_in'); undefined: it could not check (retry). */
function refusalOf(err: Error & { data?: unknown }): unknown {
  return (err.data as { code?: unknown } | undefined)?.code;
}

/** The live socket, once connectLive() ran (operator actions use it while connected). */
export function liveSocket(): LiveSocket | null {
  return socket;
}

/** Fetches hosts' windows (`series:get`); live events keep them going afterwards. */
function fill(hosts: readonly string[]): void {
  for (const host of hosts) {
    socket?.emit('series:get', { host }, (ack) => {
      if (ack.ok) live.applySeries(ack.host, ack.series);
      else if (ack.error.code !== 'not_found') live.unfill(host); // asked again at the next snapshot or focus
    });
  }
}

/** Shows these hosts in full (every metric, their whole window); the others in overview. */
export function focusHosts(hosts: readonly string[]): void {
  fill(live.focus(hosts));
}

/**
 * The one socket to the server (same origin), feeding the live store. Every
 * (re)connect sends `since` = the newest sample we hold of every host, so the server's
 * snapshot fills exactly the hole the disconnection left. A browser is who
 * its session cookie says (the snapshot's `viewer`); without a session the
 * server refuses the socket and the login page opens.
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
    // A wall screen opened with `/kiosk?token=…` is that display; every other page is its session cookie.
    // `hosts`: the hosts on screen come in full, every other one with the fleet overview's metrics only.
    auth: (cb) => cb({ since: live.since(), clientId: clientId(), token: displayToken(), hosts: live.handshakeHosts() } satisfies HandshakeAuth),
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
      if (s.connected || s.active || session.leaving) return;
      live.onConnecting();
      s.connect();
    }, delay);
  };

  s.on('connect', () => {
    manualRetryMs = MANUAL_RETRY_MIN_MS;
    clearTimeout(manualRetry);
  });
  s.on('snapshot', (snapshot) => {
    session.fromViewer(snapshot.viewer);
    catalog.add(snapshot.catalog);
    live.applySnapshot(snapshot);
    liveAlerts.applySnapshot(snapshot.alerts);
    fill([...live.unfilled(), ...live.lastKnownMissing()]);
  });
  s.on('metrics', (event) => live.applyMetrics(event));
  s.on('hosts', (hosts) => {
    live.applyHosts(hosts);
    fill(live.lastKnownMissing());
  });
  s.on('catalog', (entries) => catalog.add(entries));
  s.on('status', (status) => (live.status = status));
  s.on('targets', (targets) => (live.targets = targets));
  s.on('alert', (alert) => liveAlerts.apply(alert));
  s.on('disconnect', (reason) => {
    live.onDisconnect();
    if (s.active) return;
    // The server closed it: shutting down, or our session ended (logout elsewhere, user disabled, new role).
    // One question tells which; a 401 opens the login page (api.ts → session).
    if (reason === 'io server disconnect' && session.me?.kind === 'user') {
      void session.load().then(() => session.leaving || retryLater());
    } else retryLater();
  });
  s.on('connect_error', (err) => {
    // Not active: a middleware refused us (socket.io will not retry by itself).
    if (!s.active && displayToken() !== undefined && refusalOf(err) === 'token_refused') displayLaunch.refused();
    live.onConnectError(err.message, !s.active);
    if (s.active) return;
    if (refusalOf(err) === 'not_logged_in') session.loginNeeded();
    if (!session.leaving) retryLater();
  });
  s.io.on('reconnect_attempt', () => live.onConnecting());

  window.addEventListener('offline', () => live.onBrowserOffline());
  window.addEventListener('online', () => {
    if (session.leaving) return;
    live.onConnecting();
    if (!s.connected && !s.active) s.connect();
  });
  return s;
}
