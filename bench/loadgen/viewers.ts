/**
 * Load generator (a child process of the bench): many dashboard viewers —
 * socket.io-client websockets with a session cookie — in one process, each
 * measuring delivery latency of the `metrics` events of one host
 * (receive time − event ts; same machine, same clock).
 *
 * Commands:
 * - connect {url, cookie, n, concurrency, host}: opens n more viewers
 *   (handshake `since: now`, as a reconnecting client, so each snapshot is
 *   small: the benchmark is the live fan-out, not snapshots) and waits for
 *   each one's snapshot. → {viewers, failed, ms, error}
 * - stats {reset?}: latencies of the window: count, p50/p95/p99/max, and per
 *   tick (event ts) the last of this process's viewers to receive it and how
 *   many did; this process's own event-loop delay (monitorEventLoopDelay).
 * - close: disconnects everything.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import type { MetricsEvent } from '../../shared/events.ts';
import { percentiles, serve } from './ipc.ts';

const sockets: Socket[] = [];
let host = '';
let latencies: number[] = [];
let perTick = new Map<number, { last: number; n: number }>();
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function onMetrics(e: MetricsEvent) {
  if (e.host !== host) return;
  const lag = Date.now() - e.ts;
  latencies.push(lag);
  const t = perTick.get(e.ts);
  if (t) {
    t.n++;
    if (lag > t.last) t.last = lag;
  } else perTick.set(e.ts, { last: lag, n: 1 });
}

function open(url: string, cookie: string): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { since: Date.now() },
    extraHeaders: { cookie },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no snapshot within 60 s'));
    }, 60_000);
    socket.once('snapshot', () => {
      clearTimeout(timer);
      socket.on('metrics', onMetrics);
      resolve(socket);
    });
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      reject(err);
    });
  });
}

serve(
  {
    async connect(a: { url: string; cookie: string; n: number; concurrency: number; host: string }) {
      host = a.host;
      const t = performance.now();
      let failed = 0;
      let error = '';
      let left = a.n;
      const worker = async () => {
        while (left > 0) {
          left--;
          try {
            sockets.push(await open(a.url, a.cookie));
          } catch (err) {
            failed++;
            error ||= (err as Error).message;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(a.concurrency, a.n) }, worker));
      return { viewers: sockets.filter((s) => s.connected).length, failed, ms: performance.now() - t, error };
    },
    stats(a: { reset?: boolean } | null) {
      const out = {
        count: latencies.length,
        ...percentiles(latencies.slice(), [50, 95, 99, 100]),
        ticks: [...perTick.entries()].map(([ts, v]) => [ts, v.last, v.n] as [number, number, number]),
        connected: sockets.filter((s) => s.connected).length,
        loopP99: loop.percentile(99) / 1e6 - 10,
        loopMax: loop.max / 1e6 - 10,
      };
      if (a?.reset) {
        latencies = [];
        perTick = new Map();
        loop.reset();
      }
      return out;
    },
    close() {
      for (const s of sockets.splice(0)) s.close();
      return true;
    },
  },
  () => {
    for (const s of sockets.splice(0)) s.close();
  },
);
