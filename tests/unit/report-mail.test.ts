/** The report email: HTML fit for mail clients (no scripts, inline styles, escaped text, bars as table cells) and its text twin. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderReportMail } from '../../server/reports/mail.ts';
import type { Report } from '../../shared/reports.ts';

const metric = (avg: number, p95: number) => ({
  unit: '%', min: 1, avg, p95, max: 99, warningSeconds: 600, criticalSeconds: 60, samples: 4320, previousAvg: avg - 2.5, weekAvg: null, deltaPrevious: 2.5, deltaWeek: null,
});
const report = {
  from: '2026-10-25', to: '2026-10-25', fromMs: 0, toMs: 25 * 3_600_000, tz: 'Europe/Berlin', days: 1, hours: 25, host: null, generatedAt: 0, source: 'stored',
  link: 'https://gw.example/reports?day=2026-10-25',
  method: { tier: 'minute', avg: 'a', p95: 'p95 of 1-minute averages', thresholds: 't', availability: 'minutes', comparison: 'c', alerts: 'a', forecast: 'f' },
  comparison: { previousFrom: '2026-10-24', previousTo: '2026-10-24', weekFrom: '2026-10-18', weekTo: '2026-10-24' },
  fleet: { hosts: 1, availabilityPercent: 99.5, observedSeconds: 90_000, downSeconds: 450, metrics: {} },
  hosts: [{ host: '<img src=x onerror=alert(1)>', availabilityPercent: 99.5, observedSeconds: 90_000, downSeconds: 450, metrics: { 'cpu.usage_percent': metric(42.25, 88), 'disk.usage_percent': metric(81, 81.5) } }],
  alerts: {
    total: 2, byLevel: { INFO: 0, WARNING: 1, CRITICAL: 1 }, acknowledged: 1, resolved: 2, mttaSeconds: 90, mttrSeconds: 3600, silencedAlerts: 0, silencedSeconds: 0, previousTotal: 4,
    top: [{ ruleId: 1, ruleName: 'Disk & "space"', count: 2 }],
    longest: [{ id: 9, ruleId: 1, ruleName: 'Disk & "space"', host: 'db-1', metric: 'disk.usage_percent', level: 'CRITICAL', startedAt: 0, acknowledgedAt: null, resolvedAt: 3_600_000, durationSeconds: 3600, open: false, silenced: false, link: 'https://gw.example/alerts?id=9' }],
  },
  forecasts: [{ host: 'db-1', metric: 'disk.usage_percent', unit: '%', critical: 95, reachesCriticalAt: Date.UTC(2026, 10, 17), daysToCritical: 23, growthPerDay: 0.6, status: 'reaches critical', method: 'm', note: 'reaches 95 % in ~23 days', trends: [] }],
  deliveries: [],
} as unknown as Report;

describe('renderReportMail', () => {
  const mail = renderReportMail(report);

  it('names the day in the subject', () => {
    assert.equal(mail.subject, 'glasswatch daily report — 2026-10-25');
  });

  it('writes HTML without scripts, with inline styles and tables, and escapes every name', () => {
    assert.doesNotMatch(mail.html, /<script|<style|<link|javascript:/i);
    assert.doesNotMatch(mail.html, /<img/i, 'a host name cannot inject markup');
    assert.ok(mail.html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(mail.html.includes('Disk &amp; &quot;space&quot;'));
    assert.match(mail.html, /<table role="presentation"/);
    assert.match(mail.html, /style="/);
    assert.ok(mail.html.includes('href="https://gw.example/reports?day=2026-10-25"'));
    assert.ok(mail.html.includes('href="https://gw.example/alerts?id=9"'), 'the longest alert links to itself');
  });

  it('draws each metric\'s average as a bar of table cells sized in percent', () => {
    assert.match(mail.html, /<td width="42%" style="background:#[0-9a-f]{6};height:8px/, 'cpu 42.25 % of 100');
    assert.match(mail.html, /<td width="81%" style="background:#b26b00/, 'disk at 81 % (p95 81.5 %) is a warning colour');
  });

  it('says the same in plain text: figures, a 25-hour day, the change, the forecast date and the link', () => {
    assert.match(mail.text, /2026-10-25 \(Europe\/Berlin, 25 hours\)/);
    assert.match(mail.text, /CPU usage: avg 42\.3 %, p95 88\.0 %, max 99\.0 %/);
    assert.match(mail.text, /vs day before ▲ \+2\.5 %/);
    assert.match(mail.text, /MTTA: 1 min 30 s {4}MTTR: 1 h 0 min/);
    assert.match(mail.text, /reaches 95 % in ~23 days — 2026-11-17/);
    assert.ok(mail.text.includes('Open the report: https://gw.example/reports?day=2026-10-25'));
  });
});
