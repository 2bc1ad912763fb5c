import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, HandshakeAuth, ServerToClientEvents, Snapshot } from '../../shared/events.ts';

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
