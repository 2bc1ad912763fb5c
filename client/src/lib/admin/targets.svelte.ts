import { targetCreateSchema, targetPatchSchema } from '$shared/apps-schemas.ts';
import { TARGET_DEFAULT_INTERVAL_S, TARGET_DEFAULT_SERIES_LIMIT, type Target } from '$shared/fleet.ts';
import { API } from '$shared/routes.ts';
import { FormDraft, problemsByField, type FieldError } from '../form-draft.svelte.ts';
import { ResourceStore } from '../resource.svelte.ts';


/**
 * Scrape targets (Admin → Targets): read when the tab opens; from then on as
 * the server pushes them (`targets`, see `apply`). 409: the name, or a host
 * of another kind, is taken. A removed target's history stays.
 */
export class TargetsStore extends ResourceStore<Target, TargetInput> {
  constructor() {
    super({ what: 'targets', list: API.targets, one: API.target, key: 'targets' });
  }
}

export interface TargetInput {
  name: string;
  url: string;
  host?: string;
  intervalSeconds?: number;
  seriesLimit?: number;
  enabled?: boolean;
}

/** A number input's value: a finite number, else undefined (left empty: the default). */
const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The target form (new or edit), validated as one types by the server's own
 * schemas: everything by `targetCreateSchema`, an edit's changes also by
 * `targetPatchSchema` (only what changed is sent).
 */
export class TargetDraft extends FormDraft<TargetInput | Partial<TargetInput>> {
  readonly editing: Target | null;
  name = $state('');
  url = $state('');
  /** Empty: the target's name. */
  host = $state('');
  intervalSeconds = $state<number | null>(TARGET_DEFAULT_INTERVAL_S);
  seriesLimit = $state<number | null>(TARGET_DEFAULT_SERIES_LIMIT);
  enabled = $state(true);
  protected readonly fields = ['name', 'url', 'host', 'intervalSeconds', 'seriesLimit', 'enabled'];

  constructor(target: Target | null = null) {
    super();
    this.editing = target;
    if (!target) return;
    this.name = target.name;
    this.url = target.url;
    this.host = target.host === target.name ? '' : target.host;
    this.intervalSeconds = target.intervalSeconds;
    this.seriesLimit = target.seriesLimit;
    this.enabled = target.enabled;
  }

  /** What the form says, as the API takes it (empty optional fields left out: the server's defaults). */
  input = $derived.by((): TargetInput => {
    const host = this.host.trim();
    const interval = num(this.intervalSeconds);
    const limit = num(this.seriesLimit);
    return {
      name: this.name,
      url: this.url,
      ...(host ? { host } : {}),
      ...(interval !== undefined ? { intervalSeconds: interval } : {}),
      ...(limit !== undefined ? { seriesLimit: limit } : {}),
      enabled: this.enabled,
    };
  });

  #result = $derived(targetCreateSchema.safeParse(this.input));
  /** An edit: the fields that differ from the target as it is. */
  #patch = $derived.by((): Partial<TargetInput> => {
    const t = this.editing;
    if (!t || !this.#result.success) return {};
    const v = this.#result.data;
    const patch: Partial<TargetInput> = {};
    if (v.name !== t.name) patch.name = v.name;
    if (v.url !== t.url) patch.url = v.url;
    // Emptied: the host follows the (new) name.
    const host = v.host ?? v.name;
    if (host !== t.host) patch.host = host;
    if ((v.intervalSeconds ?? TARGET_DEFAULT_INTERVAL_S) !== t.intervalSeconds) patch.intervalSeconds = v.intervalSeconds ?? TARGET_DEFAULT_INTERVAL_S;
    if ((v.seriesLimit ?? TARGET_DEFAULT_SERIES_LIMIT) !== t.seriesLimit) patch.seriesLimit = v.seriesLimit ?? TARGET_DEFAULT_SERIES_LIMIT;
    if ((v.enabled ?? true) !== t.enabled) patch.enabled = v.enabled ?? true;
    return patch;
  });
  protected problems = $derived.by(() => {
    const problems = problemsByField(this.#result);
    if (this.editing && this.#result.success && Object.keys(this.#patch).length > 0) {
      for (const [field, message] of Object.entries(problemsByField(targetPatchSchema.safeParse(this.#patch)))) problems[field] ??= message;
    }
    // Next to its field a message needs no field name: "intervalSeconds is at least 1" → "At least 1",
    // "url must be an http(s) URL…" → "An http(s) URL…"; the host shares the name's rule ("name: …").
    for (const [field, message] of Object.entries(problems)) {
      const bare = message.replace(new RegExp(`^(${field}|name):? (must be |is )?`, 'i'), '');
      problems[field] = bare.charAt(0).toUpperCase() + bare.slice(1);
    }
    return problems;
  });

  /** Ready to send: the new target, or an edit's changes ({} when nothing changed). */
  get value(): TargetInput | Partial<TargetInput> | null {
    if (!this.#result.success || Object.keys(this.problems).length > 0) return null;
    return this.editing ? this.#patch : (this.#result.data as TargetInput);
  }

  /** 409: the name, or the host (it belongs to another kind), is taken. */
  protected override refusal(message: string, status: number): FieldError {
    if (status === 409 && /^a target named/.test(message)) return { field: 'name', message: `“${this.name.trim()}” is taken: pick another name` };
    if (status === 409 && /^host /.test(message)) return { field: 'host', message };
    return super.refusal(message, status);
  }
}

/**
 * When the target was last scraped: as the list said when read, or — while it
 * works — its newest sample as it arrived live (the list is not re-read per scrape).
 */
export function lastScrapeOf(target: Target, liveLastTs: number | null): number | null {
  const times = [target.lastScrapeAt, target.lastError === null ? liveLastTs : null].filter((t): t is number => t !== null);
  return times.length ? Math.max(...times) : null;
}

/** What a script or batch job runs to push a value: a curl line with the agent token of its host. */
export function pushExample(origin: string): string {
  return `curl -H "Authorization: Bearer gwa_…" -H 'content-type: application/json' \\\n  -d '{"values":{"erp.orders_per_min":12}}' ${origin}${API.ingest}`;
}

/** The same in Prometheus text (a job that already speaks it). */
export function pushTextExample(origin: string): string {
  return `printf 'erp_orders_open 42\\n' | curl -H "Authorization: Bearer gwa_…" -H 'content-type: text/plain' \\\n  --data-binary @- ${origin}${API.ingest}`;
}
