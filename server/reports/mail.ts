/**
 * A report as an email: HTML for mail clients (tables, inline styles, no
 * scripts, no images: bars are table cells of a given width, which Outlook,
 * Gmail and Apple Mail all draw) and the same content as plain text.
 */
import { LEVELS } from '../../shared/alerts.ts';
import { METRICS, type BuiltinMetric, type MetricDef } from '../../shared/catalog.ts';
import { formatDuration, formatMetricText } from '../../shared/format.ts';
import type { HostReport, MetricSummary, Report } from '../../shared/reports.ts';
import { metricStatus, type Status } from '../../shared/status.ts';

export interface ReportMail {
  subject: string;
  text: string;
  html: string;
}

/** What a reader looks at first, in this order (others with data follow in the table only when they have thresholds). */
const MAIL_METRICS: BuiltinMetric[] = [
  'cpu.usage_percent', 'memory.usage_percent', 'disk.usage_percent', 'db.query_ms', 'db.active_connections', 'db.size_mb', 'cpu.load_1m',
];

const COLORS: Record<Status, string> = { normal: '#1a7f37', warning: '#b26b00', critical: '#c62828', unknown: '#6b7280' };

const defOf = (m: BuiltinMetric): MetricDef => METRICS[m];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const pct = (x: number | null) => (x === null ? '—' : `${x >= 99.995 ? '100' : x.toFixed(2)} %`);
const secs = (x: number | null) => (x === null ? '—' : formatDuration(x));
const dateOf = (ms: number, tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
const timeOf = (ms: number, tz: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);

function rangeTitle(r: Report): string {
  return r.from === r.to ? r.from : `${r.from} – ${r.to}`;
}

/** "▲ +3.2 %" / "▼ −1.0 %" / "= 0": the change against the day before. */
function delta(def: MetricDef, d: number | null): string {
  if (d === null) return '';
  const shown = formatMetricText(def, Math.abs(d));
  if (shown.startsWith(formatMetricText(def, 0))) return '=';
  return d > 0 ? `▲ +${shown}` : `▼ −${shown}`;
}

function metricsOf(h: HostReport): Array<[BuiltinMetric, MetricSummary]> {
  const listed = MAIL_METRICS.filter((m) => h.metrics[m]);
  const more = (Object.keys(h.metrics) as BuiltinMetric[]).filter((m) => !listed.includes(m) && defOf(m)?.warning !== undefined);
  return [...listed, ...more].map((m) => [m, h.metrics[m]!]);
}

export function reportSubject(r: Report): string {
  return `glasswatch daily report — ${rangeTitle(r)}`;
}

// ---------------------------------------------------------------- plain text

export function reportText(r: Report): string {
  const lines: string[] = [];
  lines.push(`glasswatch report — ${rangeTitle(r)} (${r.tz}${r.hours !== 24 * r.days ? `, ${r.hours} hours` : ''})`, '');
  lines.push(`Hosts: ${r.hosts.length}    Availability: ${pct(r.fleet.availabilityPercent)}    Alerts: ${r.alerts.total}`);
  lines.push('');
  for (const h of r.hosts) {
    lines.push(`${h.host} — availability ${pct(h.availabilityPercent)}${h.downSeconds > 0 ? ` (down ${secs(h.downSeconds)})` : ''}`);
    for (const [m, s] of metricsOf(h)) {
      const def = METRICS[m];
      const inState = s.warningSeconds !== null ? `  warning ${secs(s.warningSeconds)}, critical ${secs(s.criticalSeconds)}` : '';
      const vs = s.deltaPrevious !== null ? `  vs day before ${delta(def, s.deltaPrevious)}` : '';
      lines.push(`  ${def.label}: avg ${formatMetricText(def, s.avg)}, p95 ${formatMetricText(def, s.p95)}, max ${formatMetricText(def, s.max)}${inState}${vs}`);
    }
    lines.push('');
  }
  const a = r.alerts;
  lines.push(`Alerts: ${a.total} (${LEVELS.map((l) => `${l} ${a.byLevel[l]}`).join(', ')}); day before: ${a.previousTotal}`);
  lines.push(`MTTA: ${secs(a.mttaSeconds)}    MTTR: ${secs(a.mttrSeconds)}    Silenced: ${secs(a.silencedSeconds)}`);
  if (a.top.length) lines.push(`Most frequent: ${a.top.map((t) => `${t.ruleName} (${t.count})`).join(', ')}`);
  for (const l of a.longest) lines.push(`  [${l.level}] ${l.ruleName} on ${l.host}: ${secs(l.durationSeconds)}${l.open ? ' (still open)' : ''} — ${l.link}`);
  lines.push('');
  if (r.forecasts.length) {
    lines.push('Capacity forecast (7-day trend):');
    for (const f of r.forecasts) lines.push(`  ${f.host} ${METRICS[f.metric].label}: ${f.note}${f.reachesCriticalAt ? ` — ${dateOf(f.reachesCriticalAt, r.tz)}` : ''}`);
    lines.push('');
  }
  lines.push(`Open the report: ${r.link}`, '', `p95: ${r.method.p95}.`, `Availability: ${r.method.availability}.`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- HTML

const FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif";
const CELL = `padding:6px 8px;border-bottom:1px solid #e5e7eb;font-size:13px;${FONT}`;
const HEAD = `padding:6px 8px;border-bottom:2px solid #d1d5db;font-size:12px;color:#4b5563;text-align:left;${FONT}`;

/** A small horizontal bar: `share` of 0…1 filled in `color`. */
function bar(share: number, color: string): string {
  const w = Math.max(0, Math.min(100, Math.round(share * 100)));
  const filled = w > 0 ? `<td width="${w}%" style="background:${color};height:8px;font-size:0;line-height:0">&nbsp;</td>` : '';
  const rest = w < 100 ? `<td style="background:#e5e7eb;height:8px;font-size:0;line-height:0">&nbsp;</td>` : '';
  return `<table role="presentation" width="120" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse"><tr>${filled}${rest}</tr></table>`;
}

function tile(label: string, value: string, color = '#111827'): string {
  return `<td style="padding:10px 12px;background:#f9fafb;border:1px solid #e5e7eb;${FONT}" valign="top">
<div style="font-size:11px;color:#6b7280;text-transform:uppercase;letter-spacing:.04em">${esc(label)}</div>
<div style="font-size:20px;font-weight:bold;color:${color};margin-top:2px">${esc(value)}</div></td>`;
}

function hostTable(h: HostReport, tz: string): string {
  const rows = metricsOf(h).map(([m, s]) => {
    const def = defOf(m);
    const status = metricStatus(def, s.p95);
    const scale = def.max ?? (def.critical !== undefined ? def.critical * 1.25 : Math.max(s.max, 1e-9));
    const inState = s.warningSeconds === null ? '—' : `${secs(s.warningSeconds)} / ${secs(s.criticalSeconds)}`;
    return `<tr>
<td style="${CELL}">${esc(def.label)}</td>
<td style="${CELL}">${bar(s.avg / scale, COLORS[status])}</td>
<td style="${CELL};text-align:right;white-space:nowrap">${esc(formatMetricText(def, s.avg))}</td>
<td style="${CELL};text-align:right;white-space:nowrap;color:${COLORS[status]}">${esc(formatMetricText(def, s.p95))}</td>
<td style="${CELL};text-align:right;white-space:nowrap">${esc(formatMetricText(def, s.max))}</td>
<td style="${CELL};white-space:nowrap">${esc(inState)}</td>
<td style="${CELL};white-space:nowrap;color:#4b5563">${esc(delta(def, s.deltaPrevious))}</td></tr>`;
  });
  const down = h.downSeconds > 0 ? ` · down ${esc(secs(h.downSeconds))}` : '';
  const availColor = h.availabilityPercent === null ? COLORS.unknown : h.availabilityPercent >= 99.9 ? COLORS.normal : h.availabilityPercent >= 99 ? COLORS.warning : COLORS.critical;
  return `<h3 style="margin:22px 0 6px;font-size:15px;${FONT}">${esc(h.host)}
<span style="font-weight:normal;color:${availColor};font-size:13px">· availability ${esc(pct(h.availabilityPercent))}</span><span style="font-weight:normal;color:#6b7280;font-size:13px">${down}</span></h3>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse">
<tr><th style="${HEAD}">Metric</th><th style="${HEAD}">&nbsp;</th><th style="${HEAD};text-align:right">avg</th><th style="${HEAD};text-align:right">p95</th><th style="${HEAD};text-align:right">max</th><th style="${HEAD}">Warning / Critical</th><th style="${HEAD}">vs day before</th></tr>
${rows.join('\n') || `<tr><td style="${CELL}" colspan="7">No metric data (${esc(tz)})</td></tr>`}
</table>`;
}

export function reportHtml(r: Report): string {
  const a = r.alerts;
  const availability = r.fleet.availabilityPercent;
  const critical = a.byLevel.CRITICAL;
  const tiles = [
    tile('Hosts', String(r.hosts.length)),
    tile('Availability', pct(availability), availability === null ? COLORS.unknown : availability >= 99.9 ? COLORS.normal : COLORS.warning),
    tile('Alerts', `${a.total}${critical ? ` (${critical} critical)` : ''}`, critical ? COLORS.critical : '#111827'),
    tile('MTTA / MTTR', `${secs(a.mttaSeconds)} / ${secs(a.mttrSeconds)}`),
  ].join('');
  const top = a.top.map((t) => `<tr><td style="${CELL}">${esc(t.ruleName)}</td><td style="${CELL};text-align:right">${t.count}</td></tr>`).join('');
  const longest = a.longest
    .map((l) => `<tr><td style="${CELL};color:${l.level === 'CRITICAL' ? COLORS.critical : l.level === 'WARNING' ? COLORS.warning : '#111827'}">${l.level}</td>
<td style="${CELL}"><a href="${esc(l.link)}" style="color:#1d4ed8">${esc(l.ruleName)}</a> on ${esc(l.host)}</td>
<td style="${CELL};white-space:nowrap">${esc(timeOf(l.startedAt, r.tz))}</td>
<td style="${CELL};text-align:right;white-space:nowrap">${esc(secs(l.durationSeconds))}${l.open ? ' (open)' : ''}</td></tr>`)
    .join('\n');
  const forecasts = r.forecasts
    .map((f) => `<tr><td style="${CELL}">${esc(f.host)}</td><td style="${CELL}">${esc(METRICS[f.metric].label)}</td>
<td style="${CELL};color:${f.status === 'reaches critical' || f.status === 'already critical' ? COLORS.critical : '#111827'}">${esc(f.note)}</td>
<td style="${CELL};white-space:nowrap">${f.reachesCriticalAt ? esc(dateOf(f.reachesCriticalAt, r.tz)) : '—'}</td></tr>`)
    .join('\n');
  const length = r.hours !== 24 * r.days ? ` · ${r.hours} hours` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(reportSubject(r))}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:16px 8px">
<table role="presentation" width="680" cellpadding="0" cellspacing="0" border="0" style="max-width:680px;width:100%;background:#ffffff;border:1px solid #e5e7eb"><tr><td style="padding:20px 24px;${FONT};color:#111827">
<div style="font-size:12px;color:#6b7280">glasswatch daily report</div>
<h1 style="margin:4px 0 2px;font-size:22px;${FONT}">${esc(rangeTitle(r))}</h1>
<div style="font-size:12px;color:#6b7280">${esc(r.tz)}${esc(length)}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="6" border="0" style="margin-top:14px"><tr>${tiles}</tr></table>
${r.hosts.map((h) => hostTable(h, r.tz)).join('\n') || `<p style="font-size:14px;${FONT}">No data for this day.</p>`}
<h2 style="margin:26px 0 6px;font-size:17px;${FONT}">Alerts</h2>
<p style="margin:0 0 8px;font-size:13px;${FONT}">${a.total} fired (${LEVELS.map((l) => `${l} ${a.byLevel[l]}`).join(', ')}); the day before: ${a.previousTotal}. Silenced for ${esc(secs(a.silencedSeconds))}.</p>
${top ? `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse"><tr><th style="${HEAD}">Most frequent rule</th><th style="${HEAD};text-align:right">Alerts</th></tr>${top}</table>` : ''}
${longest ? `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;margin-top:10px"><tr><th style="${HEAD}">Level</th><th style="${HEAD}">Longest alerts</th><th style="${HEAD}">Started</th><th style="${HEAD};text-align:right">Lasted</th></tr>${longest}</table>` : ''}
${forecasts ? `<h2 style="margin:26px 0 6px;font-size:17px;${FONT}">Capacity forecast</h2>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse"><tr><th style="${HEAD}">Host</th><th style="${HEAD}">Metric</th><th style="${HEAD}">7-day trend</th><th style="${HEAD}">Critical on</th></tr>${forecasts}</table>` : ''}
<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:24px 0 8px"><tr><td style="background:#1d4ed8;border-radius:4px"><a href="${esc(r.link)}" style="display:inline-block;padding:10px 18px;color:#ffffff;text-decoration:none;font-size:14px;${FONT}">Open the report</a></td></tr></table>
<p style="font-size:11px;color:#6b7280;${FONT}">p95: ${esc(r.method.p95)}. Availability: ${esc(r.method.availability)}. Forecast: ${esc(r.method.forecast)}.</p>
</td></tr></table>
</td></tr></table>
</body></html>`;
}

export function renderReportMail(r: Report): ReportMail {
  return { subject: reportSubject(r), text: reportText(r), html: reportHtml(r) };
}
