import { KIOSK_VIEWS, type DisplaySettings, type DisplayToken, type KioskView } from '$shared/auth.ts';
import { displayCreateSchema } from '$shared/auth-schemas.ts';
import { API } from '$shared/routes.ts';
import { FormDraft, problemsByField } from '../form-draft.svelte.ts';
import { ResourceStore } from '../resource.svelte.ts';

export type CreatedDisplay = DisplayToken & { token: string };

export const VIEW_LABEL: Record<KioskView, { label: string; hint: string }> = {
  overview: { label: 'Overview', hint: 'every host at a glance' },
  hosts: { label: 'Hosts', hint: 'one host in detail, in turn' },
  alerts: { label: 'Alerts', hint: 'the open alerts, large' },
};

export type DisplayInput = { name: string } & DisplaySettings;

/** The wall-screen tokens (never the tokens themselves: only their names and settings are kept). */
export class DisplaysStore extends ResourceStore<DisplayToken, DisplayInput, Partial<DisplayInput>, CreatedDisplay> {
  constructor() {
    super({ what: 'displays', list: API.displays, one: API.display, key: 'displays' });
  }

  /** The answer carries the token in clear, this once. */
  protected override listed({ token: _token, ...display }: CreatedDisplay): DisplayToken {
    return display;
  }

  /** Revoked tokens stay listed (who made them, when they were last used). */
  revoke(id: number): Promise<void> {
    return this.remove(id, (d) => ({ ...d, revokedAt: Date.now() }));
  }
}

/** Rotation suggested when someone turns it on. */
const DEFAULT_ROTATE_SEC = 30;

/** The display form (new or edit): validated by `displayCreateSchema` from shared/; problems show once a submit was tried. */
export class DisplayDraft extends FormDraft<DisplayInput> {
  readonly editing: DisplayToken | null;
  name = $state('');
  views = $state<KioskView[]>(['overview']);
  rotate = $state(false);
  rotateSeconds = $state<number | null>(DEFAULT_ROTATE_SEC);
  sound = $state(false);
  protected readonly fields = ['name', 'views', 'rotateSeconds', 'sound'];

  constructor(display: DisplayToken | null = null) {
    super();
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
  protected problems = $derived(problemsByField(this.#result));

  get value(): DisplayInput | null {
    return this.#result.success ? this.#result.data : null;
  }
}
