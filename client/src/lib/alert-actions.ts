import type { Alert } from '$shared/alerts.ts';
import { API, routeTo } from '$shared/routes.ts';
import { ApiError, sendJson } from './api.ts';
import { liveSocket } from './socket.ts';

export type AlertAction = 'ack' | 'unack' | 'resolve';

const ACTION_ROUTE = { ack: API.alertAck, unack: API.alertUnack, resolve: API.alertResolve } as const satisfies Record<AlertAction, string>;

export type ActionResult = { ok: true; alert: Alert } | { ok: false; message: string };

/** How long an action waits for the server's answer. */
const ANSWER_TIMEOUT_MS = 10_000;

/** "alert 12 is acknowledged by bob, not firing" → "Already acknowledged by bob" (someone was quicker). */
export function actionProblem(message: string): string {
  const state = /^alert \d+ is (.+), not [\w ]+$/.exec(message);
  const text = state ? `already ${state[1]}` : message.replace(/^alert \d+ is /, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Acknowledges, un-acknowledges or resolves an alert as the logged-in user
 * (the server knows who from the session). Over the socket while it is connected
 * (the answer is the acknowledgement callback), else over REST. The screen
 * changes only when the server's `alert` event arrives: nothing optimistic.
 */
export async function actOnAlert(action: AlertAction, id: number, note?: string): Promise<ActionResult> {
  const payload = note?.trim() ? { id, note: note.trim() } : { id };
  const socket = liveSocket();
  if (socket?.connected) {
    return new Promise((resolve) => {
      socket.timeout(ANSWER_TIMEOUT_MS).emit(`alert:${action}`, payload, (err, result) => {
        if (err) resolve({ ok: false, message: 'No answer from the server: check the alert before trying again' });
        else if (result.ok) resolve({ ok: true, alert: result.alert });
        else resolve({ ok: false, message: actionProblem(result.error.message) });
      });
    });
  }
  try {
    const body = action === 'unack' ? undefined : payload.note ? { note: payload.note } : {};
    return { ok: true, alert: await sendJson<Alert>('POST', routeTo(ACTION_ROUTE[action], { id }), body) };
  } catch (err) {
    if (err instanceof ApiError) return { ok: false, message: actionProblem(err.message) };
    console.error('glasswatch: alert action failed', err);
    return { ok: false, message: 'Something went wrong: check the alert before trying again' };
  }
}
