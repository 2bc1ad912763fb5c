/**
 * `POST /api/ingest`: an application (a batch job, an app behind NAT) pushes
 * its own figures with an agent token — JSON `{ts?, values}` (or a list of
 * those) or Prometheus text — as samples of the token's host. All or
 * nothing: a body with one bad value stores nothing and says why (400), a
 * built-in metric name is refused (a push may not pretend to be this
 * server's collector), and a host holds at most PUSH_SERIES_LIMIT pushed
 * series.
 */
import { PUSH_SERIES_LIMIT } from '../../shared/apps.ts';
import type { MetricsEvent } from '../../shared/events.ts';
import type { AgentService } from '../fleet/agents.ts';
import type { HostRegistry } from '../fleet/hosts.ts';
import { ServiceError } from '../lib/errors.ts';
import { createTokenBucket, type TokenBucket } from '../lib/token-bucket.ts';
import { findBuiltinNames, parsePushJson, PushError, type SeriesInfo } from '../scrape/convert.ts';
import { ConvertError, type ExpositionPool } from '../scrape/exposition-pool.ts';
import type { NewMetric } from '../store/metric-catalog.ts';
import type { Ingest } from './ingest.ts';

/** A pushed sample older than this is a backfill: stored and drawn, not evaluated. */
const FRESH_WITHIN_MS = 30_000;
/** A pushing host's registered tick is rewritten when the learned one differs by more than this share. */
const REGISTER_TICK_CHANGE = 0.02;
/** A pushed Prometheus body holds at most this many lines. */
const PUSH_MAX_LINES = 20_000;

/**
 * A pushing host's tick, learned from the gaps between its pushes (a batch
 * job pushing every 5 minutes is down after 3 missed ones, not 3 seconds).
 * The first push assumes a minute.
 */
export function nextPushInterval(previousMs: number | undefined, gapMs: number | undefined): number {
  if (previousMs === undefined || gapMs === undefined) return 60_000;
  const smoothed = 0.7 * previousMs + 0.3 * gapMs;
  return Math.round(Math.min(3_600_000, Math.max(1000, smoothed)));
}

export interface PushDeps {
  agents: AgentService;
  hosts: HostRegistry;
  ingest: Ingest;
  pool: ExpositionPool;
  now?: () => number;
}

export type PushBody = { kind: 'json'; body: unknown } | { kind: 'text'; text: string };

export function createPushIngest(deps: PushDeps) {
  const now = deps.now ?? Date.now;
  const buckets = new Map<number, TokenBucket>();
  /** Series each host was pushed, to hold it to the limit. */
  const seriesOf = new Map<string, Set<string>>();
  const cadence = new Map<string, { lastAt: number; intervalMs: number }>();

  return {
    /** Stores a push; resolves with the number of samples once they are stored. Throws a ServiceError on bad input. */
    async push(token: string | undefined, input: PushBody): Promise<{ samples: number }> {
      const agent = await deps.agents.resolve(token);
      if (!agent) throw new ServiceError(401, 'unauthenticated', 'send an agent token as "Authorization: Bearer gwa_…" (Admin → Agents); this one is unknown or was revoked');
      let bucket = buckets.get(agent.id);
      if (!bucket) buckets.set(agent.id, (bucket = createTokenBucket({ perSecond: 10, burst: 30 })));
      if (!bucket.take()) throw new ServiceError(429, 'too_many_requests', 'too many pushes for this token: at most 10 a second');

      const host = agent.name;
      const at = now();
      let items: Array<{ ts: number; values: Record<string, number> }>;
      let described: SeriesInfo[] | undefined;
      try {
        if (input.kind === 'json') items = parsePushJson(input.body, at);
        else {
          const c = await deps.pool.convert(`push:${host}`, input.text, at, { maxSeries: PUSH_SERIES_LIMIT, lenient: false, maxLines: PUSH_MAX_LINES });
          items = [{ ts: at, values: c.values }];
          described = c.series;
        }
      } catch (err) {
        if (err instanceof PushError || err instanceof ConvertError) throw new ServiceError(400, 'bad_request', err.message);
        throw err;
      }

      const names = new Set(items.flatMap((i) => Object.keys(i.values)));
      for (const s of described ?? []) names.add(s.name);
      const builtin = findBuiltinNames(names);
      if (builtin.length > 0) throw new ServiceError(400, 'bad_request', `"${builtin[0]}" is a built-in metric of glasswatch: a push may not write it (pick your own name, e.g. app.${builtin[0]})`);
      const known = seriesOf.get(host) ?? new Set<string>();
      const added = [...names].filter((n) => !known.has(n));
      if (known.size + added.length > PUSH_SERIES_LIMIT) {
        throw new ServiceError(422, 'series_limit', `host "${host}" would have ${known.size + added.length} pushed series, more than the limit of ${PUSH_SERIES_LIMIT}`);
      }

      const newMetrics: NewMetric[] = described ?? [...names].map((name) => ({ name, kind: 'gauge' as const }));
      const existing = deps.hosts.get(host);
      // A host that also runs the agent stays an agent host, on the agent's tick.
      const kind = existing?.kind === 'agent' ? 'agent' : 'push';
      const seen = cadence.get(host);
      const learned = kind === 'agent' ? existing!.intervalMs : nextPushInterval(seen?.intervalMs, seen && at - seen.lastAt);
      cadence.set(host, { lastAt: at, intervalMs: learned });
      // The learned tick moves by a few ms with every push's jitter; each change is a write of the
      // host's row (and, with a write in flight, lets a later push overtake an earlier one). The
      // registry takes it when it moved by more than REGISTER_TICK_CHANGE.
      const registered = existing?.kind === kind ? existing.intervalMs : undefined;
      const intervalMs = registered !== undefined && Math.abs(learned - registered) <= registered * REGISTER_TICK_CHANGE ? undefined : learned;
      const events = (fresh: boolean) =>
        items
          .filter((i) => (at - i.ts <= FRESH_WITHIN_MS) === fresh)
          .sort((a, b) => a.ts - b.ts)
          .map((i): MetricsEvent => ({ host, ts: i.ts, values: { ...i.values } }));
      await Promise.all([
        deps.ingest.accept(host, events(false), { kind, fresh: false, newMetrics, intervalMs }),
        deps.ingest.accept(host, events(true), { kind, fresh: true, newMetrics, intervalMs }),
      ]);
      for (const n of added) known.add(n);
      seriesOf.set(host, known);
      return { samples: items.length };
    },
  };
}
