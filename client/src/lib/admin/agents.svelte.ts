import type { Agent, AgentCreated } from '$shared/fleet.ts';
import { agentCreateSchema } from '$shared/fleet-schemas.ts';
import { API, PUBLIC } from '$shared/routes.ts';
import { FormDraft, problemsByField, type FieldError } from '../form-draft.svelte.ts';
import { ResourceStore } from '../resource.svelte.ts';

/** Agents (Admin → Agents): their tokens are never kept, only who they are and how they did. */
export class AgentsStore extends ResourceStore<Agent, { name: string }, never, AgentCreated> {
  constructor() {
    super({ what: 'agents', list: API.agents, one: API.agent, key: 'agents' });
  }

  /** The answer carries the token in clear, this once; the list is read again for the rest. */
  protected override listed(): null {
    return null;
  }

  /** Its socket is cut at once; revoked agents stay listed. */
  revoke(id: number): Promise<void> {
    return this.remove(id, (a) => ({ ...a, online: false, revokedAt: Date.now() }));
  }
}

/** The new-agent form: its host name, checked by the server's own `agentCreateSchema`. */
export class AgentDraft extends FormDraft<{ name: string }> {
  name = $state('');
  protected readonly fields = ['name'];
  #result = $derived(agentCreateSchema.safeParse({ name: this.name }));
  protected problems = $derived(problemsByField(this.#result));

  get value(): { name: string } | null {
    return this.#result.success ? { name: this.name.trim() } : null;
  }

  /** Whatever the server refuses (a name taken, …) is about the name. */
  protected override refusal(message: string): FieldError {
    return { field: 'name', message: message.replace(/^(body\.)?name: /, '') };
  }
}

/** What to paste on the other host: download the one-file agent, run it with node. */
export function installCommand(origin: string, created: AgentCreated): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  return `curl -fsSLO ${q(`${origin}${PUBLIC.agentDownload}`)}\nnode glasswatch-agent.mjs --server ${q(origin)} --token ${q(created.token)} --name ${q(created.name)}`;
}

/** A systemd unit that keeps it running (the same settings, as environment). */
export function systemdUnit(origin: string, created: AgentCreated): string {
  return [
    '[Unit]',
    'Description=glasswatch agent',
    'After=network-online.target',
    '',
    '[Service]',
    'ExecStart=/usr/bin/node /opt/glasswatch/glasswatch-agent.mjs',
    'DynamicUser=yes',
    'StateDirectory=glasswatch-agent',
    `Environment=GLASSWATCH_URL=${origin} GLASSWATCH_TOKEN=${created.token} AGENT_NAME=${created.name}`,
    'Environment=AGENT_DATA_DIR=/var/lib/glasswatch-agent',
    'Restart=always',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}
