/**
 * Runs `fn` while a 1 ms interval timer watches this thread's event loop:
 * its duration, and the longest the loop went without running a timer
 * (beyond the 1 ms interval). For work done on this thread (in-process
 * PGlite) that is about the whole duration; for work done elsewhere (a
 * worker, PostgreSQL) it stays small.
 */
export async function timeBlocking<T>(fn: () => Promise<T>): Promise<{ ms: number; blockedMs: number; value: T }> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const start = performance.now();
  try {
    const value = await fn();
    const ms = performance.now() - start;
    // The gap still open when fn finished counts too.
    longest = Math.max(longest, performance.now() - last);
    return { ms, blockedMs: Math.max(0, longest - 1), value };
  } finally {
    clearInterval(timer);
  }
}
