import type { ChannelKind, Rule } from '$shared/alerts.ts';
import type { RuleInput, RulePatch } from '$shared/alert-schemas.ts';
import { API } from '$shared/routes.ts';
import { getJson } from './api.ts';
import { ResourceStore } from './resource.svelte.ts';

export interface ChannelStatus {
  kind: ChannelKind;
  configured: boolean;
  reason: string | null;
}

/** Alert rules and which channels can deliver: read when a page needs them and after each change made here. */
export class RulesStore extends ResourceStore<Rule, RuleInput, RulePatch> {
  channels = $state.raw<ChannelStatus[]>([]);

  constructor() {
    super({ what: 'rules', list: API.rules, one: API.rule, key: 'rules' });
  }

  override load(): Promise<void> {
    return this.track('loading the rules', async (signal) => {
      const [rules, channels] = await Promise.all([
        getJson<{ rules: Rule[] }>(API.rules, {}, signal),
        getJson<{ channels: ChannelStatus[] }>(API.channels, {}, signal),
      ]);
      this.items = rules.rules;
      this.channels = channels.channels;
    });
  }

  byId(id: number | null): Rule | undefined {
    return id === null ? undefined : this.items.find((r) => r.id === id);
  }

  channel(kind: ChannelKind): ChannelStatus | undefined {
    return this.channels.find((c) => c.kind === kind);
  }
}
