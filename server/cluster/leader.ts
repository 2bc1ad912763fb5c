/**
 * Exactly one leader among the nodes sharing a PostgreSQL database: the one
 * holding a session-level advisory lock, taken on a connection of its own
 * (never a pooled one: the lock lives as long as that session). Followers
 * try for it every couple of seconds; a leader that dies or loses its
 * connection releases it, and another node takes over within seconds.
 *
 * Fencing: whoever takes the lock bumps the epoch in `cluster_leader`.
 * Leader-only writes run `fence(tx)` first — a `FOR SHARE` read of the epoch
 * in their own transaction — so a node that lost the lock but does not know
 * it yet has its late writes refused, and the new leader's bump waits for
 * an old write in flight to commit or abort. The leader also checks its own
 * connection every `checkMs` and steps down the moment the check fails,
 * before anyone else can have the lock for long.
 */
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { createLogger } from '../lib/log.ts';
import { queryRows, type Db } from '../store/db.ts';

const log = createLogger('cluster');
/** pg_advisory_lock key of the leader lock ("glasswatch" in ASCII, folded to int8). */
const LOCK_KEY = 0x676c61737377;

export class NotLeader extends Error {
  override name = 'NotLeader';
  constructor(epoch: number) {
    super(`this node's leadership (epoch ${epoch}) has ended`);
  }
}

export interface Leadership {
  /** This node leads now (and has not noticed otherwise). */
  isLeader(): boolean;
  /** The fencing token of this node's leadership (0 when not leading). */
  readonly epoch: number;
  /** The node that leads, and since when (as this node last saw it). */
  readonly leader: { node: string; since: number } | null;
  /** Throws NotLeader unless this node's epoch is still the current one; holds the epoch until the transaction ends. */
  fence(tx: Pick<Db, 'execute'>): Promise<void>;
  /** The same check as a SQL condition, for a single statement (the outbox's claim). */
  fenceCondition(): SQL;
  onChange(listener: (leading: boolean) => void): () => void;
  /** Stops trying and releases the lock (its connection ends). */
  close(): Promise<void>;
}

/** One node, always the leader (the embedded database, or tests without a cluster). */
export function soleLeader(node: string): Leadership {
  const since = Date.now();
  return {
    isLeader: () => true,
    epoch: 1,
    leader: { node, since },
    fence: async () => {},
    fenceCondition: () => sql`true`,
    onChange: () => () => {},
    close: async () => {},
  };
}

export interface ElectionOptions {
  url: string;
  db: Db;
  node: string;
  /** How often a follower tries for the lock and a leader checks its connection. */
  checkMs?: number;
}

export async function startElection(opts: ElectionOptions): Promise<Leadership> {
  const checkMs = opts.checkMs ?? 2000;
  const listeners = new Set<(leading: boolean) => void>();
  let client: pg.Client | undefined;
  let leading = false;
  let epoch = 0;
  let leader: { node: string; since: number } | null = null;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const set = (now: boolean) => {
    if (leading === now) return;
    leading = now;
    if (!now) epoch = 0;
    log.info(now ? `this node (${opts.node}) leads the cluster (epoch ${epoch})` : `this node (${opts.node}) no longer leads`);
    for (const l of listeners) l(now);
  };

  const dropClient = () => {
    const c = client;
    client = undefined;
    // Ending the session releases the lock at once (for a broken connection, when PostgreSQL notices).
    c?.end().catch(() => {});
  };

  async function connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: opts.url, application_name: `glasswatch-leader ${opts.node}`, connectionTimeoutMillis: checkMs * 2 });
    c.on('error', (err) => {
      if (client !== c) return;
      log.warn('the leader-election connection failed', err);
      set(false);
      dropClient();
    });
    await c.connect();
    // A statement that hangs must not keep a dead leader believing in itself.
    await c.query(`SET statement_timeout = ${checkMs * 2}`);
    return c;
  }

  async function step() {
    try {
      client ??= await connect();
      if (leading) {
        // Still here? A failed round trip means the lock may be gone: stop leader work now.
        await client.query('SELECT 1');
      } else {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY]);
        if (rows[0]?.ok) {
          const [row] = (
            await client.query<{ epoch: number; since: Date }>(
              `INSERT INTO cluster_leader (id, epoch, node, since) VALUES (1, 1, $1, now())
               ON CONFLICT (id) DO UPDATE SET epoch = cluster_leader.epoch + 1, node = excluded.node, since = excluded.since
               RETURNING epoch, since`,
              [opts.node],
            )
          ).rows;
          epoch = row!.epoch;
          leader = { node: opts.node, since: row!.since.getTime() };
          set(true);
        }
      }
      if (!leading) {
        const [row] = (await client.query<{ node: string; since: Date }>('SELECT node, since FROM cluster_leader WHERE id = 1')).rows;
        leader = row ? { node: row.node, since: row.since.getTime() } : null;
      }
    } catch (err) {
      if (leading) log.warn('lost the connection that holds the leader lock: stepping down', err);
      else log.debug(`cannot try for the leader lock: ${(err as Error).message}`);
      set(false);
      dropClient();
    }
  }

  const loop = async () => {
    await step();
    if (!closed) timer = setTimeout(loop, checkMs);
  };
  await loop();

  return {
    isLeader: () => leading,
    get epoch() {
      return epoch;
    },
    get leader() {
      return leader;
    },
    async fence(tx) {
      const mine = epoch;
      if (!leading) throw new NotLeader(mine);
      const [row] = await queryRows<{ epoch: number }>(tx as Db, sql`SELECT epoch FROM cluster_leader WHERE id = 1 FOR SHARE`);
      if (row?.epoch !== mine) {
        set(false);
        throw new NotLeader(mine);
      }
    },
    fenceCondition: () => sql`EXISTS (SELECT 1 FROM cluster_leader WHERE id = 1 AND epoch = ${leading ? epoch : -1})`,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      set(false);
      const c = client;
      client = undefined;
      // Ending the session releases the lock; a connection that is already broken may never answer.
      await Promise.race([c?.end().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    },
  };
}
