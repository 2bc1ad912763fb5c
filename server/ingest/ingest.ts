/**
 * The one way samples enter glasswatch, whatever brought them (this
 * machine's collector, an agent, a scrape, a push): register the host and any
 * metric seen for the first time, add the derived ratios, note that the host
 * is alive, stamp `host.up = 1` into fresh samples, and publish on the bus.
 * Resolves once the samples are stored.
 */
import type { MetricsEvent, HostKind } from '../../shared/events.ts';
import type { SampleBus } from '../lib/bus.ts';
import type { HostRegistry } from '../fleet/hosts.ts';
import type { MetricCatalog, NewMetric } from '../store/metric-catalog.ts';

export interface IngestOptions {
  kind: HostKind;
  /** Taken just now (evaluated for alerts, proves the host alive); false for a backlog or late samples. */
  fresh: boolean;
  /** The source's tick, when it has its own (agents, targets). */
  intervalMs?: number;
  /** Metrics found at run time that these samples may carry (scrapes, pushes). */
  newMetrics?: readonly NewMetric[];
}

export interface Ingest {
  /** Samples of one host, oldest first. */
  accept(host: string, samples: readonly MetricsEvent[], opts: IngestOptions): Promise<void>;
}

export interface IngestDeps {
  hosts: HostRegistry;
  catalog: MetricCatalog;
  bus: SampleBus;
  /** Adds derived series (ratios) to a sample's values. */
  derive?(values: MetricsEvent['values']): void;
  now?: () => number;
}

export function createIngest(deps: IngestDeps): Ingest {
  const now = deps.now ?? Date.now;
  return {
    async accept(host, samples, opts) {
      if (samples.length === 0) return;
      if (!deps.hosts.has(host) || opts.intervalMs !== undefined) await deps.hosts.ensure(host, opts.kind, opts.intervalMs);
      if (opts.newMetrics?.length) await deps.catalog.ensure(opts.newMetrics);
      if (deps.derive) for (const s of samples) deps.derive(s.values);
      if (opts.fresh) {
        deps.hosts.seen(host, now());
        for (const s of samples) s.values['host.up'] = 1;
      }
      await deps.bus.publish({ samples, fresh: opts.fresh });
    },
  };
}
