import { BUILTIN_METRICS, METRICS, type BuiltinMetric, type MetricDef, type MetricValues } from './catalog.ts';

/** Health of one value, of a host, or of the whole system. */
export type Status = 'normal' | 'warning' | 'critical' | 'unknown';

export const STATUS_LABEL: Record<Status, string> = {
  normal: 'Normal',
  warning: 'Warning',
  critical: 'Critical',
  unknown: 'No data',
};

const RANK: Record<Status, number> = { unknown: 0, normal: 1, warning: 2, critical: 3 };

/** Classifies a value against a metric's default thresholds. */
export function metricStatus(def: MetricDef, value: number | null | undefined): Status {
  if (value == null || !Number.isFinite(value)) return 'unknown';
  if (def.critical !== undefined && value >= def.critical) return 'critical';
  if (def.warning !== undefined && value >= def.warning) return 'warning';
  return 'normal';
}

/** The worst of several statuses; "unknown" only when nothing is known. */
export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'unknown';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/** Metrics with thresholds: together they decide the system status badge. */
export const STATUS_METRICS = BUILTIN_METRICS.filter((m: BuiltinMetric) => {
  const def: MetricDef = METRICS[m];
  return def.warning !== undefined;
});

/** Healthy / Warning / Critical of one host's latest values. */
export function systemStatus(values: MetricValues): Status {
  return worstStatus(STATUS_METRICS.map((m) => metricStatus(METRICS[m], values[m])));
}
