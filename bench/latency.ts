/**
 * Sample → socket client latency: the real server as a child process (PGlite,
 * COLLECT_INTERVAL_MS=250 to gather many ticks quickly), one socket.io-client
 * over websocket in this process, `Date.now() - event.ts` for every `metrics`
 * event. `ts` is stamped when the tick starts, so each figure includes the
 * collection itself (all sources in parallel, one of them a database query),
 * the bus, the sample writer's synchronous part, Socket.IO encoding and
 * loopback delivery. Same machine, same clock.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { connectViewer, machineBusyPercent, machineJiffies, max, meets, median, percentile, progress, round, sleep, standalone, startServerProcess, type BenchResult, type ServerProcess } from './lib.ts';

const INTERVAL_MS = 250;
const REPS = 3;
const SAMPLES_PER_REP = 100;
const WARMUP_TICKS = 8;

/** Latencies of the next `count` metrics events on one fresh connection. */
async function collect(server: ServerProcess, count: number): Promise<number[]> {
  const socket = await connectViewer(server);
  try {
    const latencies: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${latencies.length} of ${count} metrics events arrived`)), count * INTERVAL_MS * 3 + 10_000);
      socket.on('metrics', (event) => {
        latencies.push(Date.now() - event.ts);
        if (latencies.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return latencies;
  } finally {
    socket.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  progress(`latency: server child process at ${INTERVAL_MS} ms ticks, ${REPS} × ${SAMPLES_PER_REP} events`);
  const server = await startServerProcess({ intervalMs: INTERVAL_MS });
  try {
    await collect(server, WARMUP_TICKS); // JIT, first database queries, first-tick CPU baseline
    const reps: number[][] = [];
    const machineBefore = machineJiffies();
    // A control: this (otherwise idle) process's own event-loop delay shows how much the machine delays any process.
    const own = monitorEventLoopDelay({ resolution: 10 });
    own.enable();
    for (let r = 0; r < REPS; r++) {
      reps.push(await collect(server, SAMPLES_PER_REP));
      await sleep(100);
    }
    own.disable();
    const busy = machineBusyPercent(machineBefore, machineJiffies());
    const ownMax = round(own.max / 1e6 - 10, 1);
    const all = reps.flat();
    const p50s = reps.map((xs) => percentile(xs, 50)!);
    const p99s = reps.map((xs) => percentile(xs, 99)!);
    const note = `${REPS} connections × ${SAMPLES_PER_REP} metrics events (${all.length} in all) at COLLECT_INTERVAL_MS=${INTERVAL_MS}, PGlite, after ${WARMUP_TICKS} warm-up ticks; Date.now() − event.ts, so collection time is included; headline = median over repetitions of each repetition's p99 (the 2nd-largest of its 100); pooled: p50 ${percentile(all, 50)} ms, p99 ${percentile(all, 99)} ms, max ${max(all)} ms; machine ${round(busy, 0)} % busy (all cores, everything running) meanwhile, and the bench process's own event loop was delayed up to ${ownMax} ms`;
    return [
      {
        name: 'sample → socket client latency p99 (1 client)',
        median: round(median(p99s), 1),
        p50: round(median(p50s), 1),
        p99: round(median(p99s), 1),
        max: max(all),
        unit: 'ms',
        target: '< 20',
        met: meets(median(p99s), '<', 20),
        reps: p99s,
        note,
      },
    ];
  } finally {
    await server.stop();
  }
}

if (import.meta.filename === process.argv[1]) await standalone(run);
