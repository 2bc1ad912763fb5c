import si from 'systeminformation';
import { round, type Source } from '../source.ts';

/** Used share: what is not available to new work, as `free` and most monitors count it. */
export function memoryFigures(mem: { total: number; available: number }) {
  if (!(mem.total > 0)) throw new Error(`implausible memory total ${mem.total}`);
  return {
    'memory.usage_percent': round(((mem.total - mem.available) / mem.total) * 100, 1),
    'memory.available_mb': round(mem.available / 1024 / 1024, 0),
  };
}

/** systeminformation's mem() reads /proc/meminfo (no child process, ~0.5 ms). */
export function createMemorySource(): Source<'memory.usage_percent' | 'memory.available_mb'> {
  return {
    id: 'memory',
    metrics: ['memory.usage_percent', 'memory.available_mb'],
    async collect() {
      return memoryFigures(await si.mem());
    },
  };
}
