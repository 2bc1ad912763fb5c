/**
 * A self-scheduling loop: runs `tick`, waits until the next slot, runs it
 * again. Ticks never overlap, a rejected tick is logged and the loop goes on,
 * and the loop ends when `signal` aborts — its promise resolves once a tick
 * in progress has finished, so whoever awaits it may close what the tick
 * uses. Slots are aligned to the interval, so a slow tick delays the next one
 * instead of shifting every later one.
 */
import type { Logger } from './log.ts';

export interface LoopOptions {
  intervalMs: number;
  signal: AbortSignal;
  log: Logger;
  /** Run the first tick at once (default) or after one interval. */
  immediate?: boolean;
}

export function runLoop(tick: (signal: AbortSignal) => Promise<void> | void, opts: LoopOptions): Promise<void> {
  const { intervalMs, signal, log } = opts;
  return new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> | undefined;
    let next = Date.now() + (opts.immediate === false ? intervalMs : 0);
    const stop = () => {
      clearTimeout(timer);
      void (running ?? Promise.resolve()).then(() => resolve());
    };
    signal.addEventListener('abort', stop, { once: true });
    const run = async () => {
      if (signal.aborted) return;
      running = (async () => {
        try {
          await tick(signal);
        } catch (err) {
          if (!signal.aborted) log.error('tick failed', err);
        }
      })();
      await running;
      running = undefined;
      if (signal.aborted) return;
      const now = Date.now();
      next += intervalMs;
      // Fell behind by more than a slot: skip the missed slots, don't burst.
      if (next < now) next = now + intervalMs - ((now - next) % intervalMs);
      timer = setTimeout(run, next - now);
    };
    if (signal.aborted) return resolve();
    timer = setTimeout(run, Math.max(0, next - Date.now()));
  });
}
