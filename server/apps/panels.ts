/**
 * The Application panel of each application host: which series it shows,
 * chosen by an admin and stored once for the installation (settings
 * `app_panels`). A host nobody configured shows sensible defaults: its
 * derived ratios (error rate), its request-rate sums, its p95 latencies.
 */
import type { AppPanels } from '../../shared/apps.ts';
import { isBuiltinMetric } from '../../shared/catalog.ts';
import { audit } from '../auth/audit.ts';
import { actorName, auditOf, type Actor } from '../auth/service.ts';
import type { HostRegistry } from '../fleet/hosts.ts';
import type { DerivedService } from '../ingest/derived.ts';
import { notFound, ServiceError } from '../lib/errors.ts';
import type { RecentWindow } from '../realtime/recent-window.ts';
import type { Db } from '../store/db.ts';
import { settings } from '../store/schema.ts';
import { eq, sql } from 'drizzle-orm';

const KEY = 'app_panels';
/** What the settings row holds: only the hosts an admin chose. */
interface Stored {
  hosts: Record<string, string[]>;
}
const DEFAULT_SERIES = 6;

/** Up to six series a person wants first on an application's panel. */
export function defaultPanelSeries(series: readonly string[], derived: ReadonlySet<string>): string[] {
  const rank = (name: string) => {
    if (derived.has(name)) return 0;
    if (name.includes('{')) return 9; // label sets: the sums come first
    if (/_total:rate$/.test(name)) return 1;
    if (/:p95$/.test(name)) return 2;
    if (/:rate$/.test(name)) return 3;
    if (/:p(50|99)$/.test(name)) return 5;
    return 4;
  };
  return series
    .filter((s) => !isBuiltinMetric(s) && rank(s) < 9)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .slice(0, DEFAULT_SERIES);
}

export type AppPanelService = Awaited<ReturnType<typeof createAppPanelService>>;

export async function createAppPanelService(deps: { db: Db; hosts: HostRegistry; recent: RecentWindow; derived: DerivedService }) {
  const { db } = deps;
  const load = async () => {
    const [row] = await db.select().from(settings).where(eq(settings.key, KEY));
    return ((row?.value as Stored | undefined) ?? { hosts: {} }).hosts;
  };
  let stored = await load();

  return {
    /** Every application host's panel: what an admin chose, else the defaults. */
    get(): AppPanels {
      const derived = new Set(deps.derived.list().map((d) => d.name));
      const hosts: Record<string, string[]> = {};
      for (const h of deps.hosts.list()) {
        const series = Object.keys(deps.recent.hostSeries(h.name, Date.now() - 15 * 60_000) ?? {});
        const chosen = stored[h.name];
        if (chosen) hosts[h.name] = chosen;
        else if (h.kind === 'target' || h.kind === 'push' || series.some((s) => !isBuiltinMetric(s))) {
          const defaults = defaultPanelSeries(series, derived);
          if (defaults.length > 0) hosts[h.name] = defaults;
        }
      }
      return { hosts, custom: Object.keys(stored).filter((h) => hosts[h]).sort() };
    },

    /**
     * Pins one host's series (null: back to the defaults). One host's entry
     * changes in one statement, so two admins editing two hosts never undo
     * each other.
     */
    async choose(host: string, series: string[] | null, by: Actor): Promise<AppPanels> {
      const builtin = series?.find((s) => isBuiltinMetric(s));
      if (builtin) throw new ServiceError(422, 'invalid_value', `"${builtin}": the host cards already show built-in metrics; pin application series`);
      if (series && !deps.hosts.has(host)) throw notFound(`host "${host}"`);
      const hostsAfter = series
        ? sql`coalesce(${settings.value} -> 'hosts', '{}'::jsonb) || jsonb_build_object(${host}::text, ${JSON.stringify(series)}::jsonb)`
        : sql`coalesce(${settings.value} -> 'hosts', '{}'::jsonb) - ${host}::text`;
      const [row] = await db.transaction(async (tx) => {
        const written = await tx
          .insert(settings)
          .values({ key: KEY, value: { hosts: series ? { [host]: series } : {} } satisfies Stored, updatedBy: actorName(by.principal) })
          .onConflictDoUpdate({ target: settings.key, set: { value: sql`jsonb_build_object('hosts', ${hostsAfter})`, updatedBy: actorName(by.principal), updatedAt: new Date() } })
          .returning({ value: settings.value });
        await audit(tx, auditOf(by, 'settings.update', `${KEY}/${host}`, { series }));
        return written;
      });
      stored = (row?.value as Stored).hosts;
      return this.get();
    },

    async reload() {
      stored = await load();
    },
  };
}
