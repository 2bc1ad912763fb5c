import type { Agent, AgentCreated, AgentsResponse } from '$shared/fleet.ts';
import { agentCreateSchema } from '$shared/fleet-schemas.ts';
import { errorMessage, getJson, sendJson } from '../api.ts';
import { LoadState } from '../load-state.svelte.ts';
import { problemsByField } from './form.ts';

/** Agents (Admin → Agents): their tokens are never kept, only who they are and how they did. */
export class AgentsStore extends LoadState {
  agents = $state.raw<Agent[]>([]);

  load(): Promise<void> {
    return this.track('loading the agents', async () => {
      this.agents = (await getJson<AgentsResponse>('/api/agents', {})).agents;
    });
  }

  /** Reads the list again without showing it loading (the hosts event said an agent came or went). */
  async refresh(): Promise<void> {
    if (this.status !== 'ready') return;
    try {
      this.agents = (await getJson<AgentsResponse>('/api/agents', {})).agents;
    } catch (err) {
      errorMessage(err, 'refreshing the agents'); // logged; the list stays and the next change tries again
    }
  }

  /** The answer carries the token in clear, this once; the list is read again for the rest. Throws ApiError. */
  async create(name: string): Promise<AgentCreated> {
    const created = await sendJson<AgentCreated>('POST', '/api/agents', { name });
    await this.refresh();
    return created;
  }

  /** Its socket is cut at once; revoked agents stay listed. */
  async revoke(id: number): Promise<void> {
    await sendJson<void>('DELETE', `/api/agents/${id}`);
    this.agents = this.agents.map((a) => (a.id === id ? { ...a, online: false, revokedAt: Date.now() } : a));
  }
}

/** The name field's problem, by the server's own schema (null: fine). */
export function agentNameProblem(name: string): string | null {
  return problemsByField(agentCreateSchema.safeParse({ name })).name ?? null;
}

/** What to paste on the other host: download the one-file agent, run it with node. */
export function installCommand(origin: string, created: AgentCreated): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);
  return `curl -fsSLO ${q(`${origin}/downloads/glasswatch-agent.mjs`)}\nnode glasswatch-agent.mjs --server ${q(origin)} --token ${q(created.token)} --name ${q(created.name)}`;
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
