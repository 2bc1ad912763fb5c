import type { Silence } from '$shared/alerts.ts';
import { errorMessage, getJson, sendJson } from './api.ts';
import { LoadState } from './load-state.svelte.ts';

export const SILENCE_DURATIONS = [
  { minutes: 15, label: '15 min' },
  { minutes: 60, label: '1 h' },
  { minutes: 240, label: '4 h' },
  { minutes: 1440, label: '24 h' },
] as const;

/** Active silences: read when the alerts page opens and after each change made here. */
export class SilencesStore extends LoadState {
  list = $state.raw<Silence[]>([]);

  load(): Promise<void> {
    return this.track('loading the silences', async () => {
      this.list = (await getJson<{ silences: Silence[] }>('/api/silences', {})).silences;
    });
  }

  /** Creates a silence as the logged-in user; returns a problem to show, or null. */
  async create(input: { ruleId: number | null; host: string | null; minutes: number; reason: string | null }): Promise<string | null> {
    try {
      const silence = await sendJson<Silence>('POST', '/api/silences', input);
      this.list = [...this.list, silence].sort((a, b) => a.endsAt - b.endsAt);
      return null;
    } catch (err) {
      return errorMessage(err, 'creating the silence');
    }
  }

  /** Ends a silence now; returns a problem to show, or null. */
  async end(id: number): Promise<string | null> {
    try {
      await sendJson<void>('DELETE', `/api/silences/${id}`);
      this.list = this.list.filter((s) => s.id !== id);
      return null;
    } catch (err) {
      return errorMessage(err, 'ending the silence');
    }
  }
}
