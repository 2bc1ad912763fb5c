import { KIOSK_VIEWS, type DisplaySettings, type DisplayToken, type KioskView } from '$shared/auth.ts';
import { displayCreateSchema } from '$shared/auth-schemas.ts';
import { getJson, sendJson } from '../api.ts';
import { fieldOfMessage, problemsByField } from './form.ts';
import { LoadState } from '../load-state.svelte.ts';

export type CreatedDisplay = DisplayToken & { token: string };

export const VIEW_LABEL: Record<KioskView, { label: string; hint: string }> = {
  overview: { label: 'Overview', hint: 'every host at a glance' },
  hosts: { label: 'Hosts', hint: 'one host in detail, in turn' },
  alerts: { label: 'Alerts', hint: 'the open alerts, large' },
};

/** The wall-screen tokens (never the tokens themselves: only their names and settings are kept). */
export class DisplaysStore extends LoadState {
  displays = $state.raw<DisplayToken[]>([]);

  load(): Promise<void> {
    return this.track('loading the displays', async () => {
      this.displays = (await getJson<{ displays: DisplayToken[] }>('/api/displays', {})).displays;
    });
  }

  /** The answer carries the token in clear, this once. Throws ApiError. */
  async create(input: { name: string } & DisplaySettings): Promise<CreatedDisplay> {
    const created = await sendJson<CreatedDisplay>('POST', '/api/displays', input);
    const { token: _token, ...display } = created;
    this.displays = [...this.displays, display];
    return created;
  }

  async update(id: number, patch: Partial<{ name: string } & DisplaySettings>): Promise<DisplayToken> {
    const display = await sendJson<DisplayToken>('PATCH', `/api/displays/${id}`, patch);
    this.displays = this.displays.map((d) => (d.id === id ? display : d));
    return display;
  }

  /** Revoked tokens stay listed (who made them, when they were last used). */
  async revoke(id: number): Promise<void> {
    await sendJson<void>('DELETE', `/api/displays/${id}`);
    this.displays = this.displays.map((d) => (d.id === id ? { ...d, revokedAt: Date.now() } : d));
  }
}

const DISPLAY_FIELDS = ['name', 'views', 'rotateSeconds', 'sound'] as const;
/** Rotation suggested when someone turns it on. */
const DEFAULT_ROTATE_SEC = 30;

/** The display form (new or edit): validated by `displayCreateSchema` from shared/. */
export class DisplayDraft {
  readonly editing: DisplayToken | null;
  name = $state('');
  views = $state<KioskView[]>(['overview']);
  rotate = $state(false);
  rotateSeconds = $state<number | null>(DEFAULT_ROTATE_SEC);
  sound = $state(false);
  submitted = $state(false);
  serverError = $state<{ field: string | null; message: string } | null>(null);

  constructor(display: DisplayToken | null = null) {
    this.editing = display;
    if (!display) return;
    this.name = display.name;
    this.views = [...display.views];
    this.rotate = display.rotateSeconds !== null;
    this.rotateSeconds = display.rotateSeconds ?? DEFAULT_ROTATE_SEC;
    this.sound = display.sound;
  }

  /** Views in the catalog's order, whatever order they were ticked in. */
  toggleView(view: KioskView, on: boolean): void {
    const set = new Set(this.views);
    if (on) set.add(view);
    else set.delete(view);
    this.views = KIOSK_VIEWS.filter((v) => set.has(v));
  }

  input = $derived({
    name: this.name,
    views: this.views,
    rotateSeconds: this.rotate ? (this.rotateSeconds ?? 0) : null, // emptied: the schema's "every 10 s at the fastest"
    sound: this.sound,
  });
  #result = $derived(displayCreateSchema.safeParse(this.input));
  #problems = $derived(problemsByField(this.#result));

  get value() {
    return this.#result.success ? this.#result.data : null;
  }

  errorFor(field: (typeof DISPLAY_FIELDS)[number]): string | null {
    const mine = this.submitted ? this.#problems[field] : undefined;
    return mine ?? (this.serverError?.field === field ? this.serverError.message : null);
  }

  setServerError(message: string): void {
    this.serverError = fieldOfMessage(message, DISPLAY_FIELDS);
  }
}
