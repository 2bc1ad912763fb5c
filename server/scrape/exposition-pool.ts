/**
 * The main thread's side of exposition-worker.ts: `convert` sends a body and
 * resolves with the series values (or rejects with the parser's error, line
 * number included). One worker, started on first use and again after a
 * crash; requests are answered in order.
 */
import type { Worker } from 'node:worker_threads';
import { createLogger } from '../lib/log.ts';
import { startModuleWorker } from '../lib/worker.ts';
import type { SeriesInfo } from './convert.ts';

const log = createLogger('scrape');

type Request =
  | { op: 'convert'; key: string; text: string; tsMs: number; maxSeries: number; maxLines: number; lenient: boolean }
  | { op: 'forget'; key: string };
export type ConvertRequest = Request & { id: number };
export type ConvertReply =
  | { id: number; ok: true; values: Record<string, number>; series: SeriesInfo[]; skipped: number }
  | { id: number; ok: false; message: string; line: number };

/** A body the parser or the converter refused. */
export class ConvertError extends Error {
  override name = 'ConvertError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

export interface ConvertOptions {
  maxSeries: number;
  /** Lines a body may have (a scrape of a big exporter; a push is smaller). */
  maxLines?: number;
  /** Skip NaN/±Inf gauges (scrapes) instead of refusing the body (pushes). */
  lenient: boolean;
}

export interface ExpositionPool {
  /**
   * Parses and converts one body of the source `key` (a target, a push host):
   * counters become rates against that source's previous body.
   */
  convert(key: string, text: string, tsMs: number, opts: ConvertOptions): Promise<{ values: Record<string, number>; series: SeriesInfo[]; skipped: number }>;
  /** Forgets a source's previous body (a target deleted or changed). */
  forget(key: string): void;
  close(): Promise<void>;
}

const WORKER_URL = new URL(`./exposition-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export function createExpositionPool(): ExpositionPool {
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve(r: ConvertReply): void; reject(err: Error): void }>();

  const ensure = () => {
    if (worker) return worker;
    const w = startModuleWorker(WORKER_URL);
    w.unref();
    w.on('message', (reply: ConvertReply) => {
      const p = pending.get(reply.id);
      pending.delete(reply.id);
      p?.resolve(reply);
    });
    const fail = (err: Error) => {
      if (worker !== w) return;
      worker = undefined;
      log.error('the exposition parser stopped; it restarts with the next body', err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the exposition parser exited with code ${code}`)));
    worker = w;
    return w;
  };

  const request = (req: Request) =>
    new Promise<ConvertReply>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ensure().postMessage({ ...req, id });
    });

  return {
    async convert(key, text, tsMs, opts) {
      const reply = await request({ op: 'convert', key, text, tsMs, maxSeries: opts.maxSeries, maxLines: opts.maxLines ?? 50_000, lenient: opts.lenient });
      if (!reply.ok) throw new ConvertError(reply.message, reply.line);
      return { values: reply.values, series: reply.series, skipped: reply.skipped };
    },
    forget(key) {
      if (worker) void request({ op: 'forget', key }).catch(() => {});
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
