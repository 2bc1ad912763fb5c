import type { DerivedMetric, SeriesSelector } from '$shared/apps.ts';
import { derivedCreateSchema } from '$shared/apps-schemas.ts';
import { API } from '$shared/routes.ts';
import { FormDraft, problemsByField, type FieldError } from '../form-draft.svelte.ts';
import { ResourceStore } from '../resource.svelte.ts';

/** Derived ratios (Admin → Targets): read when the tab opens and after each change made here (409: the name exists). */
export class DerivedStore extends ResourceStore<DerivedMetric, DerivedInput> {
  constructor() {
    super({ what: 'derived metrics', list: API.derived, one: API.derivedOne, key: 'derived' });
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

/**
 * The ratio form, validated by `derivedCreateSchema` as one types. It starts
 * as the usual error rate: the 5xx share of a request counter, in percent.
 */
export class DerivedDraft extends FormDraft<DerivedInput> {
  name = $state('');
  label = $state('');
  unit = $state('%');
  numerator = new SelectorDraft('', 'status', '5');
  denominator = new SelectorDraft();
  factor = $state<number | null>(100);
  protected readonly fields = ['name', 'label', 'unit', 'numerator', 'denominator', 'factor'];

  input = $derived({
    name: this.name.trim(),
    label: this.label.trim() || null,
    unit: this.unit,
    numerator: this.numerator.value,
    denominator: this.denominator.value,
    factor: this.factor ?? Number.NaN,
  });
  #result = $derived(derivedCreateSchema.safeParse(this.input));
  protected problems = $derived(problemsByField(this.#result));

  get value(): DerivedInput | null {
    return this.#result.success ? this.#result.data : null;
  }

  /** 409: the name exists. */
  protected override refusal(message: string, status: number): FieldError {
    return status === 409 ? { field: 'name', message: `“${this.name.trim()}” exists: pick another name` } : super.refusal(message, status);
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
