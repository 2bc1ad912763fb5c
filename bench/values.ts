/**
 * Sample values shaped like the server's and the agents' own at 1 Hz (light:
 * load generators use this too). See data.ts for how the storage benchmarks
 * write them. Seeded, so every run stores the same day.
 */
import { seededRandom as prng } from '../tests/helpers/random.ts';

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * The values of one host's consecutive 1 Hz ticks, metric by metric as the
 * server's sources round them (cpu.ts, memory.ts, disk.ts, net.ts, db.ts,
 * app.ts, self.ts). `agentOnly`: just what an agent measures (cpu, memory,
 * disk, net). host.up is added by ingest (fresh samples), as here.
 */
export function serverValues(seed: number, opts: { agentOnly?: boolean } = {}): () => Record<string, number> {
  const r = prng(seed);
  const noise = () => r() + r() + r() - 1.5; // ~N(0, 0.5)
  let cpuBase = 8 + r() * 10;
  let load = 0.3;
  const totalMb = 24_105;
  let availMb = 20_000 + r() * 1000;
  const diskTotalGb = 100;
  let diskFreeGb = 60 + r() * 20;
  let dbSize = 40 + r() * 10;
  let hit = 99.9;
  let viewers = 1;
  let sessions = 1;
  let rss = 120 + r() * 20;
  return () => {
    cpuBase = clamp(cpuBase + noise() * 0.6, 2, 60);
    const cpu = clamp(cpuBase + noise() * 6 + (r() < 0.01 ? 30 * r() : 0), 0, 100);
    load += (((cpu / 100) * 2 + noise() * 0.2) - load) * (1 - Math.exp(-1 / 60));
    availMb = clamp(availMb + noise() * 4 + (r() < 0.002 ? (r() - 0.5) * 600 : 0) + (20_500 - availMb) * 0.0005, 2000, totalMb);
    diskFreeGb -= r() < 0.1 ? 0.001 + r() * 0.003 : 0;
    const net = (scale: number) => Math.round(r() < 0.03 ? r() * 2_000_000 * scale : 300 + r() * 15_000 * scale);
    const values: Record<string, number> = {
      'cpu.usage_percent': r1(cpu),
      'cpu.count': 2,
      'cpu.load_1m': r2(Math.max(0, load)),
      'memory.usage_percent': r1(((totalMb - availMb) / totalMb) * 100),
      'memory.available_mb': Math.round(availMb),
      'disk.usage_percent': r1(((diskTotalGb - diskFreeGb) / diskTotalGb) * 100),
      'disk.free_gb': r2(diskFreeGb),
      'net.rx_bytes_per_s': net(1),
      'net.tx_bytes_per_s': net(0.6),
    };
    if (opts.agentOnly) return values;
    if (r() < 0.008) dbSize += 0.1;
    hit = clamp(hit + noise() * 0.002, 99.5, 100);
    if (r() < 0.001) viewers = Math.max(0, viewers + (r() < 0.5 ? -1 : 1));
    if (r() < 0.0005) sessions = Math.max(0, sessions + (r() < 0.5 ? -1 : 1));
    rss = clamp(rss + noise() * 0.8 + (r() < 0.01 ? -8 * r() : 0), 90, 200);
    return {
      ...values,
      'db.active_connections': r() < 0.9 ? 1 : 2 + Math.floor(r() * 2),
      'db.size_mb': r1(dbSize),
      'db.query_ms': r2(0.25 + r() * 0.8 + (r() < 0.05 ? r() * 6 : 0)),
      'db.cache_hit_percent': r2(hit),
      'app.viewers': viewers,
      'app.sessions': sessions,
      'self.event_loop_lag_ms': r2(Math.max(0, 0.3 + noise() * 0.5 + (r() < 0.02 ? r() * 5 : 0))),
      'self.event_loop_max_ms': r2(Math.max(0, 1.2 + noise() * 1.5 + (r() < 0.05 ? r() * 12 : 0))),
      'self.cpu_percent': r2(Math.max(0, 0.9 + noise() * 0.8 + (r() < 0.02 ? r() * 4 : 0))),
      'self.rss_mb': r1(rss),
    };
  };
}

/** Tick timestamps: slots of 1 s plus the timer's lateness (mostly 1–3 ms, now and then up to 20 ms). */
export function tickTimes(seed: number): (slotMs: number) => number {
  const r = prng(seed ^ 0x5eed);
  return (slot) => slot + 1 + Math.floor(r() * 3) + (r() < 0.01 ? Math.floor(r() * 18) : 0);
}

