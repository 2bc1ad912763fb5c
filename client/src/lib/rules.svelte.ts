import type { ChannelKind, Rule } from '$shared/alerts.ts';
import type { RuleInput, RulePatch } from '$shared/alert-schemas.ts';
import { errorMessage, getJson, sendJson } from './api.ts';
import { LoadState } from './load-state.svelte.ts';

export interface ChannelStatus {
  kind: ChannelKind;
  configured: boolean;
  reason: string | null;
}

/** Alert rules and which channels can deliver: read when a page needs them and after each change made here. */
export class RulesStore extends LoadState {
  rules = $state.raw<Rule[]>([]);
  channels = $state.raw<ChannelStatus[]>([]);

  load(): Promise<void> {
    return this.track('loading the rules', async () => {
      const [rules, channels] = await Promise.all([
        getJson<{ rules: Rule[] }>('/api/rules', {}),
        getJson<{ channels: ChannelStatus[] }>('/api/channels', {}),
      ]);
      this.rules = rules.rules;
      this.channels = channels.channels;
    });
  }

  byId(id: number | null): Rule | undefined {
    return id === null ? undefined : this.rules.find((r) => r.id === id);
  }

  channel(kind: ChannelKind): ChannelStatus | undefined {
    return this.channels.find((c) => c.kind === kind);
  }

  /** Throws ApiError (the form shows it). */
  async create(input: RuleInput): Promise<Rule> {
    const rule = await sendJson<Rule>('POST', '/api/rules', input);
    this.rules = [...this.rules, rule];
    return rule;
  }

  async update(id: number, patch: RulePatch): Promise<Rule> {
    const rule = await sendJson<Rule>('PATCH', `/api/rules/${id}`, patch);
    this.rules = this.rules.map((r) => (r.id === id ? rule : r));
    return rule;
  }

  async remove(id: number): Promise<void> {
    await sendJson<void>('DELETE', `/api/rules/${id}`);
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  /** Enable or disable; returns a problem to show, or null. */
  async setEnabled(id: number, enabled: boolean): Promise<string | null> {
    try {
      await this.update(id, { enabled });
      return null;
    } catch (err) {
      return errorMessage(err, enabled ? 'enabling the rule' : 'disabling the rule');
    }
  }
}
