import type { MetricDef } from './catalog.ts';

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** A value with its unit, for people: `12.5 %`, `1.2 MB/s`, `—` when unknown (see `metricDef` for any name's def). */
export function formatMetric(def: MetricDef, value: number | null | undefined): { value: string; unit: string } {
  if (value == null || !Number.isFinite(value)) return { value: '—', unit: def.unit };
  if (def.unit === 'B/s') {
    let v = value;
    let i = 0;
    while (Math.abs(v) >= 1000 && i < BYTE_UNITS.length - 1) {
      v /= 1000;
      i++;
    }
    return { value: v.toFixed(i === 0 ? 0 : 1), unit: `${BYTE_UNITS[i]}/s` };
  }
  return { value: value.toFixed(def.decimals), unit: def.unit };
}

/** `formatMetric` as one string: "12.5 %". */
export function formatMetricText(def: MetricDef, value: number | null | undefined): string {
  const { value: v, unit } = formatMetric(def, value);
  return unit ? `${v} ${unit}` : v;
}

/** "3 d 4 h", "5 h 12 min", "42 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}
