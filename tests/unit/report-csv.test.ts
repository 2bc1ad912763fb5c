/** CSV of a report: RFC 4180 quoting, formulas defused, one row per host and metric plus summary lines. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvCell, csvLine, CSV_HEADER, reportCsv } from '../../server/reports/csv.ts';
import type { Report } from '../../shared/reports.ts';
import { parseCsv } from '../helpers/csv.ts';

describe('csvCell', () => {
  it('quotes commas, quotes and line breaks, doubling quotes', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('cr\rhere'), '"cr\rhere"');
    assert.equal(csvCell(' padded '), '" padded "');
  });

  it('writes numbers as they are and missing values as empty fields', () => {
    assert.equal(csvCell(-12.5), '-12.5');
    assert.equal(csvCell(0), '0');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(undefined), '');
    assert.equal(csvCell(Number.NaN), '');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-rm'), "'-rm");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  });

  it('round-trips through a strict reader', () => {
    const nasty = ['a,b', 'say "hi"', 'two\r\nlines', '', 'x'];
    assert.deepEqual(parseCsv(`${csvLine(nasty)}\r\n`), [nasty]);
  });
});

describe('reportCsv', () => {
  const metric = { unit: '%', min: 1, avg: 50.5, p95: 90, max: 99, warningSeconds: 600, criticalSeconds: 60, samples: 4320, previousAvg: 40, weekAvg: null, deltaPrevious: 10.5, deltaWeek: null };
  const report = {
    hosts: [{ host: 'db,1', availabilityPercent: 99.5, observedSeconds: 86400, downSeconds: 432, metrics: { 'cpu.usage_percent': metric } }],
    alerts: {
      total: 3, byLevel: { INFO: 0, WARNING: 2, CRITICAL: 1 }, acknowledged: 1, resolved: 2, mttaSeconds: 120, mttrSeconds: null,
      top: [{ ruleId: 1, ruleName: 'Disk "full", soon', count: 3 }], longest: [], silencedAlerts: 0, silencedSeconds: 0, previousTotal: 1,
    },
    forecasts: [{ host: 'db,1', metric: 'disk.usage_percent', unit: '%', reachesCriticalAt: Date.UTC(2026, 11, 24), status: 'reaches critical' }],
  } as unknown as Report;
  const rows = parseCsv(reportCsv(report));
  const col = (name: (typeof CSV_HEADER)[number]) => CSV_HEADER.indexOf(name);

  it('has one header and equally wide rows', () => {
    assert.deepEqual(rows[0], [...CSV_HEADER]);
    for (const r of rows) assert.equal(r.length, CSV_HEADER.length, r.join('|'));
  });

  it('writes a row per host and metric with every figure', () => {
    const r = rows.find((x) => x[0] === 'metric')!;
    assert.equal(r[col('host')], 'db,1');
    assert.equal(r[col('metric')], 'cpu.usage_percent');
    assert.deepEqual([r[col('min')], r[col('avg')], r[col('p95')], r[col('max')]], ['1', '50.5', '90', '99']);
    assert.deepEqual([r[col('warning_seconds')], r[col('critical_seconds')], r[col('samples')]], ['600', '60', '4320']);
    assert.deepEqual([r[col('previous_avg')], r[col('week_avg')]], ['40', '']);
  });

  it('adds availability, alert summary, top-rule and forecast lines', () => {
    const line = (section: string, metric: string) => rows.find((x) => x[0] === section && x[col('metric')] === metric)?.[col('value')];
    assert.equal(rows.find((x) => x[0] === 'availability')?.[col('value')], '99.5');
    assert.equal(line('alerts', 'total'), '3');
    assert.equal(line('alerts', 'CRITICAL'), '1');
    assert.equal(line('alerts', 'mtta_seconds'), '120');
    assert.equal(line('alerts', 'mttr_seconds'), '');
    assert.equal(line('top_rule', 'Disk "full", soon'), '3');
    assert.equal(line('forecast', 'disk.usage_percent'), '2026-12-24T00:00:00.000Z');
  });
});
