/**
 * The wall screen's state, derived from the live store: its settings (from
 * the snapshot's `viewer.display`), whether what it shows is live (the whole
 * screen, and each host on its own), and the views it rotates through.
 *
 * Honest data: the screen is live only while connected AND samples keep
 * arriving; three ticks without one and it says so. The socket's ping/pong
 * catches a dead connection, the tick catches a live connection that carries
 * nothing.
 */
import type { DisplaySettings, KioskView } from '$shared/auth.ts';
import { liveAlerts } from './alerts.svelte.ts';
import { clock } from './clock.svelte.ts';
import type { HostLive } from './host-live.svelte.ts';
import { hostHealth, type HostStatus } from './host-health.svelte.ts';
import { live } from './live.svelte.ts';

/** A logged-in browser on /kiosk has no display settings: the overview, still. */
export const DEFAULT_SETTINGS: DisplaySettings = { views: ['overview'], rotateSeconds: null, sound: false };

/**
 * - connecting: nothing received yet · live: connected and samples arrive ·
 * - stale: connected, but no sample for 3 ticks · lost: the connection is gone (retrying) ·
 * - refused: the server said no (token unknown or revoked, not logged in); retrying slowly
 */
export type KioskScreen = 'connecting' | 'live' | 'stale' | 'lost' | 'refused';

/** One page of the rotation: the overview, one host in detail, or the alerts. */
export interface KioskPage {
  id: string;
  view: KioskView;
  label: string;
  host?: string;
}

/** Freshness of one host, re-evaluated every second by the clock. */
export interface HostFreshness {
  fresh: boolean;
  /** DOWN (server says so, or 3 of its ticks silent), else the status of its values. */
  status: HostStatus;
  /** Server time of its newest sample, or null when it never sent one. */
  lastTs: number | null;
  /** How long ago that was on the server's clock, in ms. */
  ageMs: number | null;
}

class KioskState {
  settings = $derived<DisplaySettings>(live.viewer?.display ?? DEFAULT_SETTINGS);
  /** The display's name (or the logged-in user's). */
  name = $derived(live.viewer?.name ?? '');
  serverNow = $derived(clock.now + live.clockOffsetMs);
  #connected = $derived(live.ready && (live.state === 'live' || live.state === 'stale'));

  freshness(host: HostLive | undefined): HostFreshness {
    const health = host ? hostHealth(host.name) : { status: 'unknown' as const, live: false, lastTs: null };
    const ageMs = health.lastTs === null ? null : Math.max(0, this.serverNow - health.lastTs);
    return { fresh: health.live, status: health.status, lastTs: health.lastTs, ageMs };
  }

  /** The newest sample of any host (server time). */
  lastDataTs = $derived.by((): number | null => {
    let newest: number | null = null;
    for (const h of live.hosts) {
      const ts = live.host(h.name)?.lastTs ?? null;
      if (ts !== null && (newest === null || ts > newest)) newest = ts;
    }
    return newest;
  });

  screen = $derived.by((): KioskScreen => {
    // Offline with a reason while the network is up: the server said no (the live store keeps it offline until it says yes).
    if (live.state === 'offline' && live.error !== null && navigator.onLine) return 'refused';
    if (!live.ready) return 'connecting';
    if (!this.#connected) return 'lost';
    return live.hosts.some((h) => this.freshness(live.host(h.name)).fresh) ? 'live' : 'stale';
  });

  /** The views in order, `hosts` expanded to one page per host. */
  pages = $derived.by((): KioskPage[] => {
    const pages: KioskPage[] = [];
    for (const view of this.settings.views) {
      if (view === 'overview') pages.push({ id: 'overview', view, label: 'Overview' });
      else if (view === 'alerts') pages.push({ id: 'alerts', view, label: 'Alerts' });
      else {
        const names = live.hosts.length ? live.hosts.map((h) => h.name) : [live.viewedHost ?? ''];
        for (const host of names) pages.push({ id: `host:${host}`, view, label: host || 'Host', host });
      }
    }
    return pages;
  });

  #pageId = $state<string | null>(null);
  page = $derived<KioskPage>(this.pages.find((p) => p.id === this.#pageId) ?? this.pages[0] ?? { id: 'overview', view: 'overview', label: 'Overview' });
  rotates = $derived(this.settings.rotateSeconds !== null && this.pages.length > 1);
  /** Rotation holds while an unacknowledged CRITICAL alert is open: it stays on screen. */
  paused = $derived(this.rotates && liveAlerts.unacknowledgedCritical.length > 0);

  next(): void {
    const i = this.pages.findIndex((p) => p.id === this.page.id);
    this.#pageId = this.pages[(i + 1) % this.pages.length]?.id ?? null;
  }
}

export const kiosk = new KioskState();
