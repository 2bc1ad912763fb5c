/**
 * Alerts end to end on the running server, with its viewers connected:
 * a rule is created over HTTP whose condition already holds (`cpu.count >= 1`),
 * so the next tick's sample crosses it; every viewer records
 * `Date.now() − alert.startedAt` (startedAt is the ts of that sample) for the
 * first `alert` event of the rule in state firing. Then one more socket (the
 * operator) acknowledges it with `alert:ack`, and every viewer records the
 * time from that emit to its first `alert` event in state acknowledged.
 */
import type { Alert } from '../shared/alerts.ts';
import { sleep, type BenchSocket, type ServerProcess } from './lib.ts';

export interface FanoutResult {
  /** Per viewer and alert: sample ts → firing alert received. */
  fire: number[];
  /** Per viewer and alert: ack emitted → acknowledged alert received. */
  ack: number[];
  /** Per alert: the latency of the last viewer to see it fire. */
  fireLastViewer: number[];
  /** Receipts that did not arrive within the timeout. */
  missing: number;
}

async function api(server: ServerProcess, method: string, route: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}${route}`, {
    method,
    // A request with a session cookie must name its Origin (CSRF check), as a browser would.
    headers: { 'content-type': 'application/json', ...(server.cookie ? { cookie: server.cookie, origin: server.url } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

/** Resolves once `done()` holds, or after `timeoutMs` (the caller counts what is missing). */
async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await sleep(2);
}

export async function alertFanout(server: ServerProcess, viewers: BenchSocket[], operator: BenchSocket, reps: number): Promise<FanoutResult> {
  const result: FanoutResult = { fire: [], ack: [], fireLastViewer: [], missing: 0 };
  for (let k = 0; k < reps; k++) {
    const name = `bench alert ${k} ${Date.now()}`;
    const fired = new Set<number>();
    let lastFire = 0;
    const acked = new Set<number>();
    let ackAt = 0;
    let alertId: number | undefined;
    const handlers = viewers.map((socket, i) => {
      const handler = (a: Alert) => {
        if (a.ruleName !== name) return;
        const now = Date.now();
        if (a.state === 'firing' && !fired.has(i)) {
          fired.add(i);
          result.fire.push(now - a.startedAt);
          lastFire = Math.max(lastFire, now - a.startedAt);
        } else if (a.state === 'acknowledged' && ackAt && !acked.has(i)) {
          acked.add(i);
          result.ack.push(now - ackAt);
        }
      };
      socket.on('alert', handler);
      return () => socket.off('alert', handler);
    });
    const onOperator = (a: Alert) => {
      if (a.ruleName === name) alertId = a.id;
    };
    operator.on('alert', onOperator);
    try {
      const rule = (await api(server, 'POST', '/api/rules', { name, metric: 'cpu.count', operator: '>=', threshold: 1, level: 'INFO' })) as { id: number };
      await until(() => fired.size === viewers.length && alertId !== undefined, 10_000);
      if (alertId === undefined) throw new Error(`rule "${name}" did not fire within 10 s`);
      ackAt = Date.now();
      const answer = await new Promise<{ ok: boolean }>((resolve) => operator.emit('alert:ack', { id: alertId! }, resolve));
      if (!answer.ok) throw new Error(`alert:ack was refused: ${JSON.stringify(answer)}`);
      await until(() => acked.size === viewers.length, 5_000);
      result.missing += viewers.length - fired.size + (viewers.length - acked.size);
      result.fireLastViewer.push(lastFire);
      await api(server, 'DELETE', `/api/rules/${rule.id}`);
    } finally {
      for (const off of handlers) off();
      operator.off('alert', onOperator);
    }
    await sleep(300);
  }
  return result;
}
