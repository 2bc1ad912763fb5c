/** The daily schedule's loop: only while active (the cluster leader), and it settles a day once. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startReportScheduler } from '../../server/reports/scheduler.ts';
import type { ScheduleOutcome } from '../../server/reports/service.ts';
import { setLogLevel } from '../../server/lib/log.ts';
import { waitFor } from '../helpers/wait.ts';

setLogLevel('silent');

function fakeService(outcome: (settled: string | undefined) => ScheduleOutcome) {
  const calls: Array<{ nowMs: number; settled: string | undefined }> = [];
  return {
    calls,
    reports: {
      async runSchedule(nowMs: number, _at: { hour: number; minute: number }, settled?: string) {
        calls.push({ nowMs, settled });
        return outcome(settled);
      },
    },
  };
}

describe('startReportScheduler', () => {
  it('does nothing on a node that does not lead', async () => {
    const stop = new AbortController();
    const svc = fakeService(() => ({ outcome: 'queued', day: '2026-11-18', reportId: 1, deliveryId: 1 }));
    const passes: string[] = [];
    const loop = startReportScheduler({ ...svc, at: { hour: 7, minute: 0 }, active: () => false, signal: stop.signal, pollMs: 10, onPass: (o) => passes.push(o.outcome) });
    await waitFor(() => passes.length >= 3, 'three passes');
    stop.abort();
    await loop;
    assert.equal(svc.calls.length, 0);
    assert.ok(passes.every((p) => p === 'inactive'));
  });

  it('passes its clock and, once a day is settled, names it so the service asks nothing more', async () => {
    const stop = new AbortController();
    const svc = fakeService((settled) => (settled === '2026-11-18' ? { outcome: 'settled', day: '2026-11-18' } : { outcome: 'queued', day: '2026-11-18', reportId: 1, deliveryId: 7 }));
    let leading = false;
    const passes: string[] = [];
    const loop = startReportScheduler({
      ...svc, at: { hour: 7, minute: 0 }, active: () => leading, now: () => 1_795_158_000_000, signal: stop.signal, pollMs: 10, onPass: (o) => passes.push(o.outcome),
    });
    await waitFor(() => passes.includes('inactive'), 'a pass while following');
    leading = true;
    await waitFor(() => passes.filter((p) => p === 'settled').length >= 2, 'settled passes');
    stop.abort();
    await loop;
    assert.equal(passes.filter((p) => p === 'queued').length, 1, 'queued once');
    assert.equal(svc.calls[0]!.settled, undefined);
    assert.ok(svc.calls.slice(1).every((c) => c.settled === '2026-11-18'));
    assert.ok(svc.calls.every((c) => c.nowMs === 1_795_158_000_000));
  });
});
