/**
 * A fake agent for browser tests: it speaks the agent protocol
 * (shared/agent-protocol.ts) on the `/agent` namespace with a real agent
 * token and pushes one live sample per tick, with the values the test sets.
 */
import { io, type Socket } from 'socket.io-client';
import { AGENT_NAMESPACE, type AgentAck, type AgentClientEvents, type AgentServerEvents } from '../../shared/agent-protocol.ts';
import type { AgentCreated } from '../../shared/fleet.ts';
import type { Session } from '../helpers/server.ts';

export interface FakeAgent {
  readonly name: string;
  readonly socket: Socket<AgentServerEvents, AgentClientEvents>;
  /** What the next ticks send. */
  values: Record<string, number | null>;
  /** Acknowledgements received (each says the batch was stored). */
  readonly acks: AgentAck[];
  /** Stops sending and disconnects: the host goes quiet, as a crashed agent would. */
  stop(): void;
}

/** Creates an agent through the API (as an admin does) and answers its one-time token. */
export async function createAgent(admin: Session, name: string): Promise<AgentCreated> {
  const res = await admin.json<AgentCreated>('/api/agents', { method: 'POST', body: { name } });
  if (res.status !== 201) throw new Error(`creating agent ${name} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Connects with `token` and sends a sample every `intervalMs` once the server welcomed it. */
export function startFakeAgent(url: string, token: string, values: Record<string, number | null>, intervalMs = 250): Promise<FakeAgent> {
  const socket: Socket<AgentServerEvents, AgentClientEvents> = io(`${url}${AGENT_NAMESPACE}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    auth: { token, version: 'test', platform: 'test', intervalMs },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise((resolve, reject) => {
    const agent: FakeAgent = {
      name: '',
      socket,
      values,
      acks: [],
      stop() {
        clearTimeout(timer);
        socket.disconnect();
      },
    };
    const tick = () => {
      const now = Date.now();
      socket.emit('samples', { sentAt: now, live: true, samples: [{ ts: now, values: { ...agent.values } }] }, (ack) => agent.acks.push(ack));
      timer = setTimeout(tick, intervalMs);
    };
    socket.once('welcome', (welcome) => {
      (agent as { name: string }).name = welcome.host;
      tick();
      resolve(agent);
    });
    socket.once('connect_error', (err) => reject(err));
    socket.on('disconnect', () => clearTimeout(timer));
  });
}
