/** How a report's figures read on the page: pure functions over shared/reports.ts shapes. */
import { BUILTIN_METRICS, type MetricName } from '$shared/catalog.ts';
import { formatDuration, formatMetric, formatMetricText } from '$shared/format.ts';
import type { Forecast, HostReport, MetricSummary, Report } from '$shared/reports.ts';
import { catalog } from './catalog.svelte.ts';

/** A report's metrics in the catalog's order (the order of the dashboard's cards). */
export function metricOrder(metrics: Record<MetricName, MetricSummary>): MetricName[] {
  const rank = (m: MetricName) => {
    const i = BUILTIN_METRICS.indexOf(m as (typeof BUILTIN_METRICS)[number]);
    return i === -1 ? BUILTIN_METRICS.length : i;
  };
  return Object.keys(metrics).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export function valueText(metric: MetricName, value: number | null | undefined): string {
  return formatMetricText(catalog.def(metric), value);
}

/** "2 h 5 min", "0" for none, "—" where the metric has no thresholds. */
export function secondsText(seconds: number | null): string {
  if (seconds === null) return '—';
  return seconds < 1 ? '0' : formatDuration(seconds);
}

export interface Delta {
  arrow: '↑' | '↓' | '→' | '';
  text: string;
  /** worse / better for a metric with thresholds (higher is worse); neutral otherwise. */
  tone: 'worse' | 'better' | 'neutral';
}

/** "↑ 2.3 %" against an earlier average; higher is worse where the catalog has thresholds. */
export function deltaOf(metric: MetricName, delta: number | null): Delta {
  if (delta === null || !Number.isFinite(delta)) return { arrow: '', text: '—', tone: 'neutral' };
  const def = catalog.def(metric);
  const shown = formatMetric(def, Math.abs(delta));
  if (Number(shown.value) === 0 || Math.abs(delta) < 10 ** -def.decimals / 2) return { arrow: '→', text: `0${shown.unit === '%' ? ' %' : ''}`, tone: 'neutral' };
  const text = shown.unit ? `${shown.value} ${shown.unit}` : shown.value;
  const thresholds = def.warning !== undefined || def.critical !== undefined;
  return { arrow: delta > 0 ? '↑' : '↓', text, tone: !thresholds ? 'neutral' : delta > 0 ? 'worse' : 'better' };
}

/** Every host's part of a report (one host, or all of them). */
function hostsOf(report: Report): HostReport[] {
  return report.host === null ? report.hosts : report.hosts.filter((h) => h.host === report.host);
}

export interface Worst {
  host: string;
  metric: MetricName;
  /** Time beyond its thresholds, or null: nothing crossed, this is the highest peak against its critical threshold. */
  criticalSeconds: number | null;
  warningSeconds: number | null;
  max: number;
}

/** The metric that spent the most time Critical (then Warning); with none, the highest peak against its threshold. */
export function worstMetric(report: Report): Worst | null {
  let worst: Worst | null = null;
  let peak: { w: Worst; ratio: number } | null = null;
  for (const h of hostsOf(report)) {
    for (const [metric, m] of Object.entries(h.metrics)) {
      const crit = m.criticalSeconds ?? 0;
      const warn = m.warningSeconds ?? 0;
      if (crit + warn > 0 && (!worst || crit > (worst.criticalSeconds ?? 0) || (crit === (worst.criticalSeconds ?? 0) && warn > (worst.warningSeconds ?? 0)))) {
        worst = { host: h.host, metric, criticalSeconds: crit, warningSeconds: warn, max: m.max };
      }
      const critical = catalog.def(metric).critical;
      if (critical !== undefined && critical > 0 && (!peak || m.max / critical > peak.ratio)) {
        peak = { w: { host: h.host, metric, criticalSeconds: null, warningSeconds: null, max: m.max }, ratio: m.max / critical };
      }
    }
  }
  return worst ?? peak?.w ?? null;
}

const DAY_FORMAT = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric' });

/** "Disk usage on db-1 reaches 95 % in ~23 days (Dec 11, 2026)", "… not enough data (…)". */
export function forecastSentence(f: Forecast): string {
  const what = `${catalog.def(f.metric).label} on ${f.host}`;
  const threshold = f.critical === null ? '' : formatMetricText(catalog.def(f.metric), f.critical);
  switch (f.status) {
    case 'reaches critical':
      return `${what} reaches ${threshold} in ~${Math.max(1, Math.round(f.daysToCritical ?? 0))} days${f.reachesCriticalAt === null ? '' : ` (${DAY_FORMAT.format(f.reachesCriticalAt)})`}`;
    case 'already critical':
      return `${what} is already at or above ${threshold}`;
    case 'not rising':
      return `${what} is not rising`;
    case 'beyond horizon':
      return `${what} stays below ${threshold} for at least a year`;
    case 'no threshold':
      return `${what} grows ${f.growthPerDay === null ? '—' : `${formatMetricText(catalog.def(f.metric), f.growthPerDay)} a day`}`;
    case 'not enough data':
      return `${what}: not enough data`;
  }
}

const UTC_DAY_FORMAT = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

/** "Wed, Nov 18, 2026" of a `YYYY-MM-DD` day. */
export function dayText(day: string): string {
  return UTC_DAY_FORMAT.format(Date.parse(`${day}T00:00:00Z`));
}
