/**
 * A report as CSV (RFC 4180): one table, a row per host and metric, then
 * availability, alert summary, top-rule and forecast lines, told apart by the
 * first column. Text that a spreadsheet would take for a formula is
 * defused with a leading apostrophe.
 */
import { LEVELS } from '../../shared/alerts.ts';
import type { Report } from '../../shared/reports.ts';

type Cell = string | number | null | undefined;

export const CSV_HEADER = [
  'section', 'host', 'metric', 'unit', 'min', 'avg', 'p95', 'max', 'warning_seconds', 'critical_seconds', 'samples', 'previous_avg', 'week_avg', 'value',
] as const;

/** One field: numbers as they are, text quoted when it holds a comma, quote, CR or LF (quotes doubled). */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  // A cell starting like a formula (=, +, -, @, tab, CR) would run in a spreadsheet.
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly Cell[]): string {
  return cells.map(csvCell).join(',');
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function reportCsv(r: Report): string {
  const width = CSV_HEADER.length;
  const row = (section: string, fields: Partial<Record<(typeof CSV_HEADER)[number], Cell>>) => {
    const cells: Cell[] = new Array(width).fill(null);
    cells[0] = section;
    for (const [k, v] of Object.entries(fields)) cells[CSV_HEADER.indexOf(k as (typeof CSV_HEADER)[number])] = v;
    return csvLine(cells);
  };
  const lines = [csvLine(CSV_HEADER)];
  for (const h of r.hosts) {
    for (const [metric, m] of Object.entries(h.metrics)) {
      lines.push(row('metric', {
        host: h.host, metric, unit: m.unit, min: m.min, avg: m.avg, p95: m.p95, max: m.max, warning_seconds: m.warningSeconds,
        critical_seconds: m.criticalSeconds, samples: m.samples, previous_avg: m.previousAvg, week_avg: m.weekAvg,
      }));
    }
  }
  for (const h of r.hosts) lines.push(row('availability', { host: h.host, metric: 'host.up', unit: '%', value: h.availabilityPercent }));
  const a = r.alerts;
  lines.push(row('alerts', { metric: 'total', value: a.total }));
  for (const level of LEVELS) lines.push(row('alerts', { metric: level, value: a.byLevel[level] }));
  lines.push(row('alerts', { metric: 'mtta_seconds', unit: 's', value: a.mttaSeconds }));
  lines.push(row('alerts', { metric: 'mttr_seconds', unit: 's', value: a.mttrSeconds }));
  lines.push(row('alerts', { metric: 'silenced_seconds', unit: 's', value: a.silencedSeconds }));
  lines.push(row('alerts', { metric: 'previous_total', value: a.previousTotal }));
  for (const t of a.top) lines.push(row('top_rule', { metric: t.ruleName, value: t.count }));
  for (const f of r.forecasts) {
    lines.push(row('forecast', { host: f.host, metric: f.metric, unit: f.unit, value: iso(f.reachesCriticalAt) ?? f.status }));
  }
  return `${lines.join('\r\n')}\r\n`;
}
