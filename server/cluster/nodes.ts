/**
 * The nodes of an installation as `GET /api/cluster` lists them: each node
 * writes its row (viewers, agents) every few seconds; a node not seen for
 * three beats is gone.
 */
import { gte, sql } from 'drizzle-orm';
import type { ClusterNode } from '../../shared/cluster.ts';
import { createLogger } from '../lib/log.ts';
import { runLoop } from '../lib/loop.ts';
import type { Db } from '../store/db.ts';
import { clusterNodes } from '../store/schema.ts';

const log = createLogger('cluster');
export const BEAT_MS = 5000;

export interface NodeRegistry {
  list(leader: string | null): Promise<ClusterNode[]>;
  /** Beats every BEAT_MS until `signal` aborts. */
  beat(signal: AbortSignal): Promise<void>;
}

export function createNodeRegistry(deps: { db: Db; name: string; startedAt: number; viewers(): number; agents(): number }): NodeRegistry {
  const { db } = deps;
  const write = () =>
    db
      .insert(clusterNodes)
      .values({ name: deps.name, startedAt: new Date(deps.startedAt), lastSeen: new Date(), viewers: deps.viewers(), agents: deps.agents() })
      .onConflictDoUpdate({
        target: clusterNodes.name,
        set: { startedAt: new Date(deps.startedAt), lastSeen: sql`now()`, viewers: deps.viewers(), agents: deps.agents() },
      });
  return {
    async list(leader) {
      const rows = await db
        .select()
        .from(clusterNodes)
        .where(gte(clusterNodes.lastSeen, new Date(Date.now() - 3 * BEAT_MS)))
        .orderBy(clusterNodes.name);
      return rows.map((r) => ({
        name: r.name,
        startedAt: r.startedAt.getTime(),
        lastSeen: r.lastSeen.getTime(),
        leader: r.name === leader,
        viewers: r.viewers,
        agents: r.agents,
      }));
    },
    beat(signal) {
      return runLoop(() => write().then(() => undefined), { intervalMs: BEAT_MS, signal, log });
    },
  };
}
