/**
 * The sample writer: queues ticks from the bus and writes them in one
 * statement per flush. While the database is slow or down the queue grows
 * (to a bound) and is written in one go when it answers again, with
 * exponential backoff between attempts; nothing is lost short of the bound.
 */
import type { MetricsEvent } from '../../shared/events.ts';
import { createLogger } from '../lib/log.ts';
import type { Db } from './db.ts';
import { insertSamples, toRows } from './samples.ts';
import type { SeriesIds } from './series-ids.ts';

const log = createLogger('store');

export interface SampleWriter {
  push(sample: MetricsEvent): void;
  /** Resolves once everything queued so far is written (or the writer is closed). */
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly pending: number;
  readonly written: number;
}

export interface WriterOptions {
  db: Db;
  ids: SeriesIds;
  /** Oldest ticks are dropped beyond this many queued (default: 1 h at 1 Hz). */
  maxPending?: number;
  maxBackoffMs?: number;
}

export function createSampleWriter(opts: WriterOptions): SampleWriter {
  const maxPending = opts.maxPending ?? 3600;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  let queue: MetricsEvent[] = [];
  let writing: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let dropped = 0;
  let written = 0;
  let closed = false;
  const hostIds = new Map<string, number>();

  async function writeQueued(): Promise<void> {
    const batch = queue;
    queue = [];
    try {
      for (const host of new Set(batch.map((s) => s.host))) {
        if (!hostIds.has(host)) hostIds.set(host, await opts.ids.hostId(host));
      }
      written += await insertSamples(opts.db, toRows(batch, hostIds, opts.ids));
      if (failures > 0) log.info(`database writes recovered; ${batch.length} queued ticks written`);
      failures = 0;
    } catch (err) {
      queue = batch.concat(queue);
      if (failures === 0) log.warn('writing samples failed; keeping them queued and retrying', err);
      failures++;
    }
  }

  function start() {
    if (writing || closed || queue.length === 0 || retryTimer) return;
    writing = writeQueued().finally(() => {
      writing = undefined;
      if (failures > 0) {
        const delay = Math.min(maxBackoffMs, 250 * 2 ** Math.min(failures, 10));
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          start();
        }, delay);
      } else {
        start(); // ticks that arrived during the write
      }
    });
  }

  return {
    push(sample) {
      if (closed) return;
      queue.push(sample);
      if (queue.length > maxPending) {
        queue.splice(0, queue.length - maxPending);
        if (dropped++ % 600 === 0) log.error(`sample queue full (${maxPending} ticks): dropping the oldest`);
      }
      start();
    },
    async flush() {
      while ((writing || queue.length > 0) && !closed && failures === 0) {
        start();
        await writing;
      }
    },
    async close() {
      await this.flush();
      closed = true;
      clearTimeout(retryTimer);
      await writing;
    },
    get pending() {
      return queue.length;
    },
    get written() {
      return written;
    },
  };
}
