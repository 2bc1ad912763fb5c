import { SvelteSet } from 'svelte/reactivity';
import { type Channel, type Level, type Operator, type Rule } from '$shared/alerts.ts';
import { ruleCreateSchema, type RuleInput } from '$shared/alert-schemas.ts';
import type { MetricName } from '$shared/catalog.ts';

/** The form's fields; errors are keyed by these (webhook rows as `webhook.N`). */
export type RuleField =
  | 'name' | 'metric' | 'host' | 'operator' | 'threshold' | 'level' | 'forSeconds' | 'clearMargin' | 'channels' | 'repeatSeconds' | 'enabled';

const FIELDS = new Set<string>(['name', 'metric', 'host', 'operator', 'threshold', 'level', 'forSeconds', 'clearMargin', 'channels', 'repeatSeconds', 'enabled']);

/** `null` from an emptied number input: let the schema's default (or its "must be a number") speak. */
const orUndefined = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? undefined : v);

/**
 * The rule form's state. Validation is the server's own: `ruleCreateSchema`
 * from shared/, its zod issues mapped by path to the field that shows them.
 */
export class RuleDraft {
  /** The rule being edited, or null for a new one. */
  readonly editing: Rule | null;
  name = $state('');
  metric = $state<MetricName>('cpu.usage_percent');
  host = $state('');
  operator = $state<Operator>('>=');
  threshold = $state<number | null>(null);
  level = $state<Level>('WARNING');
  forSeconds = $state<number | null>(0);
  clearMargin = $state<number | null>(0);
  enabled = $state(true);
  dashboard = $state(true);
  email = $state(false);
  webhooks = $state<string[]>([]);
  repeatSeconds = $state<number | null>(null);
  /** A submit was tried: every problem shows, not only those of fields left. */
  submitted = $state(false);
  touched = new SvelteSet<string>();
  /** What the server refused (422 names the field), until the next edit of that field. */
  serverError = $state<{ field: string | null; message: string } | null>(null);

  constructor(rule: Rule | null = null) {
    this.editing = rule;
    if (!rule) return;
    this.name = rule.name;
    this.metric = rule.metric;
    this.host = rule.host ?? '';
    this.operator = rule.operator;
    this.threshold = rule.threshold;
    this.level = rule.level;
    this.forSeconds = rule.forSeconds;
    this.clearMargin = rule.clearMargin;
    this.enabled = rule.enabled;
    this.dashboard = rule.channels.includes('dashboard');
    this.email = rule.channels.includes('email');
    this.webhooks = rule.channels.filter((c) => c.startsWith('webhook:')).map((c) => c.slice('webhook:'.length));
    this.repeatSeconds = rule.repeatSeconds;
  }

  /** Index of the first webhook in `channels` (dashboard and email come first). */
  #webhookOffset = $derived((this.dashboard ? 1 : 0) + (this.email ? 1 : 0));
  /** Webhook rows with something typed, and their row numbers. */
  #webhookRows = $derived(this.webhooks.map((url, row) => ({ url: url.trim(), row })).filter((w) => w.url !== ''));

  input = $derived({
    name: this.name,
    metric: this.metric,
    host: this.host.trim() || null,
    operator: this.operator,
    threshold: orUndefined(this.threshold),
    level: this.level,
    forSeconds: orUndefined(this.forSeconds),
    clearMargin: orUndefined(this.clearMargin),
    enabled: this.enabled,
    channels: [
      ...(this.dashboard ? ['dashboard' as const] : []),
      ...(this.email ? ['email' as const] : []),
      ...this.#webhookRows.map((w): Channel => `webhook:${w.url}`),
    ],
    repeatSeconds: this.repeatSeconds,
  });

  #result = $derived(ruleCreateSchema.safeParse(this.input));

  /** Every problem the schema finds, by field (first message wins). */
  problems = $derived.by(() => {
    const problems: Record<string, string> = {};
    if (this.#result.success) return problems;
    for (const issue of this.#result.error.issues) {
      const key = this.#fieldOf(issue.path);
      problems[key] ??= issue.message;
    }
    return problems;
  });

  get valid(): boolean {
    return this.#result.success;
  }

  /** Parsed input (defaults applied), for the request. */
  get value(): RuleInput | null {
    return this.#result.success ? this.#result.data : null;
  }

  /** The message a field shows now: once touched (or after a submit), schema first, then the server's. */
  errorFor(field: string): string | null {
    const shown = this.submitted || this.touched.has(field);
    const mine = shown ? this.problems[field] : undefined;
    return mine ?? (this.serverError?.field === field ? this.serverError.message : null);
  }

  touch(field: string): void {
    this.touched.add(field);
    if (this.serverError?.field === field) this.serverError = null;
  }

  /** A server message "threshold: …" or "channels.2: …" → the field it names. */
  setServerError(message: string): void {
    const match = /^([\w.]+): (.*)$/.exec(message);
    const path = match?.[1]?.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    if (match && path && FIELDS.has(String(path[0]))) this.serverError = { field: this.#fieldOf(path), message: match[2]! };
    else this.serverError = { field: null, message };
  }

  #fieldOf(path: readonly PropertyKey[]): string {
    const [head, index] = path;
    if (head === 'channels' && typeof index === 'number' && index >= this.#webhookOffset) {
      return `webhook.${this.#webhookRows[index - this.#webhookOffset]?.row ?? 0}`;
    }
    return typeof head === 'string' && FIELDS.has(head) ? head : 'form';
  }
}
