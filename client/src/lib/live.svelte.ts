import { SvelteMap } from 'svelte/reactivity';
import type { MetricName } from '$shared/catalog.ts';
import type { HostInfo, MetricsEvent, ServerInfo, ServerStatus, Snapshot, SnapshotViewer, TsMs } from '$shared/events.ts';
import type { Target } from '$shared/fleet.ts';
import { SNAPSHOT_WINDOW_MS } from '$shared/events.ts';
import { HostLive, type RingSizing } from './host-live.svelte.ts';

/**
 * - connecting: never connected yet (or refused before the first snapshot)
 * - live: connected and samples of the viewed host keep arriving
 * - reconnecting: lost the connection; socket.io retries with backoff
 * - stale: connected, but the viewed host sent nothing for 3 of its ticks (or the server says it is down)
 * - offline: the browser is offline, or the server refused the connection
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'stale' | 'offline';

/** No sample of a host for this many of its ticks (and half one for jitter, as the server counts) → down. */
export const DOWN_AFTER_TICKS = 3.5;
/** The host picked on the dashboard, remembered per browser. */
const HOST_KEY = 'glasswatch.host';
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
  /** During a database outage live data goes on and changes wait. */
  status = $state.raw<ServerStatus>({ database: 'ok' });
  /** The scrape targets as the server last pushed them (a target added or changed, a status changed); null: none pushed yet. */
  targets = $state.raw<Target[] | null>(null);
  #chosenHost = $state<string | null>(readStored());
  /** Hosts on screen in full (every metric); the others get the overview's metrics only. */
  #detail: string[] = this.#chosenHost ? [this.#chosenHost] : [];
  /** …and those of them whose window the client holds (from a snapshot or `series:get`). */
  #filled = new Set<string>();
  /** What the last handshake asked for in full: its snapshot fills them. */
  #asked: string[] = [];
  /** Down hosts whose last numbers were asked for (see `lastKnownMissing`). */
  #askedLastKnown = new Set<string>();
  /** The server said no: stay 'offline' through the (slow) retries until it says yes. */
  #refused = false;
  #byHost = new SvelteMap<string, HostLive>();
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

  /** The host's own tick (agents and targets have theirs), else the server's. */
  intervalOf(name: string): number {
    return this.hosts.find((h) => h.name === name)?.intervalMs ?? this.server?.intervalMs ?? 1000;
  }

  /** The server says the host is down (`host.up` 0, or offline in the host list). */
  reportedDown(name: string): boolean {
    return this.hosts.find((h) => h.name === name)?.online === false || this.#byHost.get(name)?.latest['host.up'] === 0;
  }

  /** Reported down, or silent for 3 of its own ticks. */
  isDown(name: string, now = Date.now()): boolean {
    const heard = this.#byHost.get(name)?.receivedAt ?? null;
    return this.reportedDown(name) || (heard !== null && now - heard > DOWN_AFTER_TICKS * this.intervalOf(name));
  }

  /** Picks the host on screen; the choice is remembered in this browser. */
  viewHost(name: string): void {
    this.#chosenHost = name;
    try {
      localStorage.setItem(HOST_KEY, name);
    } catch {
      // Storage refused (private mode, quota): the choice lasts this page.
    }
    this.#checkFreshness();
  }

  /**
   * Sent as `since` on every (re)connect: the newest sample that every host
   * still reporting has reached, so the snapshot fills the hole of each (a
   * host's clock may lag the server's a little; a down host is left out).
   */
  since(): number | undefined {
    let since: number | undefined;
    for (const [name, host] of this.#byHost) {
      if (host.lastTs !== null && !this.reportedDown(name)) since = Math.min(since ?? host.lastTs, host.lastTs);
    }
    return since;
  }

  /** The hosts a handshake asks for in full (`auth.hosts`); its snapshot then fills them. */
  handshakeHosts(): string[] {
    this.#asked = [...this.#detail];
    return this.#asked;
  }

  /**
   * Shows these hosts in full from now on (the others keep only the
   * overview's rings); answers those whose window must be fetched.
   */
  focus(names: readonly string[]): string[] {
    this.#detail = [...names];
    for (const [name, host] of this.#byHost) {
      host.setFull(names.includes(name));
      if (!names.includes(name)) this.#filled.delete(name);
    }
    return this.unfilled();
  }

  /** Hosts shown in full whose window is still to be fetched (only while connected). */
  unfilled(): string[] {
    if (this.state !== 'live' && this.state !== 'stale') return [];
    const missing = this.#detail.filter((h) => !this.#filled.has(h));
    for (const h of missing) this.#filled.add(h); // asked for once; a failure calls unfill()
    return missing;
  }

  /**
   * Down hosts the client holds no numbers of: a snapshot's overview keeps
   * the newest tick of each 10 s, and for a down host that is its `host.up`
   * alone. Their window is asked for once, so they show their last numbers.
   */
  lastKnownMissing(): string[] {
    const missing = this.hosts.filter((h) => !this.#askedLastKnown.has(h.name) && this.reportedDown(h.name) && !this.#byHost.get(h.name)?.lastTs);
    for (const h of missing) this.#askedLastKnown.add(h.name);
    return missing.map((h) => h.name);
  }

  unfill(name: string): void {
    this.#filled.delete(name);
  }

  /** One host's window (`series:get`): merged under what arrived live meanwhile. */
  applySeries(name: string, series: Record<MetricName, Array<[TsMs, number | null]>>): void {
    const now = Date.now();
    this.#hostLive(name).mergeSeries(series, now + this.clockOffsetMs, now);
    if (name === this.viewedHost) this.#checkFreshness();
  }

  /** The host list changed (a host came, went, or changed state). */
  applyHosts(hosts: HostInfo[]): void {
    this.hosts = hosts;
    for (const h of hosts) this.#byHost.get(h.name)?.resize(this.#sizing(h.name));
    this.#checkFreshness();
  }

  applySnapshot(snapshot: Snapshot): void {
    const now = Date.now();
    this.server = snapshot.server;
    this.viewer = snapshot.viewer;
    this.clockOffsetMs = snapshot.now - now;
    this.hosts = snapshot.hosts;
    this.status = snapshot.status;
    for (const [name, host] of this.#byHost) host.resize(this.#sizing(name));
    for (const [name, series] of Object.entries(snapshot.series)) this.#hostLive(name).mergeSeries(series, snapshot.now, now);
    for (const name of this.#asked) if (this.#detail.includes(name)) this.#filled.add(name);
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
      host = new HostLive(name, this.#sizing(name), this.#detail.includes(name));
      this.#byHost.set(name, host);
    }
    return host;
  }

  #sizing(name: string): RingSizing {
    return ringSizing(this.intervalOf(name));
  }

  /** While connected: live while the viewed host is up and sent something within 3 of its ticks, else stale; re-checked by a local timer. */
  #checkFreshness(): void {
    if (this.state !== 'live' && this.state !== 'stale') return;
    this.#stopStaleTimer();
    const name = this.viewedHost;
    const receivedAt = this.viewed?.receivedAt ?? null;
    const remainingMs = receivedAt === null || name === null ? 0 : receivedAt + DOWN_AFTER_TICKS * this.intervalOf(name) - Date.now();
    if (remainingMs <= 0 || this.reportedDown(name!)) {
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

function readStored(): string | null {
  try {
    return localStorage.getItem(HOST_KEY);
  } catch {
    return null;
  }
}
