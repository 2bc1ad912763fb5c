import type { AuditAction, AuditEntry } from '$shared/auth.ts';
import { API } from '$shared/routes.ts';
import { getJson } from '../api.ts';
import { live } from '../live.svelte.ts';
import { LoadState } from '../load-state.svelte.ts';

export const AUDIT_RANGES = [
  { key: '1h', label: 'Last hour', ms: 3600_000 },
  { key: '24h', label: 'Last 24 hours', ms: 24 * 3600_000 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 24 * 3600_000 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 24 * 3600_000 },
] as const;
export type AuditRange = (typeof AUDIT_RANGES)[number]['key'];

/** The server's default page; a full page means older entries exist. */
export const AUDIT_LIMIT = 200;

/** The audit trail, newest first, read for the filters chosen (read-only: nothing here changes it). */
export class AuditStore extends LoadState {
  action = $state<AuditAction | ''>('');
  actor = $state('');
  range = $state<AuditRange>('24h');
  entries = $state.raw<AuditEntry[]>([]);

  get truncated(): boolean {
    return this.entries.length >= AUDIT_LIMIT;
  }

  get filtered(): boolean {
    return this.action !== '' || this.actor.trim() !== '';
  }

  /** Reads the entries for the current filters; a newer read supersedes an older one. */
  load(): Promise<void> {
    // On the server's clock, with a little slack: what just happened is never "in the future".
    const serverNow = Date.now() + live.clockOffsetMs;
    const from = serverNow - AUDIT_RANGES.find((r) => r.key === this.range)!.ms;
    const to = serverNow + 5_000;
    return this.track('loading the audit trail', async (signal) => {
      const { entries } = await getJson<{ entries: AuditEntry[] }>(
        API.audit,
        { action: this.action || undefined, actor: this.actor.trim() || undefined, from, to, limit: AUDIT_LIMIT },
        signal,
      );
      if (!signal.aborted) this.entries = [...entries].sort((a, b) => b.at - a.at || b.id - a.id);
    });
  }
}
