import { ACTOR_NAME } from '$shared/events.ts';

const STORAGE_KEY = 'glasswatch.user';

function stored(): string | null {
  try {
    const name = localStorage.getItem(STORAGE_KEY);
    return name && ACTOR_NAME.test(name) ? name : null;
  } catch {
    return null; // storage disabled: the person is asked once per page life
  }
}

/** Why a name is refused, or null when it is fine. */
export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Type the name your colleagues know you by';
  if (trimmed.length > 64) return 'At most 64 characters';
  if (!ACTOR_NAME.test(trimmed)) return 'Letters, digits, spaces and . @ - _ only';
  return null;
}

/**
 * Who acts in this browser, until logins exist: a name typed once (asked for
 * the first time someone acts), kept in localStorage, sent as the socket's
 * `auth.user` and as `X-Glasswatch-User` on REST writes.
 */
class Operator {
  name = $state<string | null>(stored());
  /** The prompt on screen (NamePrompt.svelte), or null. */
  prompt = $state<{ reason: string } | null>(null);
  #waiting: Array<(name: string | null) => void> = [];
  #listeners = new Set<(name: string | null) => void>();

  constructor() {
    // Another tab changed it: act under the same name here too.
    window.addEventListener('storage', (event) => {
      if (event.key === STORAGE_KEY) this.#set(stored());
    });
  }

  /** The name to act under, asking for it the first time; null when the person cancels. */
  require(): Promise<string | null> {
    if (this.name) return Promise.resolve(this.name);
    return this.ask('Acknowledgements, resolutions and silences are recorded under this name, on every screen.');
  }

  /** Opens the prompt (again). */
  ask(reason = 'Your actions are recorded under this name, on every screen.'): Promise<string | null> {
    this.prompt = { reason };
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** The prompt's answer: returns a problem to show, or null once the name is taken. */
  submit(raw: string): string | null {
    const problem = nameProblem(raw);
    if (problem) return problem;
    const name = raw.trim();
    try {
      localStorage.setItem(STORAGE_KEY, name);
    } catch (err) {
      console.warn('glasswatch: localStorage unavailable, name kept for this page only', err);
    }
    this.#set(name);
    this.#close(name);
    return null;
  }

  cancel(): void {
    this.#close(null);
  }

  /** Called whenever the name changes (the socket reconnects with it). */
  onChange(listener: (name: string | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #set(name: string | null): void {
    if (name === this.name) return;
    this.name = name;
    for (const listener of this.#listeners) listener(name);
  }

  #close(name: string | null): void {
    this.prompt = null;
    for (const resolve of this.#waiting.splice(0)) resolve(name ?? this.name);
  }
}

export const operator = new Operator();
