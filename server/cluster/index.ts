/**
 * Joining a cluster: nodes started with the same PostgreSQL DATABASE_URL
 * form one installation. This wires the parts: the Socket.IO adapter that
 * carries messages between nodes (PostgreSQL LISTEN/NOTIFY, or Redis Streams
 * with REDIS_URL), the leader election, the node registry, and what each
 * cross-node message does here. On the embedded database there is one node,
 * which always leads.
 */
import type { createAdapter as CreatePostgresAdapter } from '@socket.io/postgres-adapter';
import type { createAdapter as CreateRedisStreamsAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis as RedisClient } from 'ioredis';
import pg from 'pg';
import type { Server } from 'socket.io';
import { SNAPSHOT_MAX_WINDOW_MS } from '../../shared/events.ts';
import { API } from '../../shared/routes.ts';
import type { Revocation } from '../auth/service.ts';
import type { SampleBus } from '../lib/bus.ts';
import { lazyPackage } from '../lib/lazy.ts';
import { createLogger } from '../lib/log.ts';
import type { Db } from '../store/db.ts';
import { createCrossNode, type Changed, type CrossNode, type CrossNodeHandlers } from './cross-node.ts';
import { soleLeader, startElection, type Leadership } from './leader.ts';
import { createNodeRegistry, type NodeRegistry } from './nodes.ts';

const log = createLogger('cluster');

/** The adapters (and ioredis) are loaded only by a node that joins a cluster: a single node never needs them. */
const postgresAdapter = lazyPackage<{ createAdapter: typeof CreatePostgresAdapter }>('@socket.io/postgres-adapter');
const redisStreamsAdapter = lazyPackage<{ createAdapter: typeof CreateRedisStreamsAdapter }>('@socket.io/redis-streams-adapter');
const ioredis = lazyPackage<{ Redis: typeof RedisClient }>('ioredis');

/**
 * The adapter keeps a checked-out client LISTENing and watches only its
 * `end`: an `error` on it (the database restarting, a connection killed)
 * would have no listener and end the process. Every client it checks out
 * gets one; the adapter reconnects on `end` by itself.
 */
class ListeningPool extends pg.Pool {
  override connect(...args: unknown[]): never {
    if (args.length > 0) return (super.connect as (...a: unknown[]) => never).apply(this, args);
    return super.connect().then((client) => {
      if (client.listenerCount('error') === 0) client.on('error', (err) => log.warn('the adapter\'s LISTEN connection failed; it reconnects', err));
      return client;
    }) as never;
  }
}

/** The leader election (PostgreSQL), or the one node that always leads (the embedded database). */
export function electLeader(opts: { node: string; databaseUrl?: string | undefined; db: Db }): Promise<Leadership> {
  return opts.databaseUrl ? startElection({ url: opts.databaseUrl, db: opts.db, node: opts.node }) : Promise.resolve(soleLeader(opts.node));
}

/**
 * Attaches the adapter that carries messages between nodes — Redis Streams
 * with REDIS_URL, else PostgreSQL LISTEN/NOTIFY — and wires what each message
 * does here. Returns the sender and a closer.
 */
export function connectNodes(io: Server, opts: { node: string; databaseUrl?: string | undefined; redisUrl?: string | undefined }, handlers: CrossNodeHandlers): { cross: CrossNode; close(): Promise<void> } {
  const closers: Array<() => Promise<unknown>> = [];
  if (opts.redisUrl) {
    // ioredis: it restores its subscriptions after a reconnect; the Streams adapter resumes without losing packets.
    const { Redis } = ioredis();
    const redis = new Redis(opts.redisUrl, { maxRetriesPerRequest: null });
    redis.on('error', (err) => log.warn('the Redis connection failed', err));
    // One stream per installation (the database it shares): two installations on one Redis never mix.
    const installation = opts.databaseUrl ? new URL(opts.databaseUrl).pathname.replace(/^\//, '') || 'default' : 'default';
    io.adapter(redisStreamsAdapter().createAdapter(redis, { streamName: `glasswatch:${installation}` }));
    closers.push(() => redis.quit());
  } else if (opts.databaseUrl) {
    // LISTEN needs a session connection of its own (never a transaction-mode pooler).
    const pool = new ListeningPool({ connectionString: opts.databaseUrl, max: 2, application_name: `glasswatch-adapter ${opts.node}` });
    pool.on('error', (err) => log.warn('an adapter connection failed', err));
    io.adapter(postgresAdapter().createAdapter(pool, { channelPrefix: 'glasswatch', errorHandler: (err) => log.warn('the PostgreSQL adapter failed', err) }));
    closers.push(() => pool.end());
  }
  // One node (the embedded database): nobody to tell.
  const alone: CrossNode = { samples() {}, alert() {}, catalog() {}, changed() {}, revoke() {} };
  return {
    cross: closers.length > 0 ? createCrossNode(io, handlers) : alone,
    async close() {
      // The adapter may hold its LISTEN connection (or be reconnecting it) past its own close: do not wait for ever.
      for (const close of closers) await Promise.race([close().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    },
  };
}

export { createNodeRegistry, type NodeRegistry };

/** Forwards this node's samples (the ones a viewer's window still reaches) to the other nodes. */
export function forwardSamples(bus: SampleBus, cross: CrossNode): () => void {
  return bus.subscribe('cluster', ({ samples, fresh, remote }) => {
    if (remote) return;
    const oldest = Date.now() - SNAPSHOT_MAX_WINDOW_MS;
    const recent = samples.filter((s) => s.ts >= oldest);
    if (recent.length > 0) cross.samples({ samples: recent, fresh });
  });
}

/** Which configuration a successful write to an API path changed (for the other nodes to reload). */
export function changedBy(path: string): Changed | undefined {
  const table: Array<[string, Changed]> = [
    [API.rules, 'rules'], [API.silences, 'silences'], [API.derived, 'derived'], [API.targets, 'targets'],
    [API.agents, 'agents'], [API.displays, 'displays'], [API.appPanels, 'panels'],
  ];
  return table.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`))?.[1];
}

export type { Changed, Revocation };
