/**
 * The sample bus: every source of samples (this machine's collector, agents,
 * scrapes, pushes, the server's own `host.up`) publishes here, once; every
 * consumer (the recent window, storage, alerts, realtime) subscribes here
 * instead of re-reading the database. A consumer that throws is logged and
 * does not stop the others. `publish` resolves once every consumer that
 * returned a promise has settled it — storage resolves when the samples are
 * written, which is what lets an agent's batch be acknowledged only then.
 */
import type { MetricsEvent } from '../../shared/events.ts';
import { createLogger } from './log.ts';

export interface Published {
  /** One or more ticks, of one host or several, oldest first per host. */
  samples: readonly MetricsEvent[];
  /**
   * Taken just now: evaluated for alerts. A replayed backlog or a late
   * sample is stored and drawn but fires nothing (its moment is over).
   */
  fresh: boolean;
  /** Published by another server node (and stored there): drawn and evaluated here, not stored or forwarded again. */
  remote?: boolean;
}

export type SampleHandler = (published: Published) => void | Promise<void>;

export interface SampleBus {
  subscribe(name: string, handler: SampleHandler): () => void;
  /** Rejects when a consumer's promise rejects (e.g. storage closed before writing). */
  publish(published: Published): Promise<void>;
}

const log = createLogger('bus');

export function createSampleBus(): SampleBus {
  const handlers = new Map<string, SampleHandler>();
  return {
    subscribe(name, handler) {
      handlers.set(name, handler);
      return () => handlers.delete(name);
    },
    publish(published) {
      let pending: Array<Promise<void>> | undefined;
      for (const [name, handler] of handlers) {
        try {
          const result = handler(published);
          if (result) (pending ??= []).push(result);
        } catch (err) {
          log.error(`consumer "${name}" failed`, err);
        }
      }
      return pending ? Promise.all(pending).then(() => undefined) : Promise.resolve();
    },
  };
}
