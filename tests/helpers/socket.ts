import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, HandshakeAuth, MetricsEvent, ServerToClientEvents, Snapshot } from '../../shared/events.ts';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Where to connect: a bare URL (anonymous, or with a display token in `auth`) or a logged-in session. */
export type SocketTarget = string | { url: string; cookie: string };

/** A real socket.io-client connection, websocket only, no automatic reconnection; a session's cookie rides along. */
export function connect(target: SocketTarget, auth: HandshakeAuth | Record<string, unknown> = {}): TestSocket {
  const url = typeof target === 'string' ? target : target.url;
  const extraHeaders = typeof target === 'string' ? undefined : { cookie: target.cookie };
  return io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth, ...(extraHeaders ? { extraHeaders } : {}) });
}

/** Connects and resolves with the snapshot the server sends first. */
export function connectForSnapshot(target: SocketTarget, auth: HandshakeAuth = {}): Promise<{ socket: TestSocket; snapshot: Snapshot }> {
  const socket = connect(target, auth);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no snapshot within 5 s')), 5000);
    socket.once('snapshot', (snapshot) => {
      clearTimeout(timer);
      resolve({ socket, snapshot });
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function nextEvent<E extends keyof ServerToClientEvents>(socket: TestSocket, event: E, timeoutMs = 5000) {
  return new Promise<Parameters<ServerToClientEvents[E]>[0]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(event)} within ${timeoutMs} ms`)), timeoutMs);
    socket.once(event, ((payload: Parameters<ServerToClientEvents[E]>[0]) => {
      clearTimeout(timer);
      resolve(payload);
    }) as never);
  });
}

/** What `recordMetrics` gives: the events so far, and a wait for more. */
export interface MetricsRecorder {
  /** Every `metrics` event (of the host, when one was named) since recording began, in arrival order. */
  events: MetricsEvent[];
  /** Resolves with `events` once `check(events)` holds (checked on every event), or fails naming `what`. */
  until(check: (events: MetricsEvent[]) => boolean, what: string, timeoutMs?: number): Promise<MetricsEvent[]>;
  /** Resolves with `events` once at least `n` have arrived. */
  count(n: number, timeoutMs?: number): Promise<MetricsEvent[]>;
  stop(): void;
}

/**
 * Records the `metrics` events `socket` receives from now on: the awaited signal of "the server
 * has ticked" (each tick of a host is one event), instead of sleeping for some ticks' worth of time.
 */
export function recordMetrics(socket: TestSocket, host?: string): MetricsRecorder {
  const events: MetricsEvent[] = [];
  const waiters = new Set<() => void>();
  const onMetrics = (e: MetricsEvent) => {
    if (host !== undefined && e.host !== host) return;
    events.push(e);
    for (const wake of [...waiters]) wake();
  };
  socket.on('metrics', onMetrics);
  const until: MetricsRecorder['until'] = (check, what, timeoutMs = 5000) =>
    new Promise((resolve, reject) => {
      if (check(events)) return resolve(events);
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`${what}: not within ${timeoutMs} ms (${events.length} metrics events)`));
      }, timeoutMs);
      const wake = () => {
        if (!check(events)) return;
        clearTimeout(timer);
        waiters.delete(wake);
        resolve(events);
      };
      waiters.add(wake);
    });
  return {
    events,
    until,
    count: (n, timeoutMs) => until((e) => e.length >= n, `${n} metrics events`, timeoutMs),
    stop: () => void socket.off('metrics', onMetrics),
  };
}
