import { type Level, type Operator, type Rule } from '$shared/alerts.ts';
import { ruleCreateSchema, type RuleInput } from '$shared/alert-schemas.ts';
import type { MetricName } from '$shared/catalog.ts';
import { CHANNEL_KINDS, CHANNELS, channelKind, channelTarget, type Channel, type ChannelKind } from '$shared/channels.ts';
import { FormDraft, type FieldError } from './form-draft.svelte.ts';

/** The form's fields; errors are keyed by these (channel rows with a target as `channel.N`). */
export type RuleField =
  | 'name' | 'metric' | 'host' | 'operator' | 'threshold' | 'level' | 'forSeconds' | 'clearMargin' | 'channels' | 'repeatSeconds' | 'enabled';

const FIELDS: readonly RuleField[] = ['name', 'metric', 'host', 'operator', 'threshold', 'level', 'forSeconds', 'clearMargin', 'channels', 'repeatSeconds', 'enabled'];

/** Kinds switched on or off (no target: dashboard, email), and kinds written with a target, in the table's order. */
export const SWITCHED_KINDS = CHANNEL_KINDS.filter((k) => CHANNELS[k].target === null);
export const TARGET_KINDS = CHANNEL_KINDS.filter((k) => CHANNELS[k].target !== null);

/** One channel with a target as the form holds it. */
export interface ChannelRow {
  kind: ChannelKind;
  target: string;
}

/** `null` from an emptied number input: let the schema's default (or its "must be a number") speak. */
const orUndefined = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? undefined : v);

/**
 * The rule form's state. Validation is the server's own: `ruleCreateSchema`
 * from shared/, its zod issues mapped by path to the field that shows them.
 * Its channels are the channel table's (shared/channels.ts): a kind added
 * there is offered here as it is.
 */
export class RuleDraft extends FormDraft<RuleInput> {
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
  /** Channels without a target, on or off. */
  switched = $state<Partial<Record<ChannelKind, boolean>>>({ dashboard: true });
  /** Channels with a target, a row each. */
  rows = $state<ChannelRow[]>([]);
  repeatSeconds = $state<number | null>(null);
  protected readonly fields = FIELDS;

  constructor(rule: Rule | null = null) {
    super();
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
    this.switched = Object.fromEntries(SWITCHED_KINDS.map((k) => [k, rule.channels.includes(k as Channel)]));
    this.rows = rule.channels.filter((c) => CHANNELS[channelKind(c)].target !== null).map((c) => ({ kind: channelKind(c), target: channelTarget(c) }));
    this.repeatSeconds = rule.repeatSeconds;
  }

  /** Channels switched on, in the table's order: they come first in `channels`. */
  #switchedOn = $derived(SWITCHED_KINDS.filter((k) => this.switched[k]));
  /** Rows with something typed, and their row numbers. */
  #filledRows = $derived(this.rows.map((r, row) => ({ channel: `${r.kind}:${r.target.trim()}`, filled: r.target.trim() !== '', row })).filter((r) => r.filled));

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
    channels: [...this.#switchedOn, ...this.#filledRows.map((r) => r.channel)] as Channel[],
    repeatSeconds: this.repeatSeconds,
  });

  #result = $derived(ruleCreateSchema.safeParse(this.input));

  /** Every problem the schema finds, by field (first message wins). */
  protected problems = $derived.by(() => {
    const problems: Record<string, string> = {};
    if (this.#result.success) return problems;
    for (const issue of this.#result.error.issues) problems[this.#fieldOf(issue.path)] ??= issue.message;
    return problems;
  });

  /** Parsed input (defaults applied), for the request. */
  get value(): RuleInput | null {
    return this.#result.success ? this.#result.data : null;
  }

  /** Nothing would be notified. */
  get silent(): boolean {
    return this.#switchedOn.length === 0 && this.#filledRows.length === 0;
  }

  addRow(kind: ChannelKind): void {
    this.rows.push({ kind, target: '' });
  }

  removeRow(row: number): void {
    this.rows.splice(row, 1);
  }

  /** A server message "threshold: …" or "channels.2: …" → the field it names. */
  protected override refusal(message: string): FieldError {
    const match = /^([\w.]+): (.*)$/.exec(message);
    const path = match?.[1]?.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    return match && path && FIELDS.includes(String(path[0]) as RuleField) ? { field: this.#fieldOf(path), message: match[2]! } : { field: null, message };
  }

  #fieldOf(path: readonly PropertyKey[]): string {
    const [head, index] = path;
    const offset = this.#switchedOn.length;
    if (head === 'channels' && typeof index === 'number' && index >= offset) return `channel.${this.#filledRows[index - offset]?.row ?? 0}`;
    return typeof head === 'string' && (FIELDS as readonly string[]).includes(head) ? head : 'form';
  }
}
