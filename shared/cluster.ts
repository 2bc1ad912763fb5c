/** The server nodes of one installation, as `GET /api/cluster` answers (see README.md, "Several nodes"). */
import type { TsMs } from './events.ts';

export interface ClusterNode {
  name: string;
  startedAt: TsMs;
  lastSeen: TsMs;
  /** Holds the leader lock: evaluates alerts, sends notifications, runs maintenance, scrapes, sends reports. */
  leader: boolean;
  viewers: number;
  agents: number;
}

export interface ClusterResponse {
  /** The node that answered. */
  self: string;
  /** Since when the current leader leads (epoch ms), as the answering node knows. */
  leaderSince: TsMs | null;
  nodes: ClusterNode[];
}
