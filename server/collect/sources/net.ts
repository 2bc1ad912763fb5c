import { readFile } from 'node:fs/promises';
import si from 'systeminformation';
import { round, type Source } from '../source.ts';

type Counters = { rx: number; tx: number; atMs: number };

/** Sums receive/transmit byte counters of every interface but loopback in /proc/net/dev. */
export function parseProcNetDev(text: string): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const line of text.split('\n').slice(2)) {
    const [name, rest] = line.split(':');
    if (!rest || !name || name.trim() === 'lo') continue;
    const fields = rest.trim().split(/\s+/).map(Number);
    rx += fields[0] ?? 0;
    tx += fields[8] ?? 0;
  }
  return { rx, tx };
}

/** Bytes per second between two readings; null on the first reading or a counter reset. */
export function rates(prev: Counters | undefined, cur: Counters) {
  const dt = prev ? (cur.atMs - prev.atMs) / 1000 : 0;
  if (!prev || dt <= 0 || cur.rx < prev.rx || cur.tx < prev.tx) {
    return { 'net.rx_bytes_per_s': null, 'net.tx_bytes_per_s': null };
  }
  return {
    'net.rx_bytes_per_s': round((cur.rx - prev.rx) / dt, 0),
    'net.tx_bytes_per_s': round((cur.tx - prev.tx) / dt, 0),
  };
}

type NetMetric = 'net.rx_bytes_per_s' | 'net.tx_bytes_per_s';

/**
 * Network throughput. On Linux from /proc/net/dev every tick (no child
 * process); elsewhere from systeminformation's networkStats, which spawns
 * processes, so only every 10 s.
 */
export function createNetSource(procPath = '/proc/net/dev'): Source<NetMetric> {
  let prev: Counters | undefined;
  let useProc = true;
  const source: Source<NetMetric> & { everyMs?: number } = {
    id: 'net',
    metrics: ['net.rx_bytes_per_s', 'net.tx_bytes_per_s'],
    async collect() {
      if (useProc) {
        try {
          const cur = { ...parseProcNetDev(await readFile(procPath, 'utf8')), atMs: performance.now() };
          const out = rates(prev, cur);
          prev = cur;
          return out;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          useProc = false;
          source.everyMs = 10_000;
        }
      }
      const stats = (await si.networkStats('*')).filter((s) => s.iface !== 'lo');
      return {
        'net.rx_bytes_per_s': round(stats.reduce((sum, s) => sum + (s.rx_sec ?? 0), 0), 0),
        'net.tx_bytes_per_s': round(stats.reduce((sum, s) => sum + (s.tx_sec ?? 0), 0), 0),
      };
    },
  };
  return source;
}
