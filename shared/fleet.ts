/**
 * The fleet: agents on other hosts and the applications glasswatch scrapes.
 * Shapes of the HTTP API (see README.md, "Fleet" and "Application metrics").
 * No validation library here; the input schemas are in fleet-schemas.ts.
 */
import type { TsMs } from './events.ts';

/** Host names as agents, targets and pushes use them: `web-1`, `db.example.com`, `erp_app`. */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface Agent {
  id: number;
  /** The host it may write, and the name its samples carry. */
  name: string;
  createdAt: TsMs;
  createdBy: string;
  lastSeen: TsMs | null;
  online: boolean;
  version: string | null;
  platform: string | null;
  /** The agent's clock minus the server's (positive: the agent is ahead). */
  clockSkewMs: number | null;
  /** Samples of its backlog it is replaying (0 when live only). */
  backlog: number;
  revokedAt: TsMs | null;
}

export interface AgentsResponse {
  agents: Agent[];
}

/** Answered once, at creation: the token is never shown again. */
export interface AgentCreated {
  id: number;
  name: string;
  token: string;
}

/** A Prometheus endpoint glasswatch scrapes. */
export interface Target {
  id: number;
  name: string;
  url: string;
  /** The host its series belong to (default: the target's name). */
  host: string;
  intervalSeconds: number;
  lastScrapeAt: TsMs | null;
  lastDurationMs: number | null;
  /** Why the last scrape failed (timeout, refused, HTTP 500, unparsable line N), null when it worked. */
  lastError: string | null;
  /** Series the last good scrape produced. */
  series: number;
  seriesLimit: number;
  enabled: boolean;
}

export interface TargetsResponse {
  targets: Target[];
}

export const TARGET_DEFAULT_INTERVAL_S = 5;
export const TARGET_DEFAULT_SERIES_LIMIT = 500;
