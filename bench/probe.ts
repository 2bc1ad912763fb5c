/**
 * Loaded into the server child process with `node --import tsx --import
 * ./bench/probe.ts server/main.ts` (server-load benchmark only): measures
 * the event loop's delay independently of the server's own metric and
 * answers over the IPC channel. It changes nothing in the server; its cost is
 * one 10 ms libuv timer (the server's self source runs one too).
 *
 * Messages: 'eld:reset' → {eld: 'reset'}; 'eld:read' → {eld: {p50, p99, max, count}}
 * in ms of delay beyond the 10 ms sampling interval.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

const beyond = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);

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
  }
});
// The channel must not keep the server alive once it wants to exit.
process.channel?.unref();
