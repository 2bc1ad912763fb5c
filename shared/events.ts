/**
 * The Socket.IO contract between server and client (see ../CONTRACT.md).
 * The server is `Server<ClientToServerEvents, ServerToClientEvents, …>` and
 * the client `Socket<ServerToClientEvents, ClientToServerEvents>`.
 */
import type { Alert, AlertAck } from './alerts.ts';
import type { DisplaySettings, Role } from './auth.ts';
import type { MetricName, MetricValues } from './catalog.ts';

/** Epoch milliseconds. */
export type TsMs = number;

/** One tick of one host: what the collector measured. */
export interface MetricsEvent {
  host: string;
  ts: TsMs;
  values: MetricValues;
}

export interface HostInfo {
  id: number;
  name: string;
  lastSeen: TsMs | null;
  online: boolean;
}

export interface ServerInfo {
  version: string;
  /** When this server process started (epoch ms). */
  startedAt: TsMs;
  /** The collection tick; clients use it to size buffers and detect staleness. */
  intervalMs: number;
  hostname: string;
  platform: string;
  /** Host uptime in seconds at the time of the snapshot. */
  hostUptimeSec: number;
  database: 'pglite' | 'postgres';
}

/** Per host, per metric: `[tsMs, value]` pairs, oldest first. */
export type SeriesByHost = Record<string, Partial<Record<MetricName, Array<[TsMs, number | null]>>>>;

/** Who this connection is: the UI shows actions by role; a wall screen reads its kiosk settings here. */
export interface SnapshotViewer {
  kind: 'user' | 'display';
  name: string;
  role: Role;
  display?: DisplaySettings;
}

export interface Snapshot {
  viewer: SnapshotViewer;
  hosts: HostInfo[];
  series: SeriesByHost;
  /** Open alerts (firing or acknowledged), most severe and newest first. */
  alerts: Alert[];
  server: ServerInfo;
  /** Server clock when the snapshot was built. */
  now: TsMs;
}

/** The shape of every acknowledgement callback. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: { code: string; message: string } };

export interface ServerToClientEvents {
  snapshot: (snapshot: Snapshot) => void;
  metrics: (event: MetricsEvent) => void;
  /** Every alert state change (fired, acknowledged, resolved, delivery updated). */
  alert: (alert: Alert) => void;
}

/** `{id, note?}` → callback `{ok: true, alert}` or `{ok: false, error}`. */
export interface ClientToServerEvents {
  'alert:ack': (payload: AlertActionPayload, callback: (result: AlertAck) => void) => void;
  'alert:unack': (payload: AlertActionPayload, callback: (result: AlertAck) => void) => void;
  'alert:resolve': (payload: AlertActionPayload, callback: (result: AlertAck) => void) => void;
}

export interface AlertActionPayload {
  id: number;
  note?: string;
}

/**
 * What a client sends in the handshake (`io(url, {auth})`). `since` is the
 * timestamp of the newest sample the client already has: after a reconnect
 * the snapshot then covers everything from there, so charts have no holes.
 */
export interface HandshakeAuth {
  since?: TsMs;
  /** A random id the browser keeps, so several tabs count as one session. */
  clientId?: string;
  /** Display token of a wall screen (browsers authenticate with their session cookie instead). */
  token?: string;
}

/** A snapshot covers at least this much when the client asks for nothing older. */
export const SNAPSHOT_WINDOW_MS = 15 * 60_000;
/** …and at most this much when the client reconnects after a long gap. */
export const SNAPSHOT_MAX_WINDOW_MS = 60 * 60_000;

/** Validates the handshake: a malformed one is refused with a clear `connect_error`. */
export function parseHandshakeAuth(raw: unknown): { ok: true; auth: HandshakeAuth } | { ok: false; message: string } {
  const auth = (raw ?? {}) as Record<string, unknown>;
  if (typeof auth !== 'object' || Array.isArray(auth)) return { ok: false, message: 'handshake auth must be an object' };
  const { since, clientId, token } = auth;
  if (since !== undefined && since !== null && !(typeof since === 'number' && Number.isFinite(since) && since >= 0)) {
    return { ok: false, message: 'handshake auth "since" must be epoch milliseconds' };
  }
  if (clientId !== undefined && !(typeof clientId === 'string' && /^[\w-]{1,64}$/.test(clientId))) {
    return { ok: false, message: 'handshake auth "clientId" must be 1–64 letters, digits, "-" or "_"' };
  }
  if (token !== undefined && typeof token !== 'string') return { ok: false, message: 'handshake auth "token" must be a string' };
  return {
    ok: true,
    auth: {
      ...(typeof since === 'number' ? { since } : {}),
      ...(typeof clientId === 'string' ? { clientId } : {}),
      ...(typeof token === 'string' ? { token } : {}),
    },
  };
}
