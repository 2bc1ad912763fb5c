import type { BuiltinMetric, MetricValues } from '../../shared/catalog.ts';

/**
 * One metric source: a small object that measures a few built-in metrics.
 * `collect` throws a descriptive error on failure; the scheduler catches it,
 * logs it once and reports nulls for that tick.
 */
export interface Source<M extends BuiltinMetric = BuiltinMetric> {
  readonly id: string;
  readonly metrics: readonly M[];
  /** Run at most this often; between runs the scheduler reuses the last values. Default: every tick. */
  readonly everyMs?: number;
  collect(signal: AbortSignal): Promise<Partial<Record<M, number | null>>> | Partial<Record<M, number | null>>;
}

export type { MetricValues };

/** Rounds to a few decimals so JSON stays small and no float noise reaches a screen. */
export function round(value: number, decimals = 2): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
