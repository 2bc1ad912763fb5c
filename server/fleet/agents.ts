/**
 * Agents: a revocable token per host. An admin creates one (the token is
 * shown once), the agent presents it on the `/agent` socket or to
 * POST /api/ingest, and may then write only its own host's samples.
 * Revoking cuts its socket at once and retires its host. Every change is
 * audited in the transaction that makes it.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Agent } from '../../shared/fleet.ts';
import { audit } from '../auth/audit.ts';
import { actorName, auditOf, type Actor } from '../auth/service.ts';
import { newToken, tokenHash } from '../auth/tokens.ts';
import { notFound, ServiceError } from '../lib/errors.ts';
import type { Db } from '../store/db.ts';
import { agents, hosts, type AgentRow } from '../store/schema.ts';
import { throttled } from '../lib/throttle.ts';
import type { HostRegistry } from './hosts.ts';

/** Agent tokens start with this, so a leaked one is recognisable (and told apart from display tokens). */
export const AGENT_TOKEN_PREFIX = 'gwa_';
/** last_seen / clock skew are written at most this often per agent. */
const TOUCH_EVERY_MS = 60_000;

/** A live agent as its token resolves. */
export interface AgentIdentity {
  id: number;
  name: string;
}

/** What the agent's live connection tells us (not stored: the connection holds it). */
export interface AgentLiveState {
  backlog: number;
}

export type AgentService = Awaited<ReturnType<typeof createAgentService>>;

export async function createAgentService(deps: { db: Db; hosts: HostRegistry; now?: () => number }) {
  const { db } = deps;
  const now = deps.now ?? Date.now;
  /** Live (not revoked) agents by token hash: a connect or a push costs no query. */
  let byHash = new Map<string, AgentIdentity>();
  const live = new Map<number, AgentLiveState>();
  const touched = new Map<number, number>();
  const revokeListeners = new Set<(agentId: number, remote: boolean) => void>();

  async function reload() {
    const rows = await db.select({ id: agents.id, name: agents.name, tokenHash: agents.tokenHash }).from(agents).where(isNull(agents.revokedAt));
    byHash = new Map(rows.map((r) => [r.tokenHash, { id: r.id, name: r.name }]));
  }
  await reload();

  const toAgent = (row: AgentRow): Agent => {
    const host = deps.hosts.list().find((h) => h.name === row.name);
    const online = row.revokedAt === null && live.has(row.id) && (host?.online ?? false);
    return {
      id: row.id, name: row.name, createdAt: row.createdAt.getTime(), createdBy: row.createdBy,
      lastSeen: host?.lastSeen ?? row.lastSeen?.getTime() ?? null, online, version: row.version, platform: row.platform,
      clockSkewMs: host?.clockSkewMs ?? row.clockSkewMs, backlog: live.get(row.id)?.backlog ?? 0, revokedAt: row.revokedAt?.getTime() ?? null,
    };
  };

  // A token another server node just issued is not in memory yet: look once more (at most once a second).
  const reloadSoon = throttled(reload, 1000);

  return {
    reload,
    /** The agent a token belongs to, or null when unknown or revoked (from memory, re-read at most once a second on a miss). */
    async resolve(token: string | undefined): Promise<AgentIdentity | null> {
      if (!token || !token.startsWith(AGENT_TOKEN_PREFIX) || token.length > 200) return null;
      const hash = tokenHash(token);
      if (!byHash.has(hash)) await reloadSoon().catch(() => {});
      return byHash.get(hash) ?? null;
    },

    async list(): Promise<Agent[]> {
      return (await db.select().from(agents).orderBy(agents.name, agents.id)).map(toAgent);
    },

    async create(name: string, by: Actor): Promise<{ id: number; name: string; token: string }> {
      const token = AGENT_TOKEN_PREFIX + newToken();
      const created = await db.transaction(async (tx) => {
        const [clash] = await tx.select({ kind: hosts.kind }).from(hosts).where(and(eq(hosts.name, name), isNull(hosts.retiredAt)));
        if (clash && clash.kind !== 'agent' && clash.kind !== 'push') {
          throw new ServiceError(409, 'conflict', `"${name}" is already a ${clash.kind} host: pick another name`);
        }
        const [row] = await tx
          .insert(agents)
          .values({ name, tokenHash: tokenHash(token), createdBy: actorName(by.principal) })
          .onConflictDoNothing()
          .returning();
        if (!row) throw new ServiceError(409, 'conflict', `an agent named "${name}" exists: revoke it first to issue a new token`);
        await audit(tx, auditOf(by, 'agent.create', name));
        return row;
      });
      byHash.set(tokenHash(token), { id: created.id, name: created.name });
      return { id: created.id, name: created.name, token };
    },

    async revoke(id: number, by: Actor): Promise<void> {
      const row = await db.transaction(async (tx) => {
        const [revoked] = await tx
          .update(agents)
          .set({ revokedAt: new Date(now()) })
          .where(and(eq(agents.id, id), isNull(agents.revokedAt)))
          .returning();
        if (!revoked) throw notFound(`agent ${id}`);
        await audit(tx, auditOf(by, 'agent.revoke', revoked.name));
        return revoked;
      });
      for (const [hash, a] of byHash) if (a.id === id) byHash.delete(hash);
      live.delete(id);
      await deps.hosts.retire(row.name);
      for (const l of revokeListeners) l(id, false);
    },

    /** Another node revoked an agent: forget its token here and cut its sockets. */
    async applyRemoteRevoke(id: number) {
      await reload();
      live.delete(id);
      await deps.hosts.reload();
      for (const l of revokeListeners) l(id, true);
    },

    /** Called when a revocation must cut live connections (this node's sockets). */
    onRevoke(listener: (agentId: number, remote: boolean) => void) {
      revokeListeners.add(listener);
      return () => revokeListeners.delete(listener);
    },

    /** A connection came or went, or reported its backlog. */
    setLive(id: number, state: AgentLiveState | null) {
      if (state) live.set(id, state);
      else live.delete(id);
    },

    /** Stores what the agent told us, at most once a minute unless `force`. */
    async touch(id: number, info: { version?: string; platform?: string; clockSkewMs?: number | null }, force = false) {
      const at = now();
      if (!force && at - (touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
      touched.set(id, at);
      await db
        .update(agents)
        .set({
          lastSeen: new Date(at),
          ...(info.version !== undefined ? { version: info.version.slice(0, 40) } : {}),
          ...(info.platform !== undefined ? { platform: info.platform.slice(0, 120) } : {}),
          ...(info.clockSkewMs !== undefined ? { clockSkewMs: info.clockSkewMs } : {}),
        })
        .where(eq(agents.id, id));
    },
  };
}
