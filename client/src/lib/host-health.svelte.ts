import { systemStatus, worstStatus, type Status } from '$shared/status.ts';
import { appStatuses } from './app-panels.svelte.ts';
import { clock } from './clock.svelte.ts';
import { live } from './live.svelte.ts';

/** A host's status on a tile: its values' worst, or DOWN. */
export type HostStatus = Status | 'down';

export interface HostHealth {
  status: HostStatus;
  /** The numbers are current: connected, and the host is up and sending. */
  live: boolean;
  /** Server time of its newest data; null when it never sent any. */
  lastTs: number | null;
}

/**
 * How one host stands now, re-evaluated every clock second: DOWN when the
 * server says so (`host.up` 0, offline) or nothing came for 3 of its own
 * ticks. While this page's connection is gone, nothing is live and only
 * what the server last said counts (a silent socket says nothing of hosts).
 */
export function hostHealth(name: string): HostHealth {
  const host = live.host(name);
  const connected = live.ready && (live.state === 'live' || live.state === 'stale');
  const down = connected ? live.isDown(name, clock.now) : live.reportedDown(name);
  const lastTs = host?.lastTs ?? null;
  // A host with data but no thresholded metric (a push target) is up and within bounds: Normal. Its
  // Application panel's series count too (a rule on its error rate).
  const status = down ? 'down' : lastTs === null ? 'unknown' : worstStatus([systemStatus(host!.latest), ...appStatuses(name, host!.latest), 'normal']);
  return { status, live: connected && !down && lastTs !== null, lastTs };
}
