/**
 * Long work on the main thread, cut into slices: the tick, socket delivery
 * and HTTP answers run between them. `pause()` costs a clock read while the
 * current slice is under its budget and yields to the event loop
 * (setImmediate: timers, sockets and I/O run first) once it is over.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

/** What a slice may hold the loop: well under the 20 ms every stall is held to (DESIGN.md). */
export const SLICE_BUDGET_MS = 5;

export interface Slices {
  /** Yields to the event loop if the current slice has used its budget. */
  pause(): Promise<void>;
}

export function timeSlices(budgetMs = SLICE_BUDGET_MS): Slices {
  let start = performance.now();
  return {
    async pause() {
      if (performance.now() - start < budgetMs) return;
      await nextTurn();
      start = performance.now();
    },
  };
}

/**
 * `JSON.stringify(head + { [key]: items })`, written a slice at a time: a
 * large answer (10,000 history points take ~10 ms to serialize in one go)
 * never holds the loop for longer than a slice.
 */
export async function stringifyInSlices(head: Record<string, unknown>, key: string, items: readonly unknown[], chunk = 500): Promise<string> {
  const slices = timeSlices();
  const open = JSON.stringify(head);
  const parts = [`${open.length > 2 ? `${open.slice(0, -1)},` : '{'}${JSON.stringify(key)}:[`];
  for (let i = 0; i < items.length; i += chunk) {
    const json = JSON.stringify(items.slice(i, i + chunk));
    parts.push(i === 0 ? json.slice(1, -1) : `,${json.slice(1, -1)}`);
    await slices.pause();
  }
  parts.push(']}');
  return parts.join('');
}
