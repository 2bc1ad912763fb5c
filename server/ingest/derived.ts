/**
 * Derived ratios: numerator ÷ denominator × factor, each side a sum of
 * series selected by family and, optionally, a label's prefix (the error
 * rate: Σ x_total:rate{status=5…} ÷ x_total:rate × 100). The language stays
 * this small on purpose: one division of two sums, one factor.
 *
 * Computed at ingest for every sample that carries the families, and added
 * to it as one more series — so a ratio is stored, drawn, evaluated by rules
 * and re-exported like any metric. An admin defines them (audited).
 */
import { eq } from 'drizzle-orm';
import type { DerivedMetric, SeriesSelector } from '../../shared/apps.ts';
import { isBuiltinMetric, seriesFamily, type MetricValues } from '../../shared/catalog.ts';
import { audit } from '../auth/audit.ts';
import { actorName, auditOf, type Actor } from '../auth/service.ts';
import { notFound, ServiceError } from '../lib/errors.ts';
import { parseLabelSet } from '../scrape/exposition.ts';
import type { Db } from '../store/db.ts';
import type { MetricCatalog } from '../store/metric-catalog.ts';
import { derivedMetrics, type DerivedRow } from '../store/schema.ts';

const toDerived = (r: DerivedRow): DerivedMetric => ({
  id: r.id, name: r.name, label: r.label, unit: r.unit, numerator: r.numerator, denominator: r.denominator, factor: r.factor,
  createdBy: r.createdBy, createdAt: r.createdAt.getTime(),
});

/** A series name's labels, parsed once per name. */
const labelCache = new Map<string, ReadonlyMap<string, string>>();
function labelsOf(name: string): ReadonlyMap<string, string> {
  let labels = labelCache.get(name);
  if (!labels) {
    const brace = name.indexOf('{');
    try {
      labels = new Map(brace === -1 ? [] : parseLabelSet(name.slice(brace)).map(([k, v]) => [k, v] as [string, string]));
    } catch {
      labels = new Map(); // not a Prometheus label set: matches no label filter
    }
    if (labelCache.size > 50_000) labelCache.clear();
    labelCache.set(name, labels);
  }
  return labels;
}

/**
 * The sum a selector picks from one sample's values: undefined when the
 * sample has no series of the family (nothing to say), 0 when it has some
 * but none match (no 5xx this interval is an error rate of 0).
 */
export function selectSum(values: MetricValues, sel: SeriesSelector): number | undefined {
  if (sel.label === undefined) {
    const own = values[sel.family];
    if (typeof own === 'number') return own;
  }
  let seen = false;
  let sum = 0;
  for (const name in values) {
    const v = values[name];
    if (typeof v !== 'number' || !name.startsWith(sel.family) || seriesFamily(name) !== sel.family) continue;
    seen = true;
    if (name.length === sel.family.length) continue; // the family's own sum: not a label set
    if (sel.label !== undefined && !(labelsOf(name).get(sel.label) ?? '').startsWith(sel.prefix ?? '')) continue;
    sum += v;
  }
  return seen ? sum : undefined;
}

/** numerator ÷ denominator × factor, or undefined (a side missing, or nothing to divide by). */
export function ratio(values: MetricValues, d: Pick<DerivedMetric, 'numerator' | 'denominator' | 'factor'>): number | undefined {
  const num = selectSum(values, d.numerator);
  const den = selectSum(values, d.denominator);
  if (num === undefined || den === undefined || den === 0) return undefined;
  const v = (num / den) * d.factor;
  return Number.isFinite(v) ? v : undefined;
}

export type DerivedService = Awaited<ReturnType<typeof createDerivedService>>;

export async function createDerivedService(deps: { db: Db; catalog: MetricCatalog }) {
  const { db } = deps;
  let defs: DerivedMetric[] = (await db.select().from(derivedMetrics)).map(toDerived);

  return {
    list: () => [...defs].sort((a, b) => a.name.localeCompare(b.name)),

    /** Adds every ratio the sample's values allow to them (in place). */
    extend(values: MetricValues): void {
      for (const d of defs) {
        const v = ratio(values, d);
        if (v !== undefined) values[d.name] = v;
      }
    },

    async create(input: Omit<DerivedMetric, 'id' | 'createdBy' | 'createdAt'>, by: Actor): Promise<DerivedMetric> {
      if (isBuiltinMetric(input.name) || deps.catalog.info(input.name)) throw new ServiceError(409, 'conflict', `a metric named "${input.name}" exists`);
      const row = await db.transaction(async (tx) => {
        const [created] = await tx
          .insert(derivedMetrics)
          .values({ ...input, createdBy: actorName(by.principal) })
          .onConflictDoNothing()
          .returning();
        if (!created) throw new ServiceError(409, 'conflict', `a derived metric named "${input.name}" exists`);
        await audit(tx, auditOf(by, 'derived.create', input.name, { ...input }));
        return created;
      });
      await deps.catalog.ensure([{ name: row.name, kind: 'derived', unit: row.unit, label: row.label, help: `${describe(row.numerator)} ÷ ${describe(row.denominator)} × ${row.factor}` }]);
      const d = toDerived(row);
      defs = [...defs, d];
      return d;
    },

    async remove(id: number, by: Actor): Promise<void> {
      await db.transaction(async (tx) => {
        const [deleted] = await tx.delete(derivedMetrics).where(eq(derivedMetrics.id, id)).returning();
        if (!deleted) throw notFound(`derived metric ${id}`);
        await audit(tx, auditOf(by, 'derived.delete', deleted.name));
      });
      defs = defs.filter((d) => d.id !== id);
    },

    async reload() {
      defs = (await db.select().from(derivedMetrics)).map(toDerived);
    },
  };
}

/** `x_total:rate{status=5…}`, as the catalog's help shows a selector. */
export function describe(sel: SeriesSelector): string {
  return sel.label === undefined ? sel.family : `${sel.family}{${sel.label}=${sel.prefix ?? ''}…}`;
}
