/**
 * Load generator (a child process of the bench): many simulated agents in
 * one process, speaking the agent protocol (shared/agent-protocol.ts) on the
 * `/agent` namespace with real agent tokens, or pushing JSON to POST
 * /api/ingest with them. Each agent's ticks are spread over the second (real
 * agents are not synchronised).
 *
 * Commands:
 * - agents:start {url, tokens, intervalMs, backlogTicks}: connect every agent;
 *   once welcomed it sends `backlogTicks` ticks from before now as backlog
 *   (live: false, batches of 300, one at a time, each after the previous
 *   ack), then a live sample every tick (live: true, one per batch, as the
 *   agent does). Values: an agent's metric set (values.ts).
 * - push:start {url, tokens, series, intervalMs}: every token POSTs
 *   {values: {bench.app_series_NNN: v, …}} (`series` values) every tick.
 * - stats {reset?}: acked samples and values (live / backlog), ack latency
 *   percentiles (sent → ack received), errors, backlog agents done; `reset`
 *   starts a new window.
 * - stop: disconnect / stop pushing.
 */
import { io, type Socket } from 'socket.io-client';
import { AGENT_NAMESPACE, type AgentAck, type AgentClientEvents, type AgentServerEvents, type AgentSample } from '../../shared/agent-protocol.ts';
import { serverValues, tickTimes } from '../values.ts';
import { percentiles, serve } from './ipc.ts';

const BACKLOG_BATCH = 300;

let window = newWindow();
let backlogDone = 0;
let backlogAcked = 0;
/** Live values acknowledged since the last start command. */
let totalValues = 0;
const stops: Array<() => void> = [];

function newWindow() {
  return { from: Date.now(), samples: 0, values: 0, latency: [] as number[], errors: 0, errorText: '' as string };
}

function acked(values: number, sentAt: number, live: boolean) {
  if (!live) {
    backlogAcked += values;
    return;
  }
  totalValues += values;
  window.samples++;
  window.values += values;
  window.latency.push(Date.now() - sentAt);
}

function failed(text: string) {
  window.errors++;
  if (!window.errorText) window.errorText = text.slice(0, 300);
}

function startAgent(url: string, token: string, index: number, count: number, intervalMs: number, backlogTicks: number) {
  const socket: Socket<AgentServerEvents, AgentClientEvents> = io(`${url}${AGENT_NAMESPACE}`, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: true,
    auth: { token, version: 'bench', platform: 'bench', intervalMs },
  });
  const next = serverValues(1000 + index, { agentOnly: true });
  const stamp = tickTimes(1000 + index);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const emit = (samples: AgentSample[], live: boolean) =>
    new Promise<boolean>((resolve) => {
      const sentAt = Date.now();
      socket.timeout(30_000).emit('samples', { sentAt, live, samples }, (err: Error | null, ack: AgentAck) => {
        if (err || !ack?.ok) {
          failed(err ? err.message : JSON.stringify(ack));
          return resolve(false);
        }
        acked(samples.reduce((n, s) => n + Object.keys(s.values).length, 0), sentAt, live);
        resolve(true);
      });
    });
  const tick = () => {
    if (stopped) return;
    const now = Date.now();
    if (socket.connected) void emit([{ ts: now, values: next() }], true);
    timer = setTimeout(tick, intervalMs - ((Date.now() - phase0) % intervalMs));
  };
  // Spread the agents over the tick.
  const phase0 = Date.now() + Math.round((index / count) * intervalMs);
  socket.once('welcome', async () => {
    const now = Date.now();
    if (backlogTicks > 0) {
      const from = Math.floor(now / intervalMs) * intervalMs - backlogTicks * intervalMs;
      const backlog: AgentSample[] = [];
      for (let i = 0; i < backlogTicks; i++) backlog.push({ ts: stamp(from + i * intervalMs), values: next() });
      for (let i = 0; i < backlog.length && !stopped; i += BACKLOG_BATCH) {
        while (!(await emit(backlog.slice(i, i + BACKLOG_BATCH), false)) && !stopped) await new Promise((r) => setTimeout(r, 200));
      }
    }
    backlogDone++;
    timer = setTimeout(tick, Math.max(0, phase0 - Date.now()));
  });
  socket.on('connect_error', (err) => failed(`connect_error: ${err.message}`));
  stops.push(() => {
    stopped = true;
    clearTimeout(timer);
    socket.disconnect();
  });
}

function startPusher(url: string, token: string, index: number, count: number, series: number, intervalMs: number) {
  const names = Array.from({ length: series }, (_, i) => `bench.app_series_${String(i).padStart(3, '0')}`);
  const walk = names.map((_, i) => 100 + ((index * 7 + i * 13) % 500));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const phase0 = Date.now() + Math.round((index / count) * intervalMs);
  const tick = () => {
    if (stopped) return;
    const values: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) {
      walk[i] = Math.max(0, walk[i]! + Math.round((Math.random() - 0.5) * 10));
      values[names[i]!] = walk[i]!;
    }
    const sentAt = Date.now();
    fetch(`${url}/api/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ values }) }).then(
      async (res) => {
        if (res.ok) acked(series, sentAt, true);
        else failed(`HTTP ${res.status} ${await res.text()}`);
      },
      (err: Error) => failed(err.message),
    );
    timer = setTimeout(tick, intervalMs - ((Date.now() - phase0) % intervalMs));
  };
  timer = setTimeout(tick, Math.max(0, phase0 - Date.now()));
  stops.push(() => {
    stopped = true;
    clearTimeout(timer);
  });
}

function stopAll() {
  for (const stop of stops.splice(0)) stop();
}

serve(
  {
    'agents:start'(a: { url: string; tokens: string[]; intervalMs: number; backlogTicks: number }) {
      backlogDone = 0;
      backlogAcked = 0;
      totalValues = 0;
      a.tokens.forEach((token, i) => startAgent(a.url, token, i, a.tokens.length, a.intervalMs, a.backlogTicks));
      return { agents: a.tokens.length };
    },
    'push:start'(a: { url: string; tokens: string[]; series: number; intervalMs: number }) {
      totalValues = 0;
      a.tokens.forEach((token, i) => startPusher(a.url, token, i, a.tokens.length, a.series, a.intervalMs));
      return { pushers: a.tokens.length };
    },
    stats(a: { reset?: boolean } | null) {
      const w = window;
      const seconds = (Date.now() - w.from) / 1000;
      const out = {
        seconds,
        samples: w.samples,
        values: w.values,
        valuesPerSecond: w.values / seconds,
        ...percentiles(w.latency.slice(), [50, 95, 99, 100]),
        errors: w.errors,
        errorText: w.errorText,
        backlogDone,
        backlogAcked,
        totalValues,
      };
      if (a?.reset) window = newWindow();
      return out;
    },
    stop() {
      stopAll();
      return true;
    },
  },
  stopAll,
);
