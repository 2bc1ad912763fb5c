/**
 * The metric catalog. Built-in metrics — what glasswatch itself measures on
 * every host it collects from — are compiled in here: the one place their
 * name, unit, label and default thresholds are written. Metrics found at run
 * time (scraped from an application, pushed, or derived ratios) live in the
 * server's runtime catalog with the same `MetricInfo` shape; the client learns
 * them from the snapshot and the `catalog` event.
 *
 * Names are part of the outside contract (see README.md): add, never rename.
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
  /** Fixed upper bound (percentages, 0/1 flags): charts use it, rules may not exceed it. */
  readonly max?: number;
  /** Never below zero: a rule threshold under 0 is a mistake. Default true for built-ins. */
  readonly signed?: boolean;
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
  'host.up': { label: 'Host up', unit: '', decimals: 0, max: 1, help: "1 while the host's samples arrive, 0 after 3 missed ticks (computed by the server)" },
  'app.viewers': { label: 'Viewers', unit: '', decimals: 0, help: 'Live dashboard connections' },
  'app.sessions': { label: 'Active sessions', unit: '', decimals: 0, help: 'Login sessions and wall screens with a live connection' },
  'self.event_loop_lag_ms': { label: 'Event-loop lag', unit: 'ms', decimals: 1, help: 'p99 event-loop delay of the glasswatch server over the last tick' },
  'self.event_loop_max_ms': { label: 'Event-loop max', unit: 'ms', decimals: 1, help: 'Longest event-loop delay of the glasswatch server within the last tick' },
  'self.cpu_percent': { label: 'Server CPU', unit: '%', decimals: 1, help: 'CPU used by the glasswatch process, % of one core' },
  'self.rss_mb': { label: 'Server memory', unit: 'MB', decimals: 0, help: 'Resident memory of the glasswatch process' },
} as const satisfies Record<string, MetricDef>;

/** A metric compiled into glasswatch. */
export type BuiltinMetric = keyof typeof METRICS;

/**
 * Any series name: a built-in metric, or one found at run time, e.g.
 * `erp_http_requests_total:rate{status="500"}` or a pushed `erp.orders_per_min`.
 */
export type MetricName = string;

export const BUILTIN_METRICS = Object.keys(METRICS) as BuiltinMetric[];

export function isBuiltinMetric(name: unknown): name is BuiltinMetric {
  return typeof name === 'string' && Object.hasOwn(METRICS, name);
}

/** What an agent measures on its host (the same sources as the server; db.* only with --db). */
export const AGENT_METRICS = BUILTIN_METRICS.filter((m) => /^(cpu|memory|disk|net|db)\./.test(m));

/**
 * Series names: a family (letters, digits, `_`, `.`, `:`) and an optional
 * Prometheus-style label set `{a="1",b="2"}` (labels sorted by name).
 */
export const SERIES_NAME_MAX = 512;
const SERIES_NAME = /^[A-Za-z_][A-Za-z0-9_.:]*(\{[^\u0000-\u001f]*\})?$/;

export function isSeriesName(name: unknown): name is MetricName {
  return typeof name === 'string' && name.length <= SERIES_NAME_MAX && SERIES_NAME.test(name);
}

/** The family of a series: the name without its label set. */
export function seriesFamily(name: MetricName): string {
  const brace = name.indexOf('{');
  return brace === -1 ? name : name.slice(0, brace);
}

/** How a metric came to be: measured as a value, a counter turned into a rate, a histogram, or a ratio of others. */
export const METRIC_KINDS = ['gauge', 'counter', 'histogram', 'derived'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/** One entry of the catalog as `GET /api/metrics/catalog` lists it. */
export interface MetricInfo extends MetricDef {
  name: MetricName;
  kind: MetricKind;
  builtin: boolean;
}

export function builtinInfo(name: BuiltinMetric): MetricInfo {
  return { name, kind: 'gauge', builtin: true, ...METRICS[name] };
}

/**
 * The definition of any metric: built-in, else from the runtime catalog, else
 * a plain fallback so an unknown name still renders (as itself, no unit).
 */
export function metricDef(name: MetricName, runtime?: { get(name: string): MetricDef | undefined }): MetricDef {
  if (isBuiltinMetric(name)) return METRICS[name];
  return runtime?.get(name) ?? { label: name, unit: '', decimals: 2, signed: true, help: '' };
}

/** A value per metric; null where the source failed or has nothing this tick. */
export type MetricValues = Record<MetricName, number | null>;
