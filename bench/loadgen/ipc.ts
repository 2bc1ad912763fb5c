/**
 * The load generator's side of bench/lib.ts `spawnWorker`: a child process
 * answers commands `{id, cmd, args}` from the bench over IPC with `{id,
 * result}` or `{id, error}`. 'exit' ends it.
 */
export type Handlers = Record<string, (args: never) => unknown>;

export function serve(handlers: Handlers, onExit?: () => Promise<void> | void): void {
  process.on('message', async (raw) => {
    const msg = raw as { id: number; cmd: string; args?: unknown };
    if (msg.cmd === 'exit') {
      try {
        await onExit?.();
      } finally {
        process.exit(0);
      }
    }
    const handler = handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await (handler as (args: unknown) => unknown)(msg.args);
      process.send!({ id: msg.id, result: result ?? null });
    } catch (err) {
      process.send!({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
  // The bench went away: so do we.
  process.on('disconnect', () => process.exit(0));
  process.send!({ ready: true });
}

/** Nearest-rank percentiles of a list (sorted in place). */
export function percentiles(xs: number[], ps: number[]): Record<string, number | null> {
  xs.sort((a, b) => a - b);
  const out: Record<string, number | null> = {};
  for (const p of ps) out[`p${p}`] = xs.length ? xs[Math.min(xs.length, Math.max(1, Math.ceil((p / 100) * xs.length))) - 1]! : null;
  return out;
}
