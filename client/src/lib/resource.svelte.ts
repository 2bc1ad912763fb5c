import { routeTo } from '$shared/routes.ts';
import { errorMessage, getJson, sendJson } from './api.ts';
import { LoadState } from './load-state.svelte.ts';

/** Where a list lives in the API: `GET`/`POST` on `list`, `PATCH`/`DELETE` on `one` (its `:id` filled). */
export interface ResourceRoutes {
  list: string;
  one: `${string}/:id`;
}

export interface ResourceOptions<T> extends ResourceRoutes {
  /** Plural, for messages: "loading the users". */
  what: string;
  /** The list's key in the GET answer (`{ "users": [...] }`). */
  key: string;
  /** Where a new one goes (default: last; the server sends the list in its order). */
  order?: (a: T, b: T) => number;
}

/**
 * A list of things an API lets one create, change and remove (users,
 * displays, agents, targets, ratios, silences, rules): read when a page
 * opens, then kept in step with each change made here — no re-read per
 * change. Every write throws ApiError with the server's message; the page
 * shows it.
 */
export class ResourceStore<T extends { id: number }, Input = unknown, Patch = Partial<Input>, Created = T> extends LoadState {
  items = $state.raw<T[]>([]);
  readonly #options: ResourceOptions<T>;

  constructor(options: ResourceOptions<T>) {
    super();
    this.#options = options;
  }

  load(): Promise<void> {
    return this.track(`loading the ${this.#options.what}`, async (signal) => {
      this.items = await this.#read(signal);
    });
  }

  /** Reads the list again without showing it loading (after the first read; a failure is logged, the list stays). */
  async refresh(): Promise<void> {
    if (this.status !== 'ready') return;
    try {
      this.items = await this.#read();
    } catch (err) {
      errorMessage(err, `refreshing the ${this.#options.what}`);
    }
  }

  async create(input: Input): Promise<Created> {
    const created = await sendJson<Created>('POST', this.#options.list, input);
    const item = this.listed(created);
    if (item === null) {
      await this.refresh();
    } else {
      // A list the server pushes (targets) may hold it already: the event can beat the answer.
      const items = [...this.items.filter((i) => i.id !== item.id), item];
      this.items = this.#options.order ? items.sort(this.#options.order) : items;
    }
    return created;
  }

  async update(id: number, patch: Patch): Promise<T> {
    const item = await sendJson<T>('PATCH', this.#path(id), patch);
    this.items = this.items.map((i) => (i.id === id ? item : i));
    return item;
  }

  /** DELETE; the list drops it, or (`revoked`) keeps it as that returns it. */
  async remove(id: number, revoked?: (item: T) => T): Promise<void> {
    await sendJson<void>('DELETE', this.#path(id));
    this.items = revoked ? this.items.map((i) => (i.id === id ? revoked(i) : i)) : this.items.filter((i) => i.id !== id);
  }

  /** The list as the server pushed it (after the first read: an older read must not overwrite it). */
  apply(items: T[]): void {
    if (this.status === 'ready') this.items = items;
  }

  /**
   * What a created one looks like in the list: by default the answer itself
   * (`Created` is `T`); a display's answer carries its token once (not kept);
   * null: the answer is not a list entry, the list is read again.
   */
  protected listed(created: Created): T | null {
    return created as unknown as T;
  }

  async #read(signal?: AbortSignal): Promise<T[]> {
    const body = await getJson<Record<string, T[]>>(this.#options.list, {}, signal);
    return body[this.#options.key] ?? [];
  }

  #path(id: number): string {
    return routeTo(this.#options.one, { id });
  }
}
