/**
 * The collection loop: every tick, run each source that is due (with a
 * deadline), merge their values into one sample and publish it on the bus.
 * A slow or failing source gives nulls for its metrics that tick and a log
 * line; it never delays the tick past its deadline nor stops the loop.
 */
import type { MetricValues } from '../../shared/catalog.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import { createLogger, onceUntilOk } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { Source } from './source.ts';

const log = createLogger('collect');

export interface CollectorOptions {
  host: string;
  intervalMs: number;
  sources: readonly Source[];
  /** Hands over each tick's sample (to ingest; not awaited, so a slow database never delays a tick). */
  publish(sample: MetricsEvent): void;
  signal: AbortSignal;
  now?: () => number;
}

interface SourceState {
  source: Source;
  inFlight: boolean;
  lastRunAt: number;
  last: MetricValues;
  health: ReturnType<typeof onceUntilOk>;
}

class SourceTimeout extends Error {
  constructor(id: string, ms: number) {
    super(`source "${id}" took longer than ${ms} ms`);
  }
}

/** Runs one source with a deadline. Resolves to its values or throws. */
async function runSource(state: SourceState, deadlineMs: number, loopSignal: AbortSignal): Promise<MetricValues> {
  const signal = AbortSignal.any([loopSignal, AbortSignal.timeout(deadlineMs)]);
  state.inFlight = true;
  const work = Promise.resolve()
    .then(() => state.source.collect(signal))
    .finally(() => {
      state.inFlight = false;
    });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SourceTimeout(state.source.id, deadlineMs)), deadlineMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {}); // a late rejection after the deadline is already accounted for
  }
}

function nulls(source: Source): MetricValues {
  return Object.fromEntries(source.metrics.map((m) => [m, null]));
}

/** One tick: every due source in parallel, each bounded by `deadlineMs`. */
export async function collectOnce(states: SourceState[], now: number, deadlineMs: number, signal: AbortSignal) {
  const values: MetricValues = {};
  await Promise.all(
    states.map(async (state) => {
      const { source } = state;
      const due = !source.everyMs || now - state.lastRunAt >= source.everyMs;
      if (!due) return Object.assign(values, state.last);
      if (state.inFlight) {
        // Still busy with an earlier tick: report the gap instead of queueing calls.
        state.health.fail(new SourceTimeout(source.id, deadlineMs));
        return Object.assign(values, nulls(source));
      }
      state.lastRunAt = now;
      try {
        state.last = await runSource(state, deadlineMs, signal);
        state.health.ok();
      } catch (err) {
        state.last = nulls(source);
        state.health.fail(err);
      }
      Object.assign(values, state.last);
    }),
  );
  return values;
}

export function createSourceStates(sources: readonly Source[]): SourceState[] {
  return sources.map((source) => ({
    source,
    inFlight: false,
    lastRunAt: -Infinity,
    last: nulls(source),
    health: onceUntilOk(log, `source "${source.id}"`),
  }));
}

/** Starts the loop; resolves when `signal` aborts. */
export function startCollector(opts: CollectorOptions): Promise<void> {
  const states = createSourceStates(opts.sources);
  // Leave a fifth of the tick for storing and pushing the sample.
  const deadlineMs = Math.max(100, Math.floor(opts.intervalMs * 0.8));
  const now = opts.now ?? Date.now;
  return runLoop(
    async (signal) => {
      const ts = now();
      const values = await collectOnce(states, ts, deadlineMs, signal);
      if (!signal.aborted) opts.publish({ host: opts.host, ts, values });
    },
    { intervalMs: opts.intervalMs, signal: opts.signal, log },
  );
}
