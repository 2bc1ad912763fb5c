/**
 * Small integer ids for hosts and metrics, cached in memory. Samples store
 * the ids; names live once in the lookup tables.
 */
import { sql } from 'drizzle-orm';
import { METRIC_NAMES, type MetricName } from '../../shared/catalog.ts';
import type { HostInfo } from '../../shared/events.ts';
import type { Db } from './db.ts';
import { hosts, metrics } from './schema.ts';

export interface SeriesIds {
  metricId(name: MetricName): number;
  metricName(id: number): MetricName | undefined;
  /** Finds or creates the host. */
  hostId(name: string): Promise<number>;
  /** The id of a known host, without touching the database. */
  knownHostId(name: string): number | undefined;
  /** Known hosts, with the last_seen stored when the server started. */
  listHosts(): Array<Omit<HostInfo, 'online'>>;
}

export async function loadSeriesIds(db: Db): Promise<SeriesIds> {
  // Register every catalog metric once; new catalog entries get new ids.
  await db
    .insert(metrics)
    .values(METRIC_NAMES.map((name) => ({ name })))
    .onConflictDoNothing();
  const metricRows = await db.select().from(metrics);
  const byName = new Map(metricRows.map((r) => [r.name, r.id]));
  const byId = new Map(metricRows.map((r) => [r.id, r.name as MetricName]));
  const hostRows = await db.select().from(hosts).orderBy(hosts.name);
  const hostIds = new Map(hostRows.map((h) => [h.name, h.id]));
  const storedLastSeen = new Map(hostRows.map((h) => [h.name, h.lastSeen?.getTime() ?? null]));

  return {
    metricId(name) {
      const id = byName.get(name);
      if (id === undefined) throw new Error(`metric "${name}" is not registered`);
      return id;
    },
    metricName: (id) => byId.get(id),
    knownHostId: (name) => hostIds.get(name),
    async hostId(name) {
      const known = hostIds.get(name);
      if (known !== undefined) return known;
      const [row] = await db
        .insert(hosts)
        .values({ name })
        .onConflictDoUpdate({ target: hosts.name, set: { name: sql`excluded.name` } })
        .returning({ id: hosts.id });
      if (!row) throw new Error(`could not register host "${name}"`);
      hostIds.set(name, row.id);
      return row.id;
    },
    listHosts() {
      return Array.from(hostIds, ([name, id]) => ({ id, name, lastSeen: storedLastSeen.get(name) ?? null })).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
    },
  };
}
