import os from 'node:os';
import { round, type Source } from '../source.ts';

type CpuTimes = { idle: number; total: number };

function readTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** Busy share of all cores between two readings (0–100), or null without a time delta. */
export function cpuUsagePercent(prev: CpuTimes, cur: CpuTimes): number | null {
  const total = cur.total - prev.total;
  if (total <= 0) return null;
  return Math.min(100, Math.max(0, (1 - (cur.idle - prev.idle) / total) * 100));
}

/** CPU usage from the kernel's per-core times (os.cpus: no child process), cores and load. */
export function createCpuSource(): Source<'cpu.usage_percent' | 'cpu.count' | 'cpu.load_1m'> {
  let prev = readTimes();
  return {
    id: 'cpu',
    metrics: ['cpu.usage_percent', 'cpu.count', 'cpu.load_1m'],
    collect() {
      const cur = readTimes();
      const usage = cpuUsagePercent(prev, cur);
      prev = cur;
      return {
        'cpu.usage_percent': usage === null ? null : round(usage, 1),
        'cpu.count': os.availableParallelism(),
        'cpu.load_1m': round(os.loadavg()[0] ?? 0, 2),
      };
    },
  };
}
