import { SvelteMap } from 'svelte/reactivity';
import type { MetricsEvent, HostInfo, ServerInfo, Snapshot, SnapshotViewer } from '$shared/events.ts';
import { SNAPSHOT_WINDOW_MS } from '$shared/events.ts';
import { HostLive, type RingSizing } from './host-live.svelte.ts';

/**
 * - connecting: never connected yet (or refused before the first snapshot)
 * - live: connected and samples of the viewed host keep arriving
 * - reconnecting: lost the connection; socket.io retries with backoff
 * - stale: connected, but the viewed host sent nothing for 3 ticks
 * - offline: the browser is offline, or the server refused the connection
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'stale' | 'offline';

/** No sample of the viewed host for this many ticks while connected → stale. */
const STALE_AFTER_TICKS = 3;
/** Rings hold the snapshot window plus this share of slack (jittery ticks, overlap). */
const RING_SLACK = 0.1;

function ringSizing(intervalMs: number): RingSizing {
  const tick = Math.max(1, intervalMs);
  return {
    capacity: Math.ceil((SNAPSHOT_WINDOW_MS / tick) * (1 + RING_SLACK)) + 8,
    gapMs: 2.5 * tick,
    windowMs: SNAPSHOT_WINDOW_MS,
  };
}

/** The client's live view of every host, fed by the socket (see socket.ts). */
export class LiveStore {
  state = $state<ConnectionState>('connecting');
  /** Why the last connection attempt failed (connect_error), until one succeeds. */
  error = $state<string | null>(null);
  /** Client time the connection was lost (null while connected): clocks of the server stop there. */
  disconnectedAt = $state<number | null>(null);
  server = $state.raw<ServerInfo | null>(null);
  /** Who this connection is, from the last snapshot (a wall screen reads its kiosk settings here). */
  viewer = $state.raw<SnapshotViewer | null>(null);
  /** Client time (Date.now()) when the last snapshot arrived: local clocks tick from there. */
  snapshotAt = $state<number | null>(null);
  /** Server clock minus client clock, measured at the last snapshot. */
  clockOffsetMs = $state(0);
  hosts = $state.raw<HostInfo[]>([]);
  /** Newest sample timestamp of any host: sent as `since` on every (re)connect. */
  lastTs: number | null = null;
  #chosenHost = $state<string | null>(null);
  /** The server said no: stay 'offline' through the (slow) retries until it says yes. */
  #refused = false;
  #byHost = new SvelteMap<string, HostLive>();
  #sizing = ringSizing(1000);
  #staleTimer: ReturnType<typeof setTimeout> | undefined;

  /** The host on screen: the one picked, else the server's own, else the first. */
  viewedHost = $derived.by((): string | null => {
    const names = this.hosts.map((h) => h.name);
    if (this.#chosenHost && names.includes(this.#chosenHost)) return this.#chosenHost;
    const own = this.server?.hostname;
    if (own && names.includes(own)) return own;
    return names[0] ?? own ?? null;
  });

  viewed = $derived(this.viewedHost === null ? undefined : this.#byHost.get(this.viewedHost));

  /** True once a snapshot arrived: there is something (maybe old) to show. */
  get ready(): boolean {
    return this.snapshotAt !== null;
  }

  get isLive(): boolean {
    return this.state === 'live';
  }

  /** What the client holds of one host (undefined until it sent something); reactive. */
  host(name: string): HostLive | undefined {
    return this.#byHost.get(name);
  }

  viewHost(name: string): void {
    this.#chosenHost = name;
    this.#checkFreshness();
  }

  applySnapshot(snapshot: Snapshot): void {
    const now = Date.now();
    this.server = snapshot.server;
    this.viewer = snapshot.viewer;
    this.clockOffsetMs = snapshot.now - now;
    this.#sizing = ringSizing(snapshot.server.intervalMs);
    for (const host of this.#byHost.values()) host.resize(this.#sizing);
    for (const [name, series] of Object.entries(snapshot.series)) this.#hostLive(name).mergeSeries(series, snapshot.now, now);
    this.hosts = snapshot.hosts;
    this.#noteLastTs();
    this.snapshotAt = now;
    this.error = null;
    this.#refused = false;
    this.disconnectedAt = null;
    this.state = 'live';
    this.#checkFreshness();
  }

  applyMetrics(event: MetricsEvent): void {
    const host = this.#hostLive(event.host);
    host.append(event.ts, event.values, Date.now());
    if (!this.hosts.some((h) => h.name === event.host)) {
      this.hosts = [...this.hosts, { id: -1, name: event.host, lastSeen: event.ts, online: true }];
    }
    if (this.lastTs === null || event.ts > this.lastTs) this.lastTs = event.ts;
    if (event.host === this.viewedHost) this.#checkFreshness();
  }

  /** The socket is trying to connect, for the first time or again. */
  onConnecting(): void {
    if (navigator.onLine && !this.#refused) this.state = this.ready ? 'reconnecting' : 'connecting';
  }

  /** The connection dropped; it is being re-established. */
  onDisconnect(): void {
    this.#lost();
    this.state = !navigator.onLine ? 'offline' : this.ready ? 'reconnecting' : 'connecting';
  }

  /** A connection attempt failed: the server is unreachable (`refused`: false) or said no (true). */
  onConnectError(message: string, refused: boolean): void {
    this.error = message;
    this.#refused = refused;
    this.onDisconnect();
    if (refused) this.state = 'offline';
  }

  onBrowserOffline(): void {
    this.#lost();
    this.state = 'offline';
  }

  #lost(): void {
    this.#stopStaleTimer();
    this.disconnectedAt ??= Date.now();
  }

  #hostLive(name: string): HostLive {
    let host = this.#byHost.get(name);
    if (!host) {
      host = new HostLive(name, this.#sizing);
      this.#byHost.set(name, host);
    }
    return host;
  }

  #noteLastTs(): void {
    for (const host of this.#byHost.values()) {
      if (host.lastTs !== null && (this.lastTs === null || host.lastTs > this.lastTs)) this.lastTs = host.lastTs;
    }
  }

  /** While connected: live if the viewed host sent something within 3 ticks, else stale; re-checked by a local timer. */
  #checkFreshness(): void {
    if (this.state !== 'live' && this.state !== 'stale') return;
    this.#stopStaleTimer();
    const staleAfterMs = STALE_AFTER_TICKS * (this.server?.intervalMs ?? 1000);
    const receivedAt = this.viewed?.receivedAt ?? null;
    const remainingMs = receivedAt === null ? 0 : receivedAt + staleAfterMs - Date.now();
    if (remainingMs <= 0) {
      this.state = 'stale';
      return;
    }
    this.state = 'live';
    this.#staleTimer = setTimeout(() => this.#checkFreshness(), remainingMs);
  }

  #stopStaleTimer(): void {
    clearTimeout(this.#staleTimer);
    this.#staleTimer = undefined;
  }
}

export const live = new LiveStore();
