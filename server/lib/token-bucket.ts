/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. `take` spends one
 * (or `cost`) and says whether there was one. Used to give every socket and
 * every address its share of the server, and no more.
 */
export interface TokenBucket {
  take(cost?: number): boolean;
  /** Milliseconds until `cost` tokens are there again. */
  waitMs(cost?: number): number;
}

export function createTokenBucket(opts: { perSecond: number; burst: number; now?: () => number }): TokenBucket {
  const now = opts.now ?? performance.now.bind(performance);
  let tokens = opts.burst;
  let at = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(opts.burst, tokens + ((t - at) / 1000) * opts.perSecond);
    at = t;
  };
  return {
    take(cost = 1) {
      refill();
      if (tokens < cost) return false;
      tokens -= cost;
      return true;
    },
    waitMs(cost = 1) {
      refill();
      return tokens >= cost ? 0 : Math.ceil(((cost - tokens) / opts.perSecond) * 1000);
    },
  };
}
