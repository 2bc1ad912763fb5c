/**
 * Loaded into the server child process with `node --import tsx --import
 * ./bench/probe.ts server/main.ts`: measures the event loop's delay
 * independently of the server's own metric and answers over the IPC channel.
 * It changes nothing in the server; its cost is one 10 ms libuv timer (the
 * server's self source runs one too), plus, only while a stall log is on, a
 * 5 ms timer.
 *
 * Messages:
 * - 'eld:reset' → {eld: 'reset'}; 'eld:read' → {eld: {p50, p99, max, count}}
 *   in ms of delay beyond the 10 ms sampling interval;
 * - 'mem:read' → {eld: process.memoryUsage() of the main thread's view, in MB};
 * - 'stalls:start' → {eld: 'started'}; 'stalls:stop' → {eld: [{at, ms}]}:
 *   every gap of a 5 ms interval timer longer than 15 ms while the log was on
 *   (`at` = epoch ms when the loop came back, `ms` = the gap minus 5 ms), so a
 *   stall can be placed in time (e.g. next to a maintenance pass).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

const beyond = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

const STALL_TIMER_MS = 5;
const STALL_MIN_MS = 15;
let stallTimer: NodeJS.Timeout | undefined;
let stalls: Array<{ at: number; ms: number }> = [];

function startStalls() {
  clearInterval(stallTimer);
  stalls = [];
  let last = performance.now();
  stallTimer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    last = now;
    if (gap > STALL_MIN_MS) stalls.push({ at: Date.now(), ms: Math.round((gap - STALL_TIMER_MS) * 10) / 10 });
  }, STALL_TIMER_MS);
  stallTimer.unref();
}

process.on('message', (msg) => {
  if (msg === 'eld:reset') {
    histogram.reset();
    process.send?.({ eld: 'reset' });
  } else if (msg === 'eld:read') {
    process.send?.({
      eld: {
        p50: beyond(histogram.percentile(50)),
        p99: beyond(histogram.percentile(99)),
        max: beyond(histogram.max),
        count: histogram.count,
      },
    });
  } else if (msg === 'mem:read') {
    const m = process.memoryUsage();
    const mb = (x: number) => Math.round((x / 1024 / 1024) * 10) / 10;
    process.send?.({ eld: { rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) } });
  } else if (msg === 'stalls:start') {
    startStalls();
    process.send?.({ eld: 'started' });
  } else if (msg === 'stalls:stop') {
    clearInterval(stallTimer);
    stallTimer = undefined;
    process.send?.({ eld: stalls });
    stalls = [];
  }
});
// The channel must not keep the server alive once it wants to exit.
process.channel?.unref();
