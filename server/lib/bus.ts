/**
 * The sample bus: one tick produces one `MetricsEvent`, published once;
 * every consumer (realtime, storage, the recent window, alerts) subscribes
 * here instead of re-reading the database. A consumer that throws is logged
 * and does not stop the others.
 */
import type { MetricsEvent } from '../../shared/events.ts';
import { createLogger } from './log.ts';

export type SampleHandler = (sample: MetricsEvent) => void;

export interface SampleBus {
  subscribe(name: string, handler: SampleHandler): () => void;
  publish(sample: MetricsEvent): void;
}

const log = createLogger('bus');

export function createSampleBus(): SampleBus {
  const handlers = new Map<string, SampleHandler>();
  return {
    subscribe(name, handler) {
      handlers.set(name, handler);
      return () => handlers.delete(name);
    },
    publish(sample) {
      for (const [name, handler] of handlers) {
        try {
          handler(sample);
        } catch (err) {
          log.error(`consumer "${name}" failed`, err);
        }
      }
    },
  };
}
