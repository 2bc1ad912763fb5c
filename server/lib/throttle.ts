/**
 * Runs `fn` at most once per `everyMs`; calls in between share the last run
 * (or its result, while it lasts). For "reload from the database when
 * something is not found here": another server node may have just created
 * it, and a stream of made-up names costs one reload per interval at most.
 */
export function throttled(fn: () => Promise<void>, everyMs: number): () => Promise<void> {
  let last = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | undefined;
  return () => {
    if (running) return running;
    if (performance.now() - last < everyMs) return Promise.resolve();
    last = performance.now();
    running = fn().finally(() => {
      running = undefined;
    });
    return running;
  };
}
