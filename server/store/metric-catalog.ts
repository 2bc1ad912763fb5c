/**
 * The runtime metric catalog: every metric name the server has stored ↔ its
 * small id, with what a person needs to read it. Built-in metrics (shared/
 * catalog.ts) are registered at every start; scraped, pushed and derived
 * ones when they first appear. In memory after start-up; a name another
 * server node registered is found by reloading on a miss.
 */
import { inArray } from 'drizzle-orm';
import {
  BUILTIN_METRICS, builtinInfo, isBuiltinMetric, METRICS, type MetricDef, type MetricInfo, type MetricKind, type MetricName,
} from '../../shared/catalog.ts';
import { ServiceError } from '../lib/errors.ts';
import type { Db } from './db.ts';
import { metrics, type MetricRow } from './schema.ts';

/** Runtime metrics beyond this many are refused: the catalog (and the sample id column) stays bounded. */
export const MAX_RUNTIME_METRICS = 30_000;

/** What a source knows of a metric it found. */
export interface NewMetric {
  name: MetricName;
  kind: MetricKind;
  unit?: string;
  help?: string;
  label?: string | null;
}

export interface MetricCatalog {
  /** The id of a registered metric, or undefined. */
  id(name: MetricName): number | undefined;
  name(id: number): MetricName | undefined;
  info(name: MetricName): MetricInfo | undefined;
  /** Every registered metric (built-ins first, then by name). */
  list(): MetricInfo[];
  /** Runtime (non-built-in) metrics only: what clients cannot know on their own. */
  runtime(): MetricInfo[];
  /** The definitions as `metricDef` wants them. */
  readonly defs: { get(name: string): MetricDef | undefined };
  /**
   * Registers metrics not known yet (one statement) and returns every one's
   * id. Built-in names are never re-registered as something else.
   * Throws a ServiceError when the catalog is full.
   */
  ensure(entries: readonly NewMetric[]): Promise<Map<MetricName, number>>;
  /** Re-reads the table (a name registered by another node). */
  reload(): Promise<void>;
  /** Called with metrics this node registered, e.g. to tell viewers. */
  onAdded(listener: (added: MetricInfo[]) => void): () => void;
}

/** How many decimals a runtime metric shows, by unit (percentages like the built-in ones; seconds to the millisecond). */
const RUNTIME_DECIMALS: Record<string, number> = { '%': 1, ms: 1, '': 2, '/s': 2 };

function toInfo(row: MetricRow): MetricInfo {
  if (isBuiltinMetric(row.name)) return builtinInfo(row.name);
  return {
    name: row.name,
    kind: row.kind,
    builtin: false,
    label: row.label ?? row.name,
    unit: row.unit,
    help: row.help,
    decimals: RUNTIME_DECIMALS[row.unit] ?? 3,
    signed: true,
  };
}

/**
 * Registers the built-ins a new version added. Only missing names are
 * inserted: an insert that conflicts still draws from the small id sequence.
 */
async function registerBuiltins(db: Db): Promise<void> {
  const present = new Set((await db.select({ name: metrics.name }).from(metrics)).map((r) => r.name));
  const missing = BUILTIN_METRICS.filter((name) => !present.has(name));
  if (missing.length === 0) return;
  await db
    .insert(metrics)
    .values(missing.map((name) => ({ name, builtin: true, kind: 'gauge' as const, label: METRICS[name].label, unit: METRICS[name].unit, help: METRICS[name].help })))
    .onConflictDoNothing();
}

export async function loadMetricCatalog(db: Db): Promise<MetricCatalog> {
  await registerBuiltins(db);
  const byName = new Map<MetricName, { id: number; info: MetricInfo }>();
  const byId = new Map<number, MetricName>();
  const listeners = new Set<(added: MetricInfo[]) => void>();
  let runtimeCount = 0;

  const remember = (rows: MetricRow[]) => {
    for (const row of rows) {
      if (byName.has(row.name)) continue;
      byName.set(row.name, { id: row.id, info: toInfo(row) });
      byId.set(row.id, row.name);
      if (!isBuiltinMetric(row.name)) runtimeCount++;
    }
  };
  const reload = async () => remember(await db.select().from(metrics));
  await reload();

  const sorted = (infos: MetricInfo[]) => infos.sort((a, b) => Number(b.builtin) - Number(a.builtin) || a.name.localeCompare(b.name));

  return {
    id: (name) => byName.get(name)?.id,
    name: (id) => byId.get(id),
    info: (name) => byName.get(name)?.info,
    list: () => sorted(Array.from(byName.values(), (e) => e.info)),
    runtime: () => sorted(Array.from(byName.values(), (e) => e.info).filter((i) => !i.builtin)),
    defs: { get: (name) => byName.get(name)?.info },
    async ensure(entries) {
      const ids = new Map<MetricName, number>();
      const missing = new Map<MetricName, NewMetric>();
      for (const e of entries) {
        const known = byName.get(e.name);
        if (known) ids.set(e.name, known.id);
        else missing.set(e.name, e);
      }
      if (missing.size === 0) return ids;
      if (runtimeCount + missing.size > MAX_RUNTIME_METRICS) {
        throw new ServiceError(422, 'catalog_full', `the metric catalog holds ${MAX_RUNTIME_METRICS} metrics at most; ${missing.size} new ones refused`);
      }
      const inserted = await db
        .insert(metrics)
        .values(
          Array.from(missing.values(), (e) => ({
            name: e.name, kind: e.kind, builtin: false, label: e.label ?? null, unit: (e.unit ?? '').slice(0, 32), help: (e.help ?? '').slice(0, 500),
          })),
        )
        .onConflictDoNothing()
        .returning();
      remember(inserted);
      // Names another node registered in the meantime.
      if (inserted.length < missing.size) remember(await db.select().from(metrics).where(inArray(metrics.name, [...missing.keys()])));
      for (const name of missing.keys()) {
        const known = byName.get(name);
        if (!known) throw new Error(`metric "${name}" could not be registered`);
        ids.set(name, known.id);
      }
      if (inserted.length > 0) {
        const added = inserted.map(toInfo);
        for (const l of listeners) l(added);
      }
      return ids;
    },
    reload,
    onAdded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
