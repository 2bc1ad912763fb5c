import type { Silence } from '$shared/alerts.ts';
import { API } from '$shared/routes.ts';
import { ResourceStore } from './resource.svelte.ts';

export const SILENCE_DURATIONS = [
  { minutes: 15, label: '15 min' },
  { minutes: 60, label: '1 h' },
  { minutes: 240, label: '4 h' },
  { minutes: 1440, label: '24 h' },
] as const;

export interface SilenceInput {
  ruleId: number | null;
  host: string | null;
  minutes: number;
  reason: string | null;
}

/** Active silences, soonest end first: read when the alerts page opens and after each change made here (created as the logged-in user). */
export class SilencesStore extends ResourceStore<Silence, SilenceInput> {
  constructor() {
    super({ what: 'silences', list: API.silences, one: API.silence, key: 'silences', order: (a, b) => a.endsAt - b.endsAt });
  }
}
