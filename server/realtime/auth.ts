/**
 * Who a socket is: a browser by its session cookie, a wall screen by a
 * display token in `auth.token`. Anyone else is refused at the handshake with
 * a `connect_error` saying why. Revoking a session, a user or a token cuts
 * its live sockets at once; open dashboards keep their session alive, and
 * one whose session ends (expiry, disabled user) is disconnected.
 */
import { parse as parseCookie } from 'node:querystring';
import type { Principal } from '../../shared/auth.ts';
import type { AuthService, Revocation } from '../auth/service.ts';
import { SESSION_COOKIE } from '../http/auth.ts';
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { IoServer } from './socket.ts';

const log = createLogger('realtime');

export type SocketPrincipal = Principal & { sessionId?: string };

/** The session token from a Cookie header. */
export function sessionTokenOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  const value = parseCookie(cookieHeader, '; ')[SESSION_COOKIE];
  return typeof value === 'string' && value ? value : undefined;
}

export async function principalOfHandshake(auth: AuthService, cookieHeader: string | undefined, token: string | undefined) {
  if (token) {
    const display = await auth.resolveDisplay(token);
    return display ?? { refused: 'this display token is unknown or was revoked', code: 'token_refused' as const };
  }
  const session = await auth.resolveSession(sessionTokenOf(cookieHeader));
  return session ?? { refused: 'not logged in: log in, or open the kiosk with a display token', code: 'not_logged_in' as const };
}

function matches(p: SocketPrincipal | undefined, r: Revocation): boolean {
  if (!p) return false;
  if (r.kind === 'display') return p.kind === 'display' && p.id === r.displayId;
  if (r.kind === 'user') return p.kind === 'user' && p.id === r.userId;
  return p.kind === 'user' && p.sessionId === r.sessionId;
}

/** Cuts revoked sockets and re-checks logged-in ones every minute. Returns a stop function. */
export function watchRevocations(io: IoServer, auth: AuthService, signal: AbortSignal) {
  const off = auth.onRevoke((r) => {
    for (const socket of io.of('/').sockets.values()) {
      if (matches(socket.data.principal, r)) socket.disconnect(true);
    }
  });
  const loop = runLoop(
    async () => {
      const bySession = new Map<string, Array<{ disconnect(close: boolean): unknown }>>();
      for (const socket of io.of('/').sockets.values()) {
        const p = socket.data.principal;
        if (p?.kind === 'user' && p.sessionId) bySession.set(p.sessionId, [...(bySession.get(p.sessionId) ?? []), socket]);
      }
      for (const [sessionId, sockets] of bySession) {
        if (!(await auth.touchSession(sessionId))) {
          log.info(`a session ended: disconnecting ${sockets.length} socket(s)`);
          for (const s of sockets) s.disconnect(true);
        }
      }
    },
    { intervalMs: 60_000, signal, log, immediate: false },
  );
  return async () => {
    off();
    await loop;
  };
}
