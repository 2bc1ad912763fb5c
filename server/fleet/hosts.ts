/**
 * Every host glasswatch watches — this server, agents, scrape targets,
 * pushers — with its small id and, in memory, when its last fresh sample
 * arrived. From that arrival time the server computes `host.up` for every
 * host at every tick: 1 while samples arrive, 0 once the host missed three of
 * its own ticks. Retired hosts (agent revoked, target deleted) keep their
 * history but are no longer watched.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { HostInfo, HostKind } from '../../shared/events.ts';
import type { Db } from '../store/db.ts';
import { hosts } from '../store/schema.ts';

/** A host is down once it has missed this many of its ticks. */
export const DOWN_AFTER_TICKS = 3;
/**
 * After this server starts watching a host it gives it this long to be
 * heard from before calling it down: agents reconnect with a backoff (up to
 * 10 s), so a server restart must not page for every host.
 */
export const START_GRACE_MS = 15_000;

interface HostState {
  id: number;
  name: string;
  kind: HostKind;
  intervalMs: number;
  /** When its newest sample was stored (shown), from the database at start. */
  lastSeen: number | null;
  /** Server clock when its newest fresh sample arrived in this run. */
  heardAt: number | null;
  /** When this server started watching it: a host never heard of since counts as down 3 ticks later. */
  watchedSince: number;
  clockSkewMs: number | null;
  up: boolean | null;
}

export interface HostRegistry {
  /** Finds or creates a watched host, updating its kind and tick; returns its id. */
  ensure(name: string, kind: HostKind, intervalMs?: number): Promise<number>;
  id(name: string): number | undefined;
  /** Id of any host with stored history, retired ones included (history reads). */
  anyId(name: string): number | undefined;
  has(name: string): boolean;
  /** A watched host's kind and tick, without building the whole list (per-request paths). */
  get(name: string): { kind: HostKind; intervalMs: number } | undefined;
  /** A host's tick by id (retired hosts: the default tick). */
  intervalMsOf(id: number): number;
  /** A fresh sample of `name` arrived at server time `atMs`. */
  seen(name: string, atMs: number): void;
  setClockSkew(name: string, ms: number | null): void;
  /** Watched hosts with `online` at `now`, by name. */
  list(now?: number): HostInfo[];
  /**
   * `host.up` of every watched host at `now`, and the hosts whose state
   * changed since the last call (for the `hosts` event).
   */
  liveness(now: number): { up: Array<{ host: string; up: boolean }>; changed: boolean };
  /** Stops watching a host (its history stays); `ensure` watches it again. */
  retire(name: string): Promise<void>;
  reload(): Promise<void>;
}

export async function loadHostRegistry(db: Db, defaults: { intervalMs: number; now?: () => number }): Promise<HostRegistry> {
  const now = defaults.now ?? Date.now;
  const watched = new Map<string, HostState>();
  /** Every host with an id, retired or not. */
  const allIds = new Map<string, number>();

  async function reload() {
    const rows = await db.select().from(hosts);
    const started = now();
    for (const row of rows) {
      allIds.set(row.name, row.id);
      if (row.retiredAt) {
        watched.delete(row.name);
        continue;
      }
      const known = watched.get(row.name);
      if (known) {
        known.kind = row.kind;
        known.intervalMs = row.intervalMs ?? defaults.intervalMs;
        continue;
      }
      watched.set(row.name, {
        id: row.id, name: row.name, kind: row.kind, intervalMs: row.intervalMs ?? defaults.intervalMs,
        lastSeen: row.lastSeen?.getTime() ?? null, heardAt: null, watchedSince: started, clockSkewMs: null, up: null,
      });
    }
  }
  await reload();

  // Three ticks, plus half of one for jitter.
  const limit = (h: HostState) => (DOWN_AFTER_TICKS + 0.5) * h.intervalMs;
  const online = (h: HostState, at: number) => h.heardAt !== null && at - h.heardAt <= limit(h);
  // Not heard of since we started watching: a grace period, so a server restart does not page.
  const isUp = (h: HostState, at: number) => online(h, at) || (h.heardAt === null && at - h.watchedSince <= Math.max(limit(h), START_GRACE_MS));

  return {
    async ensure(name, kind, intervalMs) {
      const known = watched.get(name);
      const wantInterval = intervalMs ?? known?.intervalMs ?? defaults.intervalMs;
      if (known && known.kind === kind && known.intervalMs === wantInterval) return known.id;
      const [row] = await db
        .insert(hosts)
        .values({ name, kind, intervalMs: wantInterval })
        .onConflictDoUpdate({ target: hosts.name, set: { kind, intervalMs: wantInterval, retiredAt: null } })
        .returning();
      if (!row) throw new Error(`could not register host "${name}"`);
      allIds.set(name, row.id);
      if (known) {
        known.kind = kind;
        known.intervalMs = wantInterval;
      } else {
        watched.set(name, {
          id: row.id, name, kind, intervalMs: wantInterval, lastSeen: row.lastSeen?.getTime() ?? null, heardAt: null, watchedSince: now(), clockSkewMs: null, up: null,
        });
      }
      return row.id;
    },
    id: (name) => watched.get(name)?.id,
    anyId: (name) => allIds.get(name),
    has: (name) => watched.has(name),
    get(name) {
      const h = watched.get(name);
      return h && { kind: h.kind, intervalMs: h.intervalMs };
    },
    intervalMsOf(id) {
      for (const h of watched.values()) if (h.id === id) return h.intervalMs;
      return defaults.intervalMs;
    },
    seen(name, atMs) {
      const h = watched.get(name);
      if (!h) return;
      if (h.heardAt === null || atMs > h.heardAt) h.heardAt = atMs;
      if (h.lastSeen === null || atMs > h.lastSeen) h.lastSeen = atMs;
    },
    setClockSkew(name, ms) {
      const h = watched.get(name);
      if (h) h.clockSkewMs = ms;
    },
    list(at = now()) {
      return Array.from(watched.values(), (h) => ({
        id: h.id, name: h.name, kind: h.kind, lastSeen: h.lastSeen, online: online(h, at), intervalMs: h.intervalMs, clockSkewMs: h.clockSkewMs,
      })).sort((a, b) => a.name.localeCompare(b.name));
    },
    liveness(at) {
      let changed = false;
      const up: Array<{ host: string; up: boolean }> = [];
      for (const h of watched.values()) {
        const u = isUp(h, at);
        if (h.up !== u) changed = true;
        h.up = u;
        up.push({ host: h.name, up: u });
      }
      return { up, changed };
    },
    async retire(name) {
      await db.update(hosts).set({ retiredAt: new Date(now()) }).where(and(eq(hosts.name, name), isNull(hosts.retiredAt)));
      watched.delete(name);
    },
    reload,
  };
}
