/**
 * The sample writer: queues published samples and writes everything queued
 * in one statement per flush. `push` returns a promise that resolves when
 * those samples are stored — an agent's batch is acknowledged only then.
 * While the database is slow or down the queue grows (to a bound) and is
 * written in one go when it answers again, with exponential backoff between
 * attempts; nothing is lost short of the bound, and what the bound drops is
 * rejected (an agent then keeps it and sends it again).
 */
import type { MetricsEvent } from '../../shared/events.ts';
import { createLogger } from '../lib/log.ts';
import type { Db } from './db.ts';
import { withDbPriority } from './priority.ts';
import { insertSamples, toRows, type RowIds } from './samples.ts';

const log = createLogger('store');

export interface SampleWriter {
  /** Queues samples; resolves once they are stored, rejects if they were dropped or the writer closed first. */
  push(samples: readonly MetricsEvent[]): Promise<void>;
  /** Resolves once everything queued so far is written (or the writer is closed, or the database is failing). */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Ticks waiting to be written. */
  readonly pending: number;
  /** Sample values written since start. */
  readonly written: number;
}

export interface WriterOptions {
  db: Db;
  ids: RowIds;
  /** Oldest ticks are dropped beyond this many queued (default: 1 h of 50 hosts at 1 Hz). */
  maxPending?: number;
  maxBackoffMs?: number;
}

interface Entry {
  samples: readonly MetricsEvent[];
  resolve(): void;
  reject(err: Error): void;
}

export class SamplesDropped extends Error {
  override name = 'SamplesDropped';
}

export function createSampleWriter(opts: WriterOptions): SampleWriter {
  const maxPending = opts.maxPending ?? 180_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  let queue: Entry[] = [];
  let queued = 0;
  let writing: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;
  let dropped = 0;
  let written = 0;
  let closed = false;

  async function writeQueued(): Promise<void> {
    const batch = queue;
    queue = [];
    const count = queued;
    queued = 0;
    try {
      const { rows, unknown } = toRows(batch.flatMap((e) => e.samples), opts.ids);
      if (unknown > 0) log.warn(`${unknown} sample values name an unregistered host or metric; skipped`);
      written += await insertSamples(opts.db, rows);
      if (failures > 0) log.info(`database writes recovered; ${count} queued ticks written`);
      failures = 0;
      for (const e of batch) e.resolve();
    } catch (err) {
      queue = batch.concat(queue);
      queued += count;
      if (failures === 0) log.warn('writing samples failed; keeping them queued and retrying', err);
      failures++;
    }
  }

  function start() {
    if (writing || closed || queue.length === 0 || retryTimer) return;
    // Whoever pushed (a push request, an agent's socket), the write itself is the server's own, urgent work.
    writing = withDbPriority('system', writeQueued).finally(() => {
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

  function dropOldest() {
    while (queued > maxPending && queue.length > 1) {
      const e = queue.shift()!;
      queued -= e.samples.length;
      e.reject(new SamplesDropped(`the sample queue is full (${maxPending} ticks): dropped`));
      if (dropped++ % 600 === 0) log.error(`sample queue full (${maxPending} ticks): dropping the oldest`);
    }
  }

  return {
    push(samples) {
      if (closed) return Promise.reject(new SamplesDropped('the sample writer is closed'));
      if (samples.length === 0) return Promise.resolve();
      const done = new Promise<void>((resolve, reject) => {
        queue.push({ samples, resolve, reject });
      });
      queued += samples.length;
      dropOldest();
      start();
      return done;
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
      for (const e of queue.splice(0)) e.reject(new SamplesDropped('the sample writer closed before writing these'));
    },
    get pending() {
      return queued;
    },
    get written() {
      return written;
    },
  };
}
