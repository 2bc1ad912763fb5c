/**
 * Counts failures per key in a sliding window (in memory, per server node).
 * Used for login attempts per username and per address.
 */
export interface RateLimiter {
  /** Milliseconds until the key may try again, or 0 when it may now. */
  blockedFor(key: string, now?: number): number;
  fail(key: string, now?: number): void;
  reset(key: string): void;
}

export function createRateLimiter(opts: { max: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const failures = new Map<string, number[]>();
  const maxKeys = opts.maxKeys ?? 10_000;
  const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((t) => now - t < opts.windowMs);
  return {
    blockedFor(key, now = Date.now()) {
      const times = recent(key, now);
      if (times.length < opts.max) return 0;
      return opts.windowMs - (now - times[times.length - opts.max]!);
    },
    fail(key, now = Date.now()) {
      const times = recent(key, now);
      times.push(now);
      failures.delete(key); // re-insert: the Map stays in least-recently-failed order
      failures.set(key, times.slice(-opts.max));
      if (failures.size > maxKeys) failures.delete(failures.keys().next().value!);
    },
    reset(key) {
      failures.delete(key);
    },
  };
}
