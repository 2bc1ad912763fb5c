/**
 * Sources a test controls, in place of this machine's: every measured
 * built-in metric at a known, calm value, below every default rule's
 * threshold, so a busy machine (its CPU, a slow query) fires no alert of its
 * own in the middle of a test. The audience (app.viewers, app.sessions) is
 * still counted for real: tests make app.viewers true or false by opening
 * sockets.
 */
import type { Source } from '../../server/collect/source.ts';
import { createAppSource } from '../../server/collect/sources/app.ts';
import type { SourceDeps } from '../../server/collect/sources/index.ts';
import type { BuiltinMetric } from '../../shared/catalog.ts';

/** What a machine's sources measure (host.up is the server's; the audience is counted for real). */
export type MeasuredMetric = Exclude<BuiltinMetric, 'host.up' | 'app.viewers' | 'app.sessions'>;

/** A quiet machine. Every key is required: a metric added to the catalog fails to compile here until it has a value. */
export const CALM: Readonly<Record<MeasuredMetric, number>> = {
  'cpu.usage_percent': 12.5,
  'cpu.count': 4,
  'cpu.load_1m': 0.5,
  'memory.usage_percent': 40,
  'memory.available_mb': 8192,
  'disk.usage_percent': 50,
  'disk.free_gb': 100,
  'net.rx_bytes_per_s': 1000,
  'net.tx_bytes_per_s': 500,
  'db.active_connections': 1,
  'db.size_mb': 12,
  'db.query_ms': 2,
  'db.cache_hit_percent': 99,
  'self.event_loop_lag_ms': 1,
  'self.event_loop_max_ms': 3,
  'self.cpu_percent': 5,
  'self.rss_mb': 120,
};

/**
 * This machine's sources in a test: the CALM values every tick, and the audience counted for real.
 * Pass it as is: `startTestServer({ sources: calmMachine })`.
 */
export function calmMachine(deps: SourceDeps): readonly Source[] {
  const machine: Source<MeasuredMetric> = {
    id: 'calm-machine',
    metrics: Object.keys(CALM) as MeasuredMetric[],
    collect: () => ({ ...CALM }),
  };
  return [machine, createAppSource(deps.audience)];
}
