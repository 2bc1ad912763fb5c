/**
 * Scrape targets: Prometheus endpoints glasswatch fetches every
 * `intervalSeconds`. Each scrape has a deadline and at most a few run at
 * once, so a slow or dead target never delays anything else; the body is
 * parsed and converted off the main thread (exposition-pool.ts); the series
 * go through the one ingest path as the target's host. A target that fails
 * three scrapes in a row sends nothing, so its host goes down (`host.up` 0).
 * Every change is audited in the transaction that makes it.
 */
import { eq } from 'drizzle-orm';
import type { Target } from '../../shared/fleet.ts';
import { TARGET_DEFAULT_INTERVAL_S, TARGET_DEFAULT_SERIES_LIMIT } from '../../shared/fleet.ts';
import { audit } from '../auth/audit.ts';
import { actorName, auditOf, type Actor } from '../auth/service.ts';
import type { HostRegistry } from '../fleet/hosts.ts';
import type { Ingest } from '../ingest/ingest.ts';
import { notFound, ServiceError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { Db } from '../store/db.ts';
import { scrapeTargets, type TargetRow } from '../store/schema.ts';
import { ConvertError, type ExpositionPool } from './exposition-pool.ts';

const log = createLogger('scrape');
/** Scrapes in flight at once, whatever the number of targets. */
export const MAX_CONCURRENT_SCRAPES = 8;
/** A body larger than this is refused (a target error). */
export const MAX_SCRAPE_BYTES = 4 * 1024 * 1024;
/** Status is written to the database at most this often per target (and at once when it changes). */
const STATUS_EVERY_MS = 30_000;

export interface TargetInput {
  name: string;
  url: string;
  host?: string | undefined;
  intervalSeconds?: number | undefined;
  seriesLimit?: number | undefined;
  enabled?: boolean | undefined;
}

/** Why the target list changed (see onChange). */
export type TargetChange = 'config' | 'status';

interface Live {
  row: TargetRow;
  nextAt: number;
  inFlight: boolean;
  lastWrittenAt: number;
}

/** Why a scrape failed, in words an operator reads in the target list. */
export function describeScrapeError(err: unknown, timeoutMs: number): string {
  if (err instanceof ConvertError) return err.message;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
  const code = e?.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  // fetch says only "fetch failed"; the reason is in its cause.
  if (e?.cause?.message) return `${e.message}: ${e.cause.message}`;
  return e?.message ?? String(err);
}

/** Fetches a body with a deadline and a size cap; throws a descriptive Error. */
export async function fetchExposition(url: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, {
    signal,
    redirect: 'follow',
    headers: { accept: 'text/plain;version=0.0.4;q=0.9, application/openmetrics-text;version=1.0.0;q=0.8, */*;q=0.1', 'user-agent': 'glasswatch' },
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const type = res.headers.get('content-type') ?? '';
  if (type && !/^(text\/plain|application\/openmetrics-text)\b/i.test(type)) {
    await res.body?.cancel();
    throw new Error(`unexpected content type "${type.slice(0, 80)}" (want text/plain or application/openmetrics-text)`);
  }
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_SCRAPE_BYTES) {
      await reader.cancel();
      throw new Error(`body larger than ${MAX_SCRAPE_BYTES / 1024 / 1024} MiB`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const toTarget = (row: TargetRow): Target => ({
  id: row.id,
  name: row.name,
  url: row.url,
  host: row.host,
  intervalSeconds: row.intervalSeconds,
  seriesLimit: row.seriesLimit,
  enabled: row.enabled,
  lastScrapeAt: row.lastScrapeAt?.getTime() ?? null,
  lastDurationMs: row.lastDurationMs,
  lastError: row.lastError,
  series: row.series,
});

export type TargetService = Awaited<ReturnType<typeof createTargetService>>;

export async function createTargetService(deps: { db: Db; pool: ExpositionPool; ingest: Ingest; hosts: HostRegistry; now?: () => number }) {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  const live = new Map<number, Live>();
  let inFlight = 0;
  const finished = new Set<Promise<void>>();
  const listeners = new Set<(why: TargetChange) => void>();
  const tell = (why: TargetChange) => {
    for (const listener of listeners) listener(why);
  };

  const track = (row: TargetRow) => {
    const known = live.get(row.id);
    live.set(row.id, { row, nextAt: known?.nextAt ?? now(), inFlight: known?.inFlight ?? false, lastWrittenAt: known?.lastWrittenAt ?? 0 });
  };
  for (const row of await db.select().from(scrapeTargets)) track(row);

  async function writeStatus(t: Live, force: boolean) {
    if (!force && now() - t.lastWrittenAt < STATUS_EVERY_MS) return;
    t.lastWrittenAt = now();
    const { lastScrapeAt, lastDurationMs, lastError, series } = t.row;
    await db.update(scrapeTargets).set({ lastScrapeAt, lastDurationMs, lastError, series }).where(eq(scrapeTargets.id, t.row.id));
  }

  /** One scrape of one target: fetch, convert off-thread, ingest; the outcome lands in its status. */
  async function scrape(t: Live): Promise<void> {
    const { row } = t;
    const started = now();
    const timeoutMs = Math.min(row.intervalSeconds * 1000 * 0.8, 10_000);
    const hadError = row.lastError;
    const first = row.lastScrapeAt === null;
    try {
      const text = await fetchExposition(row.url, AbortSignal.timeout(timeoutMs));
      const { values, series, skipped } = await deps.pool.convert(`target:${row.id}`, text, started, { maxSeries: row.seriesLimit, lenient: true });
      await deps.hosts.ensure(row.host, 'target', row.intervalSeconds * 1000);
      // Not awaited: storage may be slow; the scrape is done, and the next is not held back.
      deps.ingest
        .accept(row.host, [{ host: row.host, ts: started, values }], { kind: 'target', fresh: true, intervalMs: row.intervalSeconds * 1000, newMetrics: series })
        .catch((err) => log.warn(`storing the scrape of target "${row.name}" failed`, err));
      row.lastError = null;
      row.series = series.length;
      if (skipped > 0) log.debug(`target "${row.name}": ${skipped} NaN/Inf gauge values skipped`);
    } catch (err) {
      row.lastError = describeScrapeError(err, timeoutMs).slice(0, 500);
      if (hadError !== row.lastError) log.warn(`target "${row.name}" (${row.url}): ${row.lastError}`);
    } finally {
      row.lastScrapeAt = new Date(started);
      row.lastDurationMs = Math.round(now() - started);
      if (hadError && !row.lastError) log.info(`target "${row.name}" scrapes again`);
      const changed = first || hadError !== row.lastError;
      await writeStatus(t, changed).catch((err) => log.warn('could not store a target status', err));
      if (changed) tell('status');
    }
  }

  /** Starts the scrapes that are due (at most MAX_CONCURRENT_SCRAPES at once). */
  function dispatch() {
    const at = now();
    for (const t of live.values()) {
      if (inFlight >= MAX_CONCURRENT_SCRAPES) break;
      if (!t.row.enabled || t.inFlight || t.nextAt > at) continue;
      // The next slot is kept whatever this scrape takes: a slow target skips slots, never bunches them.
      const every = t.row.intervalSeconds * 1000;
      t.nextAt = Math.max(t.nextAt + every, at - (at % every) + every);
      t.inFlight = true;
      inFlight++;
      const done = scrape(t).finally(() => {
        t.inFlight = false;
        inFlight--;
        finished.delete(done);
      });
      finished.add(done);
    }
  }

  /** A target may share its host with other targets, never take an agent's or this server's. */
  function checkHostOwner(host: string) {
    const owner = deps.hosts.list().find((h) => h.name === host);
    if (owner && owner.kind !== 'target') throw new ServiceError(409, 'conflict', `host "${host}" is a ${owner.kind} host: give the target another host`);
  }

  return {
    list(): Target[] {
      return Array.from(live.values(), (t) => toTarget(t.row)).sort((a, b) => a.name.localeCompare(b.name));
    },

    async create(input: TargetInput, by: Actor): Promise<Target> {
      const host = input.host ?? input.name;
      checkHostOwner(host);
      const row = await db.transaction(async (tx) => {
        const [created] = await tx
          .insert(scrapeTargets)
          .values({
            name: input.name, url: input.url, host,
            intervalSeconds: input.intervalSeconds ?? TARGET_DEFAULT_INTERVAL_S,
            seriesLimit: input.seriesLimit ?? TARGET_DEFAULT_SERIES_LIMIT,
            enabled: input.enabled ?? true,
          })
          .onConflictDoNothing()
          .returning();
        if (!created) throw new ServiceError(409, 'conflict', `a target named "${input.name}" exists`);
        await audit(tx, auditOf(by, 'target.create', input.name, { url: input.url, host }));
        return created;
      });
      await deps.hosts.ensure(row.host, 'target', row.intervalSeconds * 1000);
      track(row);
      tell('config');
      return toTarget(row);
    },

    async update(id: number, patch: Partial<TargetInput>, by: Actor): Promise<Target> {
      const current = live.get(id);
      if (!current) throw notFound(`target ${id}`);
      if (patch.host !== undefined && patch.host !== current.row.host) checkHostOwner(patch.host);
      const row = await db.transaction(async (tx) => {
        const [updated] = await tx.update(scrapeTargets).set(patch).where(eq(scrapeTargets.id, id)).returning();
        if (!updated) throw notFound(`target ${id}`);
        await audit(tx, auditOf(by, 'target.update', updated.name, { ...patch }));
        return updated;
      });
      // A new URL or host is another source: no rate across it.
      if (patch.url !== undefined || patch.host !== undefined) deps.pool.forget(`target:${id}`);
      if (row.host !== current.row.host && !this.list().some((t) => t.id !== id && t.host === current.row.host)) await deps.hosts.retire(current.row.host);
      if (row.enabled) await deps.hosts.ensure(row.host, 'target', row.intervalSeconds * 1000);
      else if (!this.list().some((t) => t.id !== id && t.host === row.host && t.enabled)) await deps.hosts.retire(row.host);
      track({ ...row, lastScrapeAt: current.row.lastScrapeAt, lastDurationMs: current.row.lastDurationMs, lastError: current.row.lastError, series: current.row.series });
      tell('config');
      return toTarget(live.get(id)!.row);
    },

    async remove(id: number, by: Actor): Promise<void> {
      const row = await db.transaction(async (tx) => {
        const [deleted] = await tx.delete(scrapeTargets).where(eq(scrapeTargets.id, id)).returning();
        if (!deleted) throw notFound(`target ${id}`);
        await audit(tx, auditOf(by, 'target.delete', deleted.name));
        return deleted;
      });
      live.delete(id);
      deps.pool.forget(`target:${id}`);
      if (!this.list().some((t) => t.host === row.host)) await deps.hosts.retire(row.host);
      tell('config');
    },

    /**
     * Calls `listener` after targets were added, changed or removed here
     * ('config'), or a scrape changed a target's status here: its first
     * scrape, a new error, a recovery ('status'). Returns an unsubscribe.
     */
    onChange(listener: (why: TargetChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Scrapes due targets until `signal` aborts; `active()` false (not the cluster leader) pauses it. */
    start(signal: AbortSignal, active: () => boolean = () => true): Promise<void> {
      return runLoop(
        () => {
          if (active()) dispatch();
        },
        { intervalMs: 250, signal, log },
      ).then(() => Promise.all(finished).then(() => undefined));
    },

    /** Re-reads the targets (another node changed them). */
    async reload() {
      const rows = await db.select().from(scrapeTargets);
      const ids = new Set(rows.map((r) => r.id));
      for (const id of live.keys()) if (!ids.has(id)) live.delete(id);
      for (const row of rows) track(row);
    },
  };
}
