/**
 * The Socket.IO contract between server and client (see ../CONTRACT.md).
 * The server is `Server<ClientToServerEvents, ServerToClientEvents, …>` and
 * the client `Socket<ServerToClientEvents, ClientToServerEvents>`.
 */
import type { Alert, AlertAck } from './alerts.ts';
import type { DisplaySettings, Role } from './auth.ts';
import type { MetricInfo, MetricName, MetricValues } from './catalog.ts';
import type { Target } from './fleet.ts';

/** Epoch milliseconds. */
export type TsMs = number;

/** One tick of one host: what the collector measured. */
export interface MetricsEvent {
  host: string;
  ts: TsMs;
  values: MetricValues;
}

/** Where a host's samples come from: this server, an agent, a scrape target or pushes to /api/ingest. */
export const HOST_KINDS = ['server', 'agent', 'target', 'push'] as const;
export type HostKind = (typeof HOST_KINDS)[number];

export interface HostInfo {
  id: number;
  name: string;
  kind: HostKind;
  lastSeen: TsMs | null;
  /** Samples arrived within the last 3 of the host's ticks (`host.up`). */
  online: boolean;
  /** The host's own tick (agents and targets have theirs). */
  intervalMs: number;
  /** An agent's clock minus the server's, as last measured; null when not measured. */
  clockSkewMs: number | null;
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
export type SeriesByHost = Record<string, Record<MetricName, Array<[TsMs, number | null]>>>;

/** What the server's storage can do right now: during a database outage live data goes on, writes wait. */
export interface ServerStatus {
  database: 'ok' | 'unavailable';
}

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
  /**
   * Hosts named in the handshake's `hosts` (all when absent) in full for the
   * window; every other host with only its overview metrics, one point per
   * `OVERVIEW_STEP_MS` (the fleet overview's sparklines).
   */
  series: SeriesByHost;
  /** Metrics found at run time (built-ins are compiled into the client). */
  catalog: MetricInfo[];
  status: ServerStatus;
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
  /** New metrics found at run time (a scrape target's new series, a new pushed name). */
  catalog: (entries: MetricInfo[]) => void;
  /** Hosts came or went online, or a new host appeared. */
  hosts: (hosts: HostInfo[]) => void;
  /** Every scrape target, after one was added, changed or removed, or one's status changed (first scrape, a new error, recovered). */
  targets: (targets: Target[]) => void;
  /** The database went away or came back (live data continues either way). */
  status: (status: ServerStatus) => void;
}

/** The window of one host's series, for a page that opens a host the snapshot sent only in overview. */
export interface SeriesRequest {
  host: string;
  since?: TsMs;
}
export type SeriesAck = Ack<{ host: string; series: Record<MetricName, Array<[TsMs, number | null]>> }>;

/** `{id, note?}` → callback `{ok: true, alert}` or `{ok: false, error}`. */
export interface ClientToServerEvents {
  'alert:ack': (payload: AlertActionPayload, callback: (result: AlertAck) => void) => void;
  'alert:unack': (payload: AlertActionPayload, callback: (result: AlertAck) => void) => void;
  'alert:resolve': (payload: AlertActionPayload, callback: (result: AlertAck) => void) => void;
  'series:get': (payload: SeriesRequest, callback: (result: SeriesAck) => void) => void;
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
  /** Hosts the page shows in full; the others come with their overview metrics only. Absent: every host in full. */
  hosts?: string[];
}

/** The metrics a fleet overview tile draws for every host, and the spacing of their snapshot points. */
export const OVERVIEW_METRICS = ['cpu.usage_percent', 'memory.usage_percent', 'disk.usage_percent', 'host.up'] as const;
export const OVERVIEW_STEP_MS = 10_000;
/** At most this many hosts may be asked for in full. */
export const HANDSHAKE_MAX_HOSTS = 100;

/** A snapshot covers at least this much when the client asks for nothing older. */
export const SNAPSHOT_WINDOW_MS = 15 * 60_000;
/** …and at most this much when the client reconnects after a long gap. */
export const SNAPSHOT_MAX_WINDOW_MS = 60 * 60_000;

/** Validates the handshake: a malformed one is refused with a clear `connect_error`. */
export function parseHandshakeAuth(raw: unknown): { ok: true; auth: HandshakeAuth } | { ok: false; message: string } {
  const auth = (raw ?? {}) as Record<string, unknown>;
  if (typeof auth !== 'object' || Array.isArray(auth)) return { ok: false, message: 'handshake auth must be an object' };
  const { since, clientId, token, hosts } = auth;
  if (since !== undefined && since !== null && !(typeof since === 'number' && Number.isFinite(since) && since >= 0)) {
    return { ok: false, message: 'handshake auth "since" must be epoch milliseconds' };
  }
  if (clientId !== undefined && !(typeof clientId === 'string' && /^[\w-]{1,64}$/.test(clientId))) {
    return { ok: false, message: 'handshake auth "clientId" must be 1–64 letters, digits, "-" or "_"' };
  }
  if (token !== undefined && !(typeof token === 'string' && token.length <= 200)) return { ok: false, message: 'handshake auth "token" must be a string' };
  if (
    hosts !== undefined &&
    !(Array.isArray(hosts) && hosts.length <= HANDSHAKE_MAX_HOSTS && hosts.every((h) => typeof h === 'string' && h.length > 0 && h.length <= 253))
  ) {
    return { ok: false, message: `handshake auth "hosts" must be a list of at most ${HANDSHAKE_MAX_HOSTS} host names` };
  }
  return {
    ok: true,
    auth: {
      ...(typeof since === 'number' ? { since } : {}),
      ...(typeof clientId === 'string' ? { clientId } : {}),
      ...(typeof token === 'string' ? { token } : {}),
      ...(Array.isArray(hosts) ? { hosts: hosts as string[] } : {}),
    },
  };
}
