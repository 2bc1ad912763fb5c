import { targetCreateSchema, targetPatchSchema } from '$shared/apps-schemas.ts';
import { TARGET_DEFAULT_INTERVAL_S, TARGET_DEFAULT_SERIES_LIMIT, type Target, type TargetsResponse } from '$shared/fleet.ts';
import { API, routeTo } from '$shared/routes.ts';
import { getJson, sendJson } from '../api.ts';
import { LoadState } from '../load-state.svelte.ts';
import { fieldOfMessage, problemsByField } from './form.ts';

/** Scrape targets (Admin → Targets): read when the tab opens; from then on as the server pushes them (`targets`). */
export class TargetsStore extends LoadState {
  targets = $state.raw<Target[]>([]);

  load(): Promise<void> {
    return this.track('loading the targets', async () => {
      this.targets = (await getJson<TargetsResponse>(API.targets, {})).targets;
    });
  }

  /** The list as the server pushed it (after the first read: an older read must not overwrite it). */
  apply(targets: Target[]): void {
    if (this.status === 'ready') this.targets = targets;
  }

  /** Throws ApiError (409: the name, or a host of another kind, is taken). */
  async create(input: TargetInput): Promise<Target> {
    const target = await sendJson<Target>('POST', API.targets, input);
    this.targets = [...this.targets, target];
    return target;
  }

  async update(id: number, patch: Partial<TargetInput>): Promise<Target> {
    const target = await sendJson<Target>('PATCH', routeTo(API.target, { id }), patch);
    this.targets = this.targets.map((t) => (t.id === id ? target : t));
    return target;
  }

  /** Its history stays; its host stops being scraped at once. */
  async remove(id: number): Promise<void> {
    await sendJson<void>('DELETE', routeTo(API.target, { id }));
    this.targets = this.targets.filter((t) => t.id !== id);
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

const TARGET_FIELDS = ['name', 'url', 'host', 'intervalSeconds', 'seriesLimit', 'enabled'] as const;
type TargetField = (typeof TARGET_FIELDS)[number];

/** A number input's value: a finite number, else undefined (left empty: the default). */
const num = (v: number | null | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/**
 * The target form (new or edit), validated as one types by the server's own
 * schemas: everything by `targetCreateSchema`, an edit's changes also by
 * `targetPatchSchema` (only what changed is sent).
 */
export class TargetDraft {
  readonly editing: Target | null;
  name = $state('');
  url = $state('');
  /** Empty: the target's name. */
  host = $state('');
  intervalSeconds = $state<number | null>(TARGET_DEFAULT_INTERVAL_S);
  seriesLimit = $state<number | null>(TARGET_DEFAULT_SERIES_LIMIT);
  enabled = $state(true);
  submitted = $state(false);
  touched = $state<Record<string, boolean>>({});
  serverError = $state<{ field: string | null; message: string } | null>(null);

  constructor(target: Target | null = null) {
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
  #problems = $derived.by(() => {
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
    if (!this.#result.success || Object.keys(this.#problems).length > 0) return null;
    return this.editing ? this.#patch : (this.#result.data as TargetInput);
  }

  errorFor(field: TargetField): string | null {
    const mine = this.submitted || this.touched[field] ? this.#problems[field] : undefined;
    return mine ?? (this.serverError?.field === field ? this.serverError.message : null);
  }

  touch(field: TargetField): void {
    this.touched[field] = true;
    this.edited(field);
  }

  edited(field: TargetField): void {
    if (this.serverError?.field === field) this.serverError = null;
  }

  setServerError(message: string, status: number): void {
    if (status === 409 && /^a target named/.test(message)) this.serverError = { field: 'name', message: `“${this.name.trim()}” is taken: pick another name` };
    else if (status === 409 && /^host /.test(message)) this.serverError = { field: 'host', message };
    else this.serverError = fieldOfMessage(message, TARGET_FIELDS);
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
