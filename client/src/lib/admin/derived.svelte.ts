import type { DerivedMetric, DerivedResponse, SeriesSelector } from '$shared/apps.ts';
import { derivedCreateSchema } from '$shared/apps-schemas.ts';
import { API, routeTo } from '$shared/routes.ts';
import { getJson, sendJson } from '../api.ts';
import { LoadState } from '../load-state.svelte.ts';
import { fieldOfMessage, problemsByField } from './form.ts';

/** Derived ratios (Admin → Targets): read when the tab opens and after each change made here. */
export class DerivedStore extends LoadState {
  list = $state.raw<DerivedMetric[]>([]);

  load(): Promise<void> {
    return this.track('loading the derived metrics', async () => {
      this.list = (await getJson<DerivedResponse>(API.derived, {})).derived;
    });
  }

  /** Throws ApiError (409: the name exists). */
  async create(input: DerivedInput): Promise<DerivedMetric> {
    const created = await sendJson<DerivedMetric>('POST', API.derived, input);
    this.list = [...this.list, created];
    return created;
  }

  /** Computed no more from now on; what was stored stays. */
  async remove(id: number): Promise<void> {
    await sendJson<void>('DELETE', routeTo(API.derivedOne, { id }));
    this.list = this.list.filter((d) => d.id !== id);
  }
}

export interface DerivedInput {
  name: string;
  label: string | null;
  unit: string;
  numerator: SeriesSelector;
  denominator: SeriesSelector;
  factor: number;
}

/** One side of the ratio as the form holds it: a family and an optional "label starts with" filter. */
export class SelectorDraft {
  family = $state('');
  label = $state('');
  prefix = $state('');

  constructor(family = '', label = '', prefix = '') {
    this.family = family;
    this.label = label;
    this.prefix = prefix;
  }

  /** The filter is on when either half is filled (then both must be). */
  value = $derived.by((): SeriesSelector => {
    const family = this.family.trim();
    const label = this.label.trim();
    return label || this.prefix ? { family, label, prefix: this.prefix } : { family };
  });
}

const DERIVED_FIELDS = ['name', 'label', 'unit', 'numerator', 'denominator', 'factor'] as const;
type DerivedField = (typeof DERIVED_FIELDS)[number];

/**
 * The ratio form, validated by `derivedCreateSchema` as one types. It starts
 * as the usual error rate: the 5xx share of a request counter, in percent.
 */
export class DerivedDraft {
  name = $state('');
  label = $state('');
  unit = $state('%');
  numerator = new SelectorDraft('', 'status', '5');
  denominator = new SelectorDraft();
  factor = $state<number | null>(100);
  submitted = $state(false);
  touched = $state<Record<string, boolean>>({});
  serverError = $state<{ field: string | null; message: string } | null>(null);

  input = $derived({
    name: this.name.trim(),
    label: this.label.trim() || null,
    unit: this.unit,
    numerator: this.numerator.value,
    denominator: this.denominator.value,
    factor: this.factor ?? Number.NaN,
  });
  #result = $derived(derivedCreateSchema.safeParse(this.input));
  #problems = $derived(problemsByField(this.#result));

  get value(): DerivedInput | null {
    return this.#result.success ? this.#result.data : null;
  }

  errorFor(field: DerivedField): string | null {
    const mine = this.submitted || this.touched[field] ? this.#problems[field] : undefined;
    return mine ?? (this.serverError?.field === field ? this.serverError.message : null);
  }

  touch(field: DerivedField): void {
    this.touched[field] = true;
    if (this.serverError?.field === field) this.serverError = null;
  }

  setServerError(message: string, status: number): void {
    this.serverError = status === 409 ? { field: 'name', message: `“${this.name.trim()}” exists: pick another name` } : fieldOfMessage(message, DERIVED_FIELDS);
  }
}

/** One side in words: "Σ erp_http_requests_total:rate{status=5…}". */
export function selectorInWords(s: SeriesSelector): string {
  const family = s.family || '…';
  return s.label !== undefined ? `Σ ${family}{${s.label || '…'}=${s.prefix ?? ''}…}` : `Σ ${family}`;
}

/** The whole ratio: "Σ x:rate{status=5…} ÷ Σ x:rate × 100". */
export function formulaInWords(d: Pick<DerivedMetric, 'numerator' | 'denominator' | 'factor'>): string {
  const factor = Number.isFinite(d.factor) && d.factor !== 1 ? ` × ${d.factor}` : '';
  return `${selectorInWords(d.numerator)} ÷ ${selectorInWords(d.denominator)}${factor}`;
}

/** Label names and their values seen in a family's series names (`x{status="500"}` → status: 500), for suggestions. */
export function labelsOfFamily(seriesNames: readonly string[], family: string): Map<string, Set<string>> {
  const labels = new Map<string, Set<string>>();
  for (const name of seriesNames) {
    if (!name.startsWith(`${family}{`)) continue;
    for (const [, key, value] of name.slice(family.length).matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      const values = labels.get(key!) ?? labels.set(key!, new Set()).get(key!)!;
      values.add(value!);
    }
  }
  return labels;
}
