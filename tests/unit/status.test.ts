import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_METRICS, METRICS, isBuiltinMetric, isSeriesName, metricDef, seriesFamily } from '../../shared/catalog.ts';
import { formatDuration, formatMetric, formatMetricText } from '../../shared/format.ts';
import { metricStatus, STATUS_METRICS, systemStatus, worstStatus } from '../../shared/status.ts';

describe('metric catalog', () => {
  it('holds every metric name of the contract, dotted area.name_unit', () => {
    const contract = [
      'cpu.usage_percent', 'cpu.count', 'cpu.load_1m', 'memory.usage_percent', 'memory.available_mb',
      'disk.usage_percent', 'disk.free_gb', 'net.rx_bytes_per_s', 'net.tx_bytes_per_s', 'db.active_connections',
      'db.size_mb', 'db.query_ms', 'db.cache_hit_percent', 'app.viewers', 'app.sessions',
      'self.event_loop_lag_ms', 'self.cpu_percent', 'self.rss_mb',
    ];
    for (const name of contract) assert.ok(isBuiltinMetric(name), `${name} missing from the catalog`);
    for (const name of BUILTIN_METRICS) assert.match(name, /^[a-z]+\.[a-z0-9_]+$/);
  });

  it('carries the original thresholds: CPU 70/85, memory 75/90, disk 80/95, DB query 500/1000 ms, DB connections 80/100', () => {
    const expected = {
      'cpu.usage_percent': [70, 85],
      'memory.usage_percent': [75, 90],
      'disk.usage_percent': [80, 95],
      'db.query_ms': [500, 1000],
      'db.active_connections': [80, 100],
    } as const;
    for (const [name, [warning, critical]] of Object.entries(expected)) {
      const def = METRICS[name as keyof typeof expected];
      assert.equal(def.warning, warning, name);
      assert.equal(def.critical, critical, name);
    }
    assert.deepEqual([...STATUS_METRICS].sort(), Object.keys(expected).sort());
  });

  it('rejects names that are not in the catalog, including prototype keys', () => {
    for (const bad of ['cpu', 'cpu.usage', 'toString', '__proto__', '', 42, null]) assert.equal(isBuiltinMetric(bad), false);
  });
});

describe('series names', () => {
  it('accepts dotted and Prometheus names with sorted label sets, and refuses the rest', () => {
    for (const ok of ['erp.orders_per_min', 'erp_http_requests_total:rate', 'erp_http_requests_total:rate{status="500"}', 'x:p95', 'a{b="1",c="x y"}']) {
      assert.ok(isSeriesName(ok), ok);
    }
    for (const bad of ['', '1abc', 'a b', 'a{b="1"', 'x'.repeat(600), 'a\u0000b', 42, null]) assert.equal(isSeriesName(bad), false, String(bad));
  });

  it('splits a series into its family', () => {
    assert.equal(seriesFamily('x_total:rate{status="500"}'), 'x_total:rate');
    assert.equal(seriesFamily('cpu.usage_percent'), 'cpu.usage_percent');
  });

  it('describes any metric: built-in, from the runtime catalog, or itself with no unit', () => {
    assert.equal(metricDef('cpu.usage_percent').unit, '%');
    const runtime = new Map([['erp.orders_per_min', { label: 'Orders', unit: '/min', decimals: 0, help: '' }]]);
    assert.equal(metricDef('erp.orders_per_min', runtime).label, 'Orders');
    assert.deepEqual([metricDef('nobody.knows').label, metricDef('nobody.knows').unit], ['nobody.knows', '']);
  });
});

describe('metricStatus', () => {
  it('is normal below warning, warning from the warning threshold, critical from the critical one', () => {
    assert.equal(metricStatus(METRICS['cpu.usage_percent'], 69.9), 'normal');
    assert.equal(metricStatus(METRICS['cpu.usage_percent'], 70), 'warning');
    assert.equal(metricStatus(METRICS['cpu.usage_percent'], 84.99), 'warning');
    assert.equal(metricStatus(METRICS['cpu.usage_percent'], 85), 'critical');
    assert.equal(metricStatus(METRICS['db.query_ms'], 1200), 'critical');
  });

  it('is unknown without a finite value', () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(metricStatus(METRICS['cpu.usage_percent'], v), 'unknown');
  });

  it('is normal for metrics without thresholds', () => {
    assert.equal(metricStatus(METRICS['net.rx_bytes_per_s'], 1e12), 'normal');
  });
});

describe('systemStatus', () => {
  it('takes the worst of the thresholded metrics', () => {
    assert.equal(systemStatus({ 'cpu.usage_percent': 10, 'memory.usage_percent': 20 }), 'normal');
    assert.equal(systemStatus({ 'cpu.usage_percent': 10, 'memory.usage_percent': 80 }), 'warning');
    assert.equal(systemStatus({ 'cpu.usage_percent': 90, 'memory.usage_percent': 80 }), 'critical');
  });

  it('ignores unknown values unless nothing is known', () => {
    assert.equal(systemStatus({ 'cpu.usage_percent': null, 'disk.usage_percent': 96 }), 'critical');
    assert.equal(systemStatus({}), 'unknown');
    assert.equal(worstStatus([]), 'unknown');
  });
});

describe('formatting', () => {
  it('shows values with the catalog decimals and unit', () => {
    assert.deepEqual(formatMetric(METRICS['cpu.usage_percent'], 12.345), { value: '12.3', unit: '%' });
    assert.equal(formatMetricText(METRICS['db.query_ms'], 3), '3.0 ms');
    assert.equal(formatMetricText(METRICS['cpu.load_1m'], 0.5), '0.50');
  });

  it('scales byte rates', () => {
    assert.deepEqual(formatMetric(METRICS['net.rx_bytes_per_s'], 999), { value: '999', unit: 'B/s' });
    assert.deepEqual(formatMetric(METRICS['net.rx_bytes_per_s'], 1_250_000), { value: '1.3', unit: 'MB/s' });
  });

  it('shows a dash for unknown values', () => {
    assert.equal(formatMetric(METRICS['cpu.usage_percent'], null).value, '—');
  });

  it('formats durations coarsely', () => {
    assert.equal(formatDuration(42), '42 s');
    assert.equal(formatDuration(3 * 60 + 5), '3 min 5 s');
    assert.equal(formatDuration(5 * 3600 + 12 * 60), '5 h 12 min');
    assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3 d 4 h');
  });
});
