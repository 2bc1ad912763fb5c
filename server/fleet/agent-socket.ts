/**
 * The `/agent` Socket.IO namespace: agents connect with their token, push
 * batches of samples and get an acknowledgement once a batch is stored.
 * Live samples are evaluated for alerts; a backlog (or a live sample that
 * arrives late) is stored and drawn only. The server measures each agent's
 * clock skew and stores samples on its own clock, never in the future.
 */
import type { Namespace, Server } from 'socket.io';
import {
  AGENT_MAX_BATCH_SAMPLES, AGENT_NAMESPACE, checkAgentBatch, type AgentAck, type AgentClientEvents, type AgentHandshake,
  type AgentServerEvents,
} from '../../shared/agent-protocol.ts';
import { AGENT_METRICS } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import type { Ingest } from '../ingest/ingest.ts';
import { createLogger } from '../lib/log.ts';
import { createTokenBucket, type TokenBucket } from '../lib/token-bucket.ts';
import type { AgentIdentity, AgentService } from './agents.ts';
import type { HostRegistry } from './hosts.ts';

const log = createLogger('agents');
const ALLOWED = new Set<string>(AGENT_METRICS);
/** Skews below this are network noise: samples keep the agent's timestamps. */
const SKEW_CORRECT_MS = 1000;
/** A "live" sample older than this many of the agent's ticks is late: stored and drawn, not evaluated. */
const FRESH_TICKS = 3;

interface AgentSocketData {
  agent: AgentIdentity;
  hello: AgentHandshake;
  bucket: TokenBucket;
  /** The last measurements of (agent clock − server clock), for the skew estimate. */
  offsets: number[];
  skewMs: number | null;
}

type AgentNamespace = Namespace<AgentClientEvents, AgentServerEvents, Record<string, never>, AgentSocketData>;

function parseHandshake(raw: unknown): AgentHandshake | string {
  const a = (raw ?? {}) as Record<string, unknown>;
  if (typeof a !== 'object' || Array.isArray(a)) return 'handshake auth must be an object';
  if (typeof a.token !== 'string' || a.token.length === 0) return 'an agent token is required (auth.token)';
  const intervalMs = a.intervalMs ?? 1000;
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < 250 || intervalMs > 3_600_000) {
    return 'auth.intervalMs must be whole milliseconds from 250 to 3600000';
  }
  const text = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');
  return { token: a.token, version: text(a.version, 40), platform: text(a.platform, 120), intervalMs };
}

/**
 * The offset of the agent's clock: the largest (sentAt − receivedAt) of the
 * last measurements — the one least delayed by the network.
 */
export function estimateSkew(offsets: readonly number[]): number | null {
  return offsets.length === 0 ? null : Math.max(...offsets);
}

export function registerAgentNamespace(io: Server, deps: { agents: AgentService; ingest: Ingest; hosts: HostRegistry; now?: () => number }) {
  const now = deps.now ?? Date.now;
  const nsp = io.of(AGENT_NAMESPACE) as unknown as AgentNamespace;

  nsp.use(async (socket, next) => {
    const hello = parseHandshake(socket.handshake.auth);
    if (typeof hello === 'string') return next(new Error(hello));
    const agent = await deps.agents.resolve(hello.token);
    if (!agent) return next(new Error('this agent token is unknown or was revoked'));
    socket.data.agent = agent;
    socket.data.hello = hello;
    // A batch a tick, plus the backlog replay: about 20 batches a second, bursts of 40.
    socket.data.bucket = createTokenBucket({ perSecond: 20, burst: 40 });
    socket.data.offsets = [];
    socket.data.skewMs = null;
    next();
  });

  nsp.on('connection', (socket) => {
    const { agent, hello } = socket.data;
    // One connection per agent: a reconnect replaces the old one.
    for (const other of nsp.sockets.values()) if (other !== socket && other.data.agent?.id === agent.id) other.disconnect(true);
    deps.agents.setLive(agent.id, { backlog: 0 });
    void deps.hosts.ensure(agent.name, 'agent', hello.intervalMs).catch((err) => log.warn(`could not register host "${agent.name}"`, err));
    void deps.agents.touch(agent.id, { version: hello.version, platform: hello.platform }, true).catch((err) => log.warn('could not record an agent connection', err));
    log.info(`agent "${agent.name}" connected (${hello.version || 'unknown version'}, ${hello.platform || 'unknown platform'})`);
    socket.emit('welcome', { host: agent.name, serverTime: now(), maxBatchSamples: AGENT_MAX_BATCH_SAMPLES });

    socket.on('samples', async (raw: unknown, callback: unknown) => {
      if (typeof callback !== 'function') return;
      const reply = callback as (ack: AgentAck) => void;
      if (!socket.data.bucket.take()) return reply({ ok: false, error: { code: 'rate_limited', message: 'too many batches: slow down' } });
      const checked = checkAgentBatch(raw, ALLOWED);
      if (!checked.ok) return reply({ ok: false, error: { code: 'bad_request', message: checked.message } });
      const { batch } = checked;
      const receivedAt = now();
      const offsets = socket.data.offsets;
      offsets.push(batch.sentAt - receivedAt);
      if (offsets.length > 20) offsets.shift();
      const skew = estimateSkew(offsets);
      socket.data.skewMs = skew;
      deps.hosts.setClockSkew(agent.name, skew);
      const pending = (raw as { pending?: unknown }).pending;
      deps.agents.setLive(agent.id, { backlog: typeof pending === 'number' && Number.isFinite(pending) ? Math.max(0, Math.floor(pending)) : 0 });

      const correction = skew !== null && Math.abs(skew) >= SKEW_CORRECT_MS ? skew : 0;
      const freshAfter = receivedAt - FRESH_TICKS * hello.intervalMs;
      const fresh: MetricsEvent[] = [];
      const late: MetricsEvent[] = [];
      for (const s of batch.samples) {
        // On the server's clock, and never in the future.
        const ts = Math.min(s.ts - correction, receivedAt);
        const event: MetricsEvent = { host: agent.name, ts, values: { ...s.values } };
        (batch.live && ts >= freshAfter ? fresh : late).push(event);
      }
      try {
        await Promise.all([
          deps.ingest.accept(agent.name, late, { kind: 'agent', fresh: false, intervalMs: hello.intervalMs }),
          deps.ingest.accept(agent.name, fresh, { kind: 'agent', fresh: true, intervalMs: hello.intervalMs }),
        ]);
        reply({ ok: true, stored: batch.samples.length });
        void deps.agents.touch(agent.id, { clockSkewMs: skew === null ? null : Math.round(skew) }).catch((err) => log.warn('could not record an agent', err));
      } catch (err) {
        log.warn(`storing a batch of agent "${agent.name}" failed; it will send it again`, err);
        reply({ ok: false, error: { code: 'unavailable', message: 'could not store the batch now; send it again later' } });
      }
    });

    socket.on('disconnect', () => {
      if (![...nsp.sockets.values()].some((s) => s.data.agent?.id === agent.id)) deps.agents.setLive(agent.id, null);
    });
  });

  const off = deps.agents.onRevoke((agentId) => {
    for (const socket of nsp.sockets.values()) if (socket.data.agent?.id === agentId) socket.disconnect(true);
  });
  return {
    /** Agents connected to this node. */
    count: () => nsp.sockets.size,
    close: off,
  };
}
