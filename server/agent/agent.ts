/**
 * The agent: samples this host with the server's own sources at the same
 * tick, writes every sample to the on-disk buffer first, and pushes it over
 * the `/agent` socket. Live samples go out the moment they are taken; the
 * backlog (whatever the server has not acknowledged, across outages and
 * restarts) goes oldest first, one batch at a time, beside them — so the
 * screen is live at once and the hole behind it fills. A sample leaves the
 * buffer only once the server says it is stored.
 */
import os from 'node:os';
import { io, type Socket } from 'socket.io-client';
import {
  AGENT_MAX_BATCH_SAMPLES, AGENT_NAMESPACE, type AgentAck, type AgentBatch, type AgentClientEvents, type AgentHandshake,
  type AgentServerEvents,
} from '../../shared/agent-protocol.ts';
import { startCollector } from '../collect/scheduler.ts';
import type { Source } from '../collect/source.ts';
import { createCpuSource } from '../collect/sources/cpu.ts';
import { createDbSizeSource, createDbSource, type RunQuery } from '../collect/sources/db.ts';
import { createDiskSource } from '../collect/sources/disk.ts';
import { createMemorySource } from '../collect/sources/memory.ts';
import { createNetSource } from '../collect/sources/net.ts';
import { createLogger } from '../lib/log.ts';
import { openDiskBuffer, type Buffered, type DiskBuffer } from './buffer.ts';

const log = createLogger('agent');
/** A batch not acknowledged within this long is offered again. */
const ACK_TIMEOUT_MS = 30_000;

export interface AgentOptions {
  serverUrl: string;
  token: string;
  /** The host name its samples carry: the server checks it against the token (informational here). */
  name: string;
  dataDir: string;
  bufferHours: number;
  intervalMs: number;
  version: string;
  /** Reads the watched PostgreSQL (db.* metrics); absent: no database metrics. */
  db?: { run: RunQuery; close(): Promise<void> };
  /** Called when the server refuses the token: the agent cannot go on. */
  onRefused?(reason: string): void;
  signal: AbortSignal;
}

export interface RunningAgent {
  /** Samples held on disk, not yet acknowledged. */
  readonly pending: number;
  readonly connected: boolean;
  /** Resolves when the agent has stopped (signal aborted), buffer synced and closed. */
  stopped: Promise<void>;
}

export function agentSources(db?: { run: RunQuery }): Source[] {
  const sources: Source[] = [createCpuSource(), createMemorySource(), createDiskSource(), createNetSource()];
  if (db) sources.push(createDbSource(db.run), createDbSizeSource(db.run));
  return sources;
}

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const maxSamples = Math.ceil((opts.bufferHours * 3600_000) / opts.intervalMs);
  const buffer: DiskBuffer = await openDiskBuffer({ dir: opts.dataDir, maxSamples, log: (msg) => log.warn(msg) });
  if (buffer.pending > 0) log.info(`${buffer.pending} samples in the buffer from before: they will be sent once the server answers`);

  const hello: AgentHandshake = {
    token: opts.token,
    version: opts.version,
    platform: `${os.type()} ${os.release()} (${os.arch()})`,
    intervalMs: opts.intervalMs,
  };
  const socket: Socket<AgentServerEvents, AgentClientEvents> = io(`${opts.serverUrl.replace(/\/$/, '')}${AGENT_NAMESPACE}`, {
    transports: ['websocket'],
    auth: hello as unknown as Record<string, unknown>,
    reconnection: true,
    reconnectionDelay: 1000,
    // Below the server's start-up grace (fleet/hosts.ts), so a server restart pages for nobody.
    reconnectionDelayMax: 10_000,
    randomizationFactor: 0.5,
  });

  let wasConnected = false;
  socket.on('connect', () => {
    log.info(`connected to ${opts.serverUrl} as "${opts.name}"${buffer.pending > 0 ? `; sending a backlog of ${buffer.pending} samples` : ''}`);
    wasConnected = true;
    void pumpBacklog();
  });
  socket.on('welcome', (w) => {
    if (w.host !== opts.name) log.info(`the server files this agent's samples under host "${w.host}"`);
  });
  socket.on('disconnect', (reason) => {
    if (wasConnected) log.warn(`disconnected (${reason}); buffering on disk until the server is back`);
    wasConnected = false;
    // The server closed it (revoked token, another connection of this agent): ask again, it says why.
    if (reason === 'io server disconnect' && !opts.signal.aborted) setTimeout(() => socket.connect(), 1000).unref();
  });
  socket.on('connect_error', (err) => {
    if (!socket.active) {
      // The server refused the handshake: a reconnect with the same token would be refused again.
      log.error(`the server refused this agent: ${err.message}`);
      opts.onRefused?.(err.message);
      return;
    }
    log.debug(`cannot reach ${opts.serverUrl}: ${err.message}`);
  });

  /** Sends a batch; resolves true once the server acknowledged storing it. */
  function send(samples: Buffered[], live: boolean): Promise<boolean> {
    const batch: AgentBatch & { pending: number } = {
      sentAt: Date.now(),
      live,
      pending: buffer.pending,
      samples: samples.map(({ ts, values }) => ({ ts, values })),
    };
    return new Promise((resolve) => {
      socket.timeout(ACK_TIMEOUT_MS).emit('samples', batch, (err: Error | null, ack: AgentAck) => {
        if (err || !ack?.ok) {
          if (!err && ack && !ack.ok) {
            if (ack.error.code === 'bad_request') log.error(`the server refused a batch: ${ack.error.message}`);
            else log.debug(`batch not stored: ${ack.error.message}`);
          }
          buffer.release(samples.map((s) => s.seq));
          return resolve(false);
        }
        buffer.ack(samples.map((s) => s.seq)).then(
          () => resolve(true),
          (ackErr) => {
            log.warn('could not record an acknowledgement (the samples may be sent again)', ackErr);
            resolve(true);
          },
        );
      });
    });
  }

  let pumping = false;
  /** The backlog, oldest first, one batch at a time while connected. */
  async function pumpBacklog() {
    if (pumping) return;
    pumping = true;
    try {
      while (socket.connected && !opts.signal.aborted) {
        const batch = await buffer.takeOldest(AGENT_MAX_BATCH_SAMPLES / 2);
        if (batch.length === 0) break;
        if (!(await send(batch, false))) break;
      }
    } catch (err) {
      log.warn('sending the backlog failed; retrying with the next tick', err);
    } finally {
      pumping = false;
    }
  }

  const collector = startCollector({
    host: opts.name,
    intervalMs: opts.intervalMs,
    sources: agentSources(opts.db),
    signal: opts.signal,
    publish(sample) {
      void (async () => {
        try {
          const live = socket.connected;
          const buffered = await buffer.append({ ts: sample.ts, values: sample.values }, { inFlight: live });
          if (live) {
            const stored = await send([buffered], true);
            if (stored && buffer.pending > buffer.inFlight) void pumpBacklog();
          }
        } catch (err) {
          log.error('buffering a sample failed', err);
        }
      })();
    },
  });

  const stopped = (async () => {
    await collector;
    socket.close();
    await buffer.close();
    await opts.db?.close();
  })();

  return {
    get pending() {
      return buffer.pending;
    },
    get connected() {
      return socket.connected;
    },
    stopped,
  };
}
