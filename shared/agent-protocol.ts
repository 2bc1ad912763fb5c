/**
 * The agent's side of the contract: what an agent sends in its Socket.IO
 * handshake on the `/agent` namespace, the batches it pushes and the
 * acknowledgement it waits for. The server acknowledges a batch only after
 * every sample in it is stored; the agent drops samples only after that, and
 * may send a sample again (the server keeps each host/metric/timestamp once).
 *
 * No validation library here: this file is bundled into the agent.
 */
import type { Ack, TsMs } from './events.ts';

export const AGENT_NAMESPACE = '/agent';

/** `io(url + AGENT_NAMESPACE, {auth})`. */
export interface AgentHandshake {
  token: string;
  /** The agent's version and `os.type() os.release() (arch)`. */
  version: string;
  platform: string;
  /** The agent's tick: the server marks the host down after 3 missed ticks. */
  intervalMs: number;
}

/** One tick of the agent's host. */
export interface AgentSample {
  ts: TsMs;
  values: Record<string, number | null>;
}

export interface AgentBatch {
  /** The agent's clock when it sent the batch: the server measures clock skew from it. */
  sentAt: TsMs;
  /** `true`: taken just now (drawn, stored and evaluated for alerts); `false`: backlog (drawn and stored only). */
  live: boolean;
  samples: AgentSample[];
}

export type AgentAck = Ack<{ stored: number }>;

/** What the server tells an agent once it is accepted. */
export interface AgentWelcome {
  host: string;
  serverTime: TsMs;
  maxBatchSamples: number;
}

export interface AgentServerEvents {
  welcome: (w: AgentWelcome) => void;
}
export interface AgentClientEvents {
  samples: (batch: AgentBatch, callback: (ack: AgentAck) => void) => void;
}

/** Limits of one batch: anything larger is refused whole. */
export const AGENT_MAX_BATCH_SAMPLES = 600;
export const AGENT_MAX_VALUES = 64;

/**
 * Checks a batch's shape without trusting anything: a plain object, finite
 * numbers, known metric names, bounded sizes. Returns the reason on failure.
 */
export function checkAgentBatch(raw: unknown, allowed: ReadonlySet<string>): { ok: true; batch: AgentBatch } | { ok: false; message: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, message: 'a batch must be an object' };
  const { sentAt, live, samples } = raw as Record<string, unknown>;
  if (typeof sentAt !== 'number' || !Number.isFinite(sentAt) || sentAt < 0) return { ok: false, message: '"sentAt" must be epoch milliseconds' };
  if (typeof live !== 'boolean') return { ok: false, message: '"live" must be true or false' };
  if (!Array.isArray(samples) || samples.length === 0) return { ok: false, message: '"samples" must be a non-empty list' };
  if (samples.length > AGENT_MAX_BATCH_SAMPLES) return { ok: false, message: `at most ${AGENT_MAX_BATCH_SAMPLES} samples per batch` };
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i] as Record<string, unknown> | null;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return { ok: false, message: `samples[${i}] must be an object` };
    const { ts, values } = s;
    if (typeof ts !== 'number' || !Number.isInteger(ts) || ts <= 0) return { ok: false, message: `samples[${i}].ts must be whole epoch milliseconds` };
    if (typeof values !== 'object' || values === null || Array.isArray(values)) return { ok: false, message: `samples[${i}].values must be an object` };
    const entries = Object.entries(values);
    if (entries.length > AGENT_MAX_VALUES) return { ok: false, message: `samples[${i}] has more than ${AGENT_MAX_VALUES} values` };
    for (const [name, value] of entries) {
      if (!allowed.has(name)) return { ok: false, message: `samples[${i}]: unknown metric "${name.slice(0, 80)}"` };
      if (value !== null && !(typeof value === 'number' && Number.isFinite(value))) {
        return { ok: false, message: `samples[${i}].values["${name}"] must be a finite number or null` };
      }
    }
  }
  return { ok: true, batch: { sentAt, live, samples: samples as AgentSample[] } };
}
