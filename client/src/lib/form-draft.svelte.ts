import { tick } from 'svelte';
import { SvelteSet } from 'svelte/reactivity';
import type { ZodSafeParseResult } from 'zod';
import { ApiError, errorMessage } from './api.ts';

/** A message for one field of a form, or (field null) for the whole of it. */
export interface FieldError {
  field: string | null;
  message: string;
}

/**
 * A zod result's problems by field (first message wins; `form` for issues of
 * the whole object): the shared schemas' own messages, shown next to the
 * field before anything is sent.
 */
export function problemsByField(result: ZodSafeParseResult<unknown>): Record<string, string> {
  const problems: Record<string, string> = {};
  if (result.success) return problems;
  for (const issue of result.error.issues) {
    const head = issue.path[0];
    const field = typeof head === 'string' ? head : 'form';
    // Next to its field, "username: 1–64 letters…" needs no "username: "; and it starts a sentence.
    const message = issue.message.startsWith(`${field}: `) ? issue.message.slice(field.length + 2) : issue.message;
    problems[field] ??= message.charAt(0).toUpperCase() + message.slice(1);
  }
  return problems;
}

/** "username: …" from the server → which field it names, and the message without the prefix. */
export function fieldOfMessage(message: string, fields: readonly string[]): FieldError {
  const match = /^(?:body\.)?(\w+)(?:\.\d+)?: (.*)$/.exec(message);
  if (match && fields.includes(match[1]!)) return { field: match[1]!, message: match[2]! };
  return { field: null, message };
}

/**
 * A form's state beside its fields (rules, users, displays, targets, ratios,
 * agents): validated as one types by the server's own zod schema from
 * shared/, problems shown once a field was left or a submit tried, the
 * server's refusal shown next to the field it names until that field is
 * edited, and the first invalid field focused when a submit cannot go.
 * Subclasses hold the fields and say what the schema finds.
 */
/** What `FormDraft.control` spreads onto a field's control. */
export interface ControlProps {
  id: string;
  'aria-invalid': 'true' | undefined;
  'aria-describedby': string;
  onblur: () => void;
  oninput: () => void;
}

export abstract class FormDraft<Value> {
  /** A submit was tried: every problem shows, not only those of fields left. */
  submitted = $state(false);
  /** Fields left once: their problems show from then on. */
  touched = new SvelteSet<string>();
  /** What the server refused, until that field is edited again. */
  serverError = $state<FieldError | null>(null);
  /** The request is under way. */
  busy = $state(false);

  /** The fields a server message may name ("name: …"). */
  protected abstract readonly fields: readonly string[];
  /** Every problem the schema finds now, by field. */
  protected abstract readonly problems: Record<string, string>;
  /** What to send, or null while something is wrong. */
  abstract readonly value: Value | null;

  get valid(): boolean {
    return this.value !== null;
  }

  /** The message a field shows now: once touched (or after a submit), the schema's first, then the server's. */
  errorFor(field: string): string | null {
    const mine = this.submitted || this.touched.has(field) ? this.problems[field] : undefined;
    return mine ?? (this.serverError?.field === field ? this.serverError.message : null);
  }

  /**
   * A control's wiring, spread onto it: its id, invalid while its field shows
   * a problem, described by that or the hint (as FormField names them), its
   * problems shown once left, the server's word on it dropped once typed in.
   * A handler written after the spread replaces the one here.
   */
  control(field: string, id: string): ControlProps {
    const error = this.errorFor(field);
    return {
      id,
      'aria-invalid': error ? 'true' : undefined,
      'aria-describedby': `${id}-${error ? 'error' : 'hint'}`,
      onblur: () => this.touch(field),
      oninput: () => this.edited(field),
    };
  }

  /** Left the field: its problems show from now on. */
  touch(field: string): void {
    this.touched.add(field);
    this.edited(field);
  }

  /** Typed in the field: what the server said about it no longer holds. */
  edited(field: string): void {
    if (this.serverError?.field === field) this.serverError = null;
  }

  /** The server's refusal as a field's message (subclasses say their 409s in words). */
  protected refusal(message: string, _status: number): FieldError {
    return fieldOfMessage(message, this.fields);
  }

  /**
   * Sends the value when there are no problems (else focuses the first
   * invalid control of `form`); a refusal lands next to its field, anything
   * else on the form ("Something went wrong while `what`").
   */
  async submit(form: HTMLFormElement, what: string, send: (value: Value) => Promise<void>): Promise<void> {
    this.submitted = true;
    this.serverError = null;
    const value = this.value;
    if (value === null) {
      await tick();
      form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    this.busy = true;
    try {
      await send(value);
    } catch (err) {
      this.serverError = err instanceof ApiError ? this.refusal(err.message, err.status) : { field: null, message: errorMessage(err, what) };
    } finally {
      this.busy = false;
    }
  }
}
