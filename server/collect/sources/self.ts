import { monitorEventLoopDelay } from 'node:perf_hooks';
import { round, type Source } from '../source.ts';

/** The server's own health: event-loop delay (p99 and max over the tick), CPU (% of one core) and RSS. */
export function createSelfSource(): Source<'self.event_loop_lag_ms' | 'self.event_loop_max_ms' | 'self.cpu_percent' | 'self.rss_mb'> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let prevCpu = process.cpuUsage();
  let prevAt = performance.now();
  return {
    id: 'self',
    metrics: ['self.event_loop_lag_ms', 'self.event_loop_max_ms', 'self.cpu_percent', 'self.rss_mb'],
    collect() {
      const now = performance.now();
      const cpu = process.cpuUsage(prevCpu);
      const elapsedMs = now - prevAt;
      prevCpu = process.cpuUsage();
      prevAt = now;
      // The histogram counts delay beyond its own 10 ms sampling resolution.
      const lagMs = delay.count > 0 ? Math.max(0, delay.percentile(99) / 1e6 - 10) : null;
      // The p99 hides a single stall in a tick; the max shows it.
      const maxMs = delay.count > 0 ? Math.max(0, delay.max / 1e6 - 10) : null;
      delay.reset();
      return {
        'self.event_loop_lag_ms': lagMs === null ? null : round(lagMs, 2),
        'self.event_loop_max_ms': maxMs === null ? null : round(maxMs, 2),
        'self.cpu_percent': elapsedMs > 0 ? round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100, 2) : null,
        'self.rss_mb': round(process.memoryUsage.rss() / 1024 / 1024, 1),
      };
    },
  };
}
