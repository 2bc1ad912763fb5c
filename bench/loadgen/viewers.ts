/**
 * Load generator (a child process of the bench): many dashboard viewers —
 * socket.io-client websockets with a session cookie — in one process, each
 * measuring delivery latency of the `metrics` events of one host
 * (receive time − event ts; same machine, same clock).
 *
 * Commands:
 * - connect {url, cookie, n, concurrency, host, budgetMs?}: opens n more viewers
 *   (none started after budgetMs)
 *   (handshake `since: now`, as a reconnecting client, so each snapshot is
 *   small: the benchmark is the live fan-out, not snapshots) and waits for
 *   each one's snapshot. → {viewers, failed, ms, error}
 * - stats {reset?}: latencies of the window: count, p50/p95/p99/max, a
 *   histogram (ms → receipts, so the bench can merge generators exactly), and
 *   per tick (event ts) the first and the last of this process's viewers to
 *   receive it and how many did; viewers that disconnected (by reason); this
 *   process's own event-loop delay (monitorEventLoopDelay).
 * - close: disconnects everything.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Socket } from 'socket.io-client';
import type { MetricsEvent } from '../../shared/events.ts';
import { connectViewer } from '../lib.ts';
import { percentiles, serve } from './ipc.ts';

const sockets: Socket[] = [];
let host = '';
let latencies: number[] = [];
let histogram = new Map<number, number>();
let perTick = new Map<number, { first: number; last: number; n: number }>();
/** Disconnects since the last reset, by reason ("ping timeout", "transport close", …). */
let disconnects: Record<string, number> = {};
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

function onMetrics(e: MetricsEvent) {
  if (e.host !== host) return;
  const lag = Date.now() - e.ts;
  latencies.push(lag);
  histogram.set(lag, (histogram.get(lag) ?? 0) + 1);
  const t = perTick.get(e.ts);
  if (t) {
    t.n++;
    if (lag > t.last) t.last = lag;
    if (lag < t.first) t.first = lag;
  } else perTick.set(e.ts, { first: lag, last: lag, n: 1 });
}

/** A viewer as the dashboard is one, handshaking as a reconnecting client (`since: now`), measuring from its snapshot on. */
async function open(url: string, cookie: string): Promise<Socket> {
  const socket = await connectViewer({ url, cookie }, { since: Date.now() });
  socket.on('metrics', onMetrics);
  socket.on('disconnect', (reason) => {
    disconnects[reason] = (disconnects[reason] ?? 0) + 1;
  });
  return socket;
}

serve(
  {
    async connect(a: { url: string; cookie: string; n: number; concurrency: number; host: string; budgetMs?: number }) {
      host = a.host;
      const t = performance.now();
      let failed = 0;
      let error = '';
      let left = a.n;
      // No new connection is started after the budget (a saturated machine connects a few per second): the answer says how many connected.
      const until = t + (a.budgetMs ?? Infinity);
      const worker = async () => {
        while (left > 0 && performance.now() < until) {
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
        histogram: [...histogram.entries()],
        ticks: [...perTick.entries()].map(([ts, v]) => [ts, v.last, v.n, v.first] as [number, number, number, number]),
        disconnects,
        connected: sockets.filter((s) => s.connected).length,
        loopP99: loop.percentile(99) / 1e6 - 10,
        loopMax: loop.max / 1e6 - 10,
      };
      if (a?.reset) {
        latencies = [];
        histogram = new Map();
        perTick = new Map();
        disconnects = {};
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
