/**
 * The metric catalog: the one place a metric's name, unit, label and default
 * thresholds are written. Server (sources, storage, alert rules, Prometheus)
 * and client (cards, charts, status badge) both read it from here.
 *
 * Names are part of the outside contract (../CONTRACT.md): add, never rename.
 */

export interface MetricDef {
  /** Short human label, e.g. "CPU usage". */
  readonly label: string;
  /** Unit shown after the value ("%", "MB", "ms", …); "" for plain counts. */
  readonly unit: string;
  /** Decimals to show in the UI. */
  readonly decimals: number;
  /** Default thresholds: the value is Warning at ≥ warning, Critical at ≥ critical. */
  readonly warning?: number;
  readonly critical?: number;
  /** Fixed upper bound for charts (percentages); omitted → auto-scaled. */
  readonly max?: number;
  readonly help: string;
}

export const METRICS = {
  'cpu.usage_percent': {
    label: 'CPU usage', unit: '%', decimals: 1, warning: 70, critical: 85, max: 100,
    help: 'Share of CPU time not idle, all cores, over the last tick',
  },
  'cpu.count': { label: 'CPU cores', unit: 'cores', decimals: 0, help: 'Logical CPU cores available' },
  'cpu.load_1m': { label: 'Load (1 min)', unit: '', decimals: 2, help: 'One-minute load average' },
  'memory.usage_percent': {
    label: 'Memory usage', unit: '%', decimals: 1, warning: 75, critical: 90, max: 100,
    help: 'Memory in use (total − available) as a share of total',
  },
  'memory.available_mb': { label: 'Memory available', unit: 'MB', decimals: 0, help: 'Memory available for new work' },
  'disk.usage_percent': {
    label: 'Disk usage', unit: '%', decimals: 1, warning: 80, critical: 95, max: 100,
    help: 'Used share of the root filesystem',
  },
  'disk.free_gb': { label: 'Disk free', unit: 'GB', decimals: 1, help: 'Space free on the root filesystem' },
  'net.rx_bytes_per_s': { label: 'Network in', unit: 'B/s', decimals: 0, help: 'Bytes received per second, all non-loopback interfaces' },
  'net.tx_bytes_per_s': { label: 'Network out', unit: 'B/s', decimals: 0, help: 'Bytes sent per second, all non-loopback interfaces' },
  'db.active_connections': {
    label: 'DB connections', unit: '', decimals: 0, warning: 80, critical: 100,
    help: 'Database connections currently running a query',
  },
  'db.size_mb': { label: 'DB size', unit: 'MB', decimals: 1, help: 'Size of the database on disk' },
  'db.query_ms': {
    label: 'DB response', unit: 'ms', decimals: 1, warning: 500, critical: 1000,
    help: 'Round trip of a probe query to the database',
  },
  'db.cache_hit_percent': { label: 'DB cache hits', unit: '%', decimals: 1, max: 100, help: 'Buffer cache hit ratio since the statistics were reset' },
  'app.viewers': { label: 'Viewers', unit: '', decimals: 0, help: 'Live dashboard connections' },
  'app.sessions': { label: 'Active sessions', unit: '', decimals: 0, help: 'Login sessions and wall screens with a live connection' },
  'self.event_loop_lag_ms': { label: 'Event-loop lag', unit: 'ms', decimals: 1, help: 'p99 event-loop delay of the glasswatch server over the last tick' },
  'self.cpu_percent': { label: 'Server CPU', unit: '%', decimals: 1, help: 'CPU used by the glasswatch process, % of one core' },
  'self.rss_mb': { label: 'Server memory', unit: 'MB', decimals: 0, help: 'Resident memory of the glasswatch process' },
} as const satisfies Record<string, MetricDef>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetricName(name: unknown): name is MetricName {
  return typeof name === 'string' && Object.hasOwn(METRICS, name);
}

/** A value per metric; null where the source failed or has nothing this tick. */
export type MetricValues = Partial<Record<MetricName, number | null>>;
