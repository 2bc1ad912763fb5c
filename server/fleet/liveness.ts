/**
 * `host.up` for every host, every tick. A host whose samples arrive has
 * `host.up = 1` stamped into them as they come in (see ingest); this loop
 * publishes `host.up = 0` for every host that missed three of its ticks, so
 * the "Host down" rule fires on it, it is stored (availability) and every
 * screen shows the host as down instead of its last numbers. Viewers also
 * get the host list whenever a host comes or goes.
 */
import type { HostInfo, MetricsEvent } from '../../shared/events.ts';
import type { SampleBus } from '../lib/bus.ts';
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { HostRegistry } from './hosts.ts';

const log = createLogger('liveness');

export interface LivenessOptions {
  hosts: HostRegistry;
  bus: SampleBus;
  intervalMs: number;
  signal: AbortSignal;
  /** Whether this node writes host.up (the cluster leader; always on a single node). */
  publishes(): boolean;
  onHostsChanged(hosts: HostInfo[]): void;
  now?: () => number;
}

/** One pass: the `host.up = 0` samples to publish at `now`, and whether any host changed state. */
export function downSamples(hosts: HostRegistry, now: number): { down: MetricsEvent[]; changed: boolean } {
  const { up, changed } = hosts.liveness(now);
  return { down: up.filter((h) => !h.up).map((h) => ({ host: h.host, ts: now, values: { 'host.up': 0 } })), changed };
}

export function startLiveness(opts: LivenessOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  return runLoop(
    () => {
      const at = now();
      const { down, changed } = downSamples(opts.hosts, at);
      if (changed) opts.onHostsChanged(opts.hosts.list(at));
      // Not awaited: storage may be slow or away, the next tick comes regardless.
      if (down.length > 0 && opts.publishes()) {
        opts.bus.publish({ samples: down, fresh: true }).catch((err) => log.warn('storing host.up failed', err));
      }
    },
    { intervalMs: opts.intervalMs, signal: opts.signal, log, immediate: false },
  );
}
