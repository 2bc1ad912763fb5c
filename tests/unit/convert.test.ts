import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bucketQuantile,
  builtinNameOf,
  createConverter,
  findBuiltinNames,
  parsePushJson,
  PushError,
  SeriesLimitError,
  type Conversion,
  type Converter,
} from '../../server/scrape/convert.ts';
import { ExpositionError, parseExposition } from '../../server/scrape/exposition.ts';

const T0 = 1_700_000_000_000;
const lines = (...l: string[]) => `${l.join('\n')}\n`;
const scrape = (c: Converter, body: string, tsMs: number) => c.convert(parseExposition(body), tsMs);
/** The values as a plain object, for deepEqual. */
const values = (r: Conversion) => ({ ...r.values });
const names = (r: Conversion) => r.series.map((s) => s.name);
const info = (r: Conversion, name: string) => {
  const found = r.series.find((s) => s.name === name);
  assert.ok(found, `no series ${name} in ${names(r).join(', ')}`);
  return found;
};
const near = (actual: number | undefined, expected: number, what: string) =>
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${what}: ${actual} ≠ ${expected}`);

// django-prometheus (prometheus_client, format 0.0.4): counters with their `_created` gauges.
const django = (v: { get: number; post: number; ok: number; notFound: number }) =>
  lines(
    '# HELP django_http_requests_total_by_method_total Count of requests by method.',
    '# TYPE django_http_requests_total_by_method_total counter',
    `django_http_requests_total_by_method_total{method="GET"} ${v.get}`,
    `django_http_requests_total_by_method_total{method="POST"} ${v.post}`,
    '# HELP django_http_requests_total_by_method_created Count of requests by method.',
    '# TYPE django_http_requests_total_by_method_created gauge',
    'django_http_requests_total_by_method_created{method="GET"} 1.7091186624361e+09',
    'django_http_requests_total_by_method_created{method="POST"} 1.7091186631021e+09',
    '# HELP django_http_responses_total_by_status_total Count of responses by status.',
    '# TYPE django_http_responses_total_by_status_total counter',
    `django_http_responses_total_by_status_total{status="200"} ${v.ok}`,
    `django_http_responses_total_by_status_total{status="404"} ${v.notFound}`,
  );

// django-prometheus latency histogram: one label set, `le` written last.
const djangoLatency = (b: [number, number, number], count = b[2]) =>
  lines(
    '# HELP django_http_requests_latency_seconds_by_view_method Histogram of request processing time labelled by view.',
    '# TYPE django_http_requests_latency_seconds_by_view_method histogram',
    `django_http_requests_latency_seconds_by_view_method_bucket{method="GET",view="index",le="0.05"} ${b[0]}`,
    `django_http_requests_latency_seconds_by_view_method_bucket{method="GET",view="index",le="0.1"} ${b[1]}`,
    `django_http_requests_latency_seconds_by_view_method_bucket{method="GET",view="index",le="+Inf"} ${b[2]}`,
    `django_http_requests_latency_seconds_by_view_method_count{method="GET",view="index"} ${count}`,
    'django_http_requests_latency_seconds_by_view_method_sum{method="GET",view="index"} 1.5',
    '# HELP django_http_requests_latency_seconds_by_view_method_created Histogram of request processing time labelled by view.',
    '# TYPE django_http_requests_latency_seconds_by_view_method_created gauge',
    'django_http_requests_latency_seconds_by_view_method_created{method="GET",view="index"} 1.7091186624361e+09',
  );

// prom-client: http_request_duration_seconds for two routes (`le` first), buckets 0.1 0.25 0.5 1 +Inf.
const BOUNDS = ['0.1', '0.25', '0.5', '1', '+Inf'];
const promHistogram = (api: number[], health: number[]) =>
  lines(
    '# HELP http_request_duration_seconds Duration of HTTP requests in seconds',
    '# TYPE http_request_duration_seconds histogram',
    ...BOUNDS.map((le, k) => `http_request_duration_seconds_bucket{le="${le}",method="GET",route="/api",code="200"} ${api[k]}`),
    `http_request_duration_seconds_sum{method="GET",route="/api",code="200"} 12.5`,
    `http_request_duration_seconds_count{method="GET",route="/api",code="200"} ${api[4]}`,
    ...BOUNDS.map((le, k) => `http_request_duration_seconds_bucket{le="${le}",method="GET",route="/health",code="200"} ${health[k]}`),
    `http_request_duration_seconds_sum{method="GET",route="/health",code="200"} 0.5`,
    `http_request_duration_seconds_count{method="GET",route="/health",code="200"} ${health[4]}`,
  );

// client_golang: go_gc_duration_seconds summary.
const goGc = (count: number, sum: number, median = '5.2e-05') =>
  lines(
    '# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.',
    '# TYPE go_gc_duration_seconds summary',
    'go_gc_duration_seconds{quantile="0"} 2.9e-05',
    `go_gc_duration_seconds{quantile="0.5"} ${median}`,
    'go_gc_duration_seconds{quantile="1"} 0.000359',
    `go_gc_duration_seconds_sum ${sum}`,
    `go_gc_duration_seconds_count ${count}`,
  );

// Micrometer: a timer as a summary (count/sum per label set, one with a percentile) and its _max gauge.
const micrometer = (v: { healthCount: number; healthSum: number; apiCount: number; apiSum: number }) =>
  lines(
    '# HELP http_server_requests_seconds  ',
    '# TYPE http_server_requests_seconds summary',
    'http_server_requests_seconds{method="GET",uri="/api",quantile="0.95",} 0.21',
    `http_server_requests_seconds_count{method="GET",uri="/actuator/health",} ${v.healthCount}`,
    `http_server_requests_seconds_sum{method="GET",uri="/actuator/health",} ${v.healthSum}`,
    `http_server_requests_seconds_count{method="GET",uri="/api",} ${v.apiCount}`,
    `http_server_requests_seconds_sum{method="GET",uri="/api",} ${v.apiSum}`,
    '# HELP http_server_requests_seconds_max  ',
    '# TYPE http_server_requests_seconds_max gauge',
    'http_server_requests_seconds_max{method="GET",uri="/actuator/health",} 0.0123',
  );

describe('converting gauges', () => {
  it('turns an unlabelled gauge into its own series, unit from the name and help from HELP', () => {
    const body = lines(
      '# HELP nodejs_eventloop_lag_seconds Lag of event loop in seconds.',
      '# TYPE nodejs_eventloop_lag_seconds gauge',
      'nodejs_eventloop_lag_seconds 0.002731',
    );
    const r = scrape(createConverter(), body, T0);
    assert.deepEqual(values(r), { nodejs_eventloop_lag_seconds: 0.002731 });
    assert.deepEqual(r.series, [{ name: 'nodejs_eventloop_lag_seconds', kind: 'gauge', unit: 's', help: 'Lag of event loop in seconds.' }]);
  });

  it('gives one series per label set and, with several, their sum under the plain name', () => {
    const body = lines(
      '# HELP jvm_memory_used_bytes The amount of used memory',
      '# TYPE jvm_memory_used_bytes gauge',
      'jvm_memory_used_bytes{area="heap",id="G1 Eden Space",} 1048576.0',
      'jvm_memory_used_bytes{area="heap",id="G1 Old Gen",} 4194304.0',
      'jvm_memory_used_bytes{area="nonheap",id="Metaspace",} 2097152.0',
    );
    const r = scrape(createConverter(), body, T0);
    assert.deepEqual(values(r), {
      'jvm_memory_used_bytes{area="heap",id="G1 Eden Space"}': 1048576,
      'jvm_memory_used_bytes{area="heap",id="G1 Old Gen"}': 4194304,
      'jvm_memory_used_bytes{area="nonheap",id="Metaspace"}': 2097152,
      jvm_memory_used_bytes: 7340032,
    });
    assert.equal(info(r, 'jvm_memory_used_bytes').unit, 'B');
    assert.equal(info(r, 'jvm_memory_used_bytes{area="heap",id="G1 Old Gen"}').help, 'The amount of used memory');
  });

  it('gives no sum for a single label set', () => {
    const r = scrape(createConverter(), lines('# TYPE python_info gauge', 'python_info{implementation="CPython",major="3",minor="12"} 1.0'), T0);
    assert.deepEqual(names(r), ['python_info{implementation="CPython",major="3",minor="12"}']);
  });

  it('sorts labels by name and escapes values in series names', () => {
    const body = lines(String.raw`queue_depth{zone="eu",name="a \"b\" \\c"} 3`, String.raw`queue_depth{zone="us",name="line\nbreak"} 4`);
    const r = scrape(createConverter(), body, T0);
    assert.deepEqual(values(r), {
      [String.raw`queue_depth{name="a \"b\" \\c",zone="eu"}`]: 3,
      [String.raw`queue_depth{name="line\nbreak",zone="us"}`]: 4,
      queue_depth: 7,
    });
    assert.equal(info(r, 'queue_depth').kind, 'gauge', 'untyped is converted as a gauge');
  });

  it('uses an unlabelled sample as the plain series instead of a sum', () => {
    const r = scrape(createConverter(), lines('# TYPE pool gauge', 'pool 10', 'pool{kind="idle"} 3', 'pool{kind="busy"} 4'), T0);
    assert.deepEqual(values(r), { pool: 10, 'pool{kind="idle"}': 3, 'pool{kind="busy"}': 4 });
  });
});

describe('converting counters', () => {
  it('gives per-second rates per label set and summed, none on the first scrape, and counts a drop as a reset', () => {
    const c = createConverter();
    const first = scrape(c, django({ get: 1234, post: 56, ok: 1250, notFound: 28 }), T0);
    assert.deepEqual(values(first), {}, 'no rate from one scrape');
    assert.deepEqual(names(first), [
      'django_http_requests_total_by_method_total:rate{method="GET"}',
      'django_http_requests_total_by_method_total:rate{method="POST"}',
      'django_http_requests_total_by_method_total:rate',
      'django_http_responses_total_by_status_total:rate{status="200"}',
      'django_http_responses_total_by_status_total:rate{status="404"}',
      'django_http_responses_total_by_status_total:rate',
    ]);
    assert.deepEqual(info(first, 'django_http_requests_total_by_method_total:rate'), {
      name: 'django_http_requests_total_by_method_total:rate',
      kind: 'counter',
      unit: '/s',
      help: 'Count of requests by method.',
    });

    const second = scrape(c, django({ get: 1284, post: 66, ok: 1290, notFound: 33 }), T0 + 5000);
    assert.deepEqual(values(second), {
      'django_http_requests_total_by_method_total:rate{method="GET"}': 10,
      'django_http_requests_total_by_method_total:rate{method="POST"}': 2,
      'django_http_requests_total_by_method_total:rate': 12,
      'django_http_responses_total_by_status_total:rate{status="200"}': 8,
      'django_http_responses_total_by_status_total:rate{status="404"}': 1,
      'django_http_responses_total_by_status_total:rate': 9,
    });

    // The app restarted: GET fell from 1284 to 20, so 20 requests in 5 s.
    const third = scrape(c, django({ get: 20, post: 71, ok: 1290, notFound: 33 }), T0 + 10_000);
    assert.equal(third.values['django_http_requests_total_by_method_total:rate{method="GET"}'], 4);
    assert.equal(third.values['django_http_requests_total_by_method_total:rate{method="POST"}'], 1);
    assert.equal(third.values['django_http_requests_total_by_method_total:rate'], 5);
    assert.equal(third.values['django_http_responses_total_by_status_total:rate'], 0);
  });

  it('gives an unlabelled counter one rate, in the unit of its name per second', () => {
    const body = (v: number) =>
      lines(
        '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
        '# TYPE process_cpu_seconds_total counter',
        `process_cpu_seconds_total ${v}`,
      );
    const c = createConverter();
    scrape(c, body(0.75), T0);
    const r = scrape(c, body(1.25), T0 + 2000);
    assert.deepEqual(values(r), { 'process_cpu_seconds_total:rate': 0.25 });
    assert.deepEqual(r.series, [{ name: 'process_cpu_seconds_total:rate', kind: 'counter', unit: 's/s', help: 'Total user and system CPU time spent in seconds.' }]);
  });

  it('drops the _created gauges prometheus_client writes beside counters and histograms', () => {
    const r = scrape(createConverter(), django({ get: 1, post: 1, ok: 1, notFound: 1 }) + djangoLatency([1, 1, 1]), T0);
    assert.equal(names(r).filter((n) => n.includes('_created')).length, 0, names(r).join(', '));
    assert.equal(names(r).length, 10);
  });

  it('keeps a gauge named _created when no counter, histogram or summary owns it', () => {
    const r = scrape(createConverter(), lines('# TYPE batch_created gauge', 'batch_created 12'), T0);
    assert.deepEqual(values(r), { batch_created: 12 });
  });

  it('gives a label set that appears later no rate on its first scrape, and leaves it out of the sum', () => {
    const body = (a: number, b?: number) => lines('# TYPE jobs_total counter', `jobs_total{queue="a"} ${a}`, ...(b === undefined ? [] : [`jobs_total{queue="b"} ${b}`]));
    const c = createConverter();
    scrape(c, body(10), T0);
    const r = scrape(c, body(20, 500), T0 + 10_000);
    assert.deepEqual(values(r), { 'jobs_total:rate{queue="a"}': 1, 'jobs_total:rate': 1 });
    assert.ok(names(r).includes('jobs_total:rate{queue="b"}'), 'declared all the same');
    // b vanishes and comes back: forgotten in between, so no rate across the gap.
    scrape(c, body(30), T0 + 20_000);
    const back = scrape(c, body(40, 900), T0 + 30_000);
    assert.deepEqual(values(back), { 'jobs_total:rate{queue="a"}': 1, 'jobs_total:rate': 1 });
  });

  it('takes Δt from the scrape times passed in, not from the samples’ own timestamps', () => {
    const c = createConverter();
    scrape(c, 'x_total 100 1000\n', T0);
    const r = scrape(c, 'x_total 200 999000\n', T0 + 4000);
    assert.deepEqual(values(r), { x_total: 200 }, 'untyped: a gauge');
    const typed = (v: number, ts: number) => lines('# TYPE x counter', `x_total ${v} ${ts}`);
    const d = createConverter();
    scrape(d, typed(100, 1000), T0);
    assert.deepEqual(values(scrape(d, typed(200, 999000), T0 + 4000)), { 'x_total:rate': 25 });
  });

  it('gives no rate when the scrape time does not advance, and starts over from that scrape', () => {
    const body = (v: number) => lines('# TYPE x counter', `x_total ${v}`);
    const c = createConverter();
    scrape(c, body(100), T0);
    assert.deepEqual(values(scrape(c, body(150), T0)), {});
    assert.deepEqual(values(scrape(c, body(160), T0 - 1000)), {});
    assert.deepEqual(values(scrape(c, body(200), T0 + 9000)), { 'x_total:rate': 4 });
  });

  it('forgets everything on reset()', () => {
    const body = (v: number) => lines('# TYPE x counter', `x_total ${v}`);
    const c = createConverter();
    scrape(c, body(100), T0);
    c.reset();
    assert.deepEqual(values(scrape(c, body(150), T0 + 5000)), {});
    assert.deepEqual(values(scrape(c, body(200), T0 + 10_000)), { 'x_total:rate': 10 });
  });
});

describe('converting histograms', () => {
  it('gives p50/p95/p99 over the interval from bucket deltas summed over label sets, and observations per second', () => {
    const c = createConverter();
    const first = scrape(c, promHistogram([10, 20, 30, 40, 40], [0, 0, 0, 0, 0]), T0);
    assert.deepEqual(values(first), {});
    assert.deepEqual(first.series, [
      { name: 'http_request_duration_seconds:p50', kind: 'histogram', unit: 's', help: 'Duration of HTTP requests in seconds' },
      { name: 'http_request_duration_seconds:p95', kind: 'histogram', unit: 's', help: 'Duration of HTTP requests in seconds' },
      { name: 'http_request_duration_seconds:p99', kind: 'histogram', unit: 's', help: 'Duration of HTTP requests in seconds' },
      { name: 'http_request_duration_seconds:rate', kind: 'histogram', unit: '/s', help: 'Duration of HTTP requests in seconds' },
    ]);
    // Deltas: /api [20,40,50,60,60] + /health [20,20,30,36,40] = [40,60,80,96,100].
    const r = scrape(c, promHistogram([30, 60, 80, 100, 100], [20, 20, 30, 36, 40]), T0 + 10_000);
    // p50: rank 50 in (0.1, 0.25], 10 of its 20 → 0.1 + 0.15 × 10/20.
    near(r.values['http_request_duration_seconds:p50'], 0.175, 'p50');
    // p95: rank 95 in (0.5, 1], 15 of its 16 → 0.5 + 0.5 × 15/16.
    near(r.values['http_request_duration_seconds:p95'], 0.96875, 'p95');
    // p99: rank 99 in (1, +Inf] → the highest finite bound.
    assert.equal(r.values['http_request_duration_seconds:p99'], 1);
    assert.equal(r.values['http_request_duration_seconds:rate'], 10);
  });

  it('interpolates the first bucket from zero and treats a drop in the counts as a reset (django-prometheus)', () => {
    const c = createConverter();
    scrape(c, djangoLatency([5, 8, 10]), T0);
    const r = scrape(c, djangoLatency([3, 3, 4]), T0 + 5000);
    assert.deepEqual(names(r), [
      'django_http_requests_latency_seconds_by_view_method:p50',
      'django_http_requests_latency_seconds_by_view_method:p95',
      'django_http_requests_latency_seconds_by_view_method:p99',
      'django_http_requests_latency_seconds_by_view_method:rate',
    ]);
    assert.equal(info(r, 'django_http_requests_latency_seconds_by_view_method:p95').unit, 's', 'unit from _seconds_by_');
    // Reset: this interval's observations are the current counts [3,3,4].
    assert.equal(r.values['django_http_requests_latency_seconds_by_view_method:rate'], 0.8);
    near(r.values['django_http_requests_latency_seconds_by_view_method:p50'], 0.05 * (2 / 3), 'p50');
    assert.equal(r.values['django_http_requests_latency_seconds_by_view_method:p95'], 0.1);
    assert.equal(r.values['django_http_requests_latency_seconds_by_view_method:p99'], 0.1);
  });

  it('gives a zero rate and no percentiles for an interval without observations', () => {
    const c = createConverter();
    scrape(c, djangoLatency([5, 8, 10]), T0);
    const r = scrape(c, djangoLatency([5, 8, 10]), T0 + 5000);
    assert.deepEqual(values(r), { 'django_http_requests_latency_seconds_by_view_method:rate': 0 });
    assert.equal(r.series.length, 4);
  });

  it('starts a label set over when its bucket bounds change', () => {
    const before = lines('# TYPE h histogram', 'h_bucket{le="1"} 1', 'h_bucket{le="+Inf"} 2', 'h_count 2');
    const after = (n: number) => lines('# TYPE h histogram', `h_bucket{le="0.5"} ${n}`, `h_bucket{le="1"} ${2 * n}`, `h_bucket{le="+Inf"} ${4 * n}`, `h_count ${4 * n}`);
    const c = createConverter();
    scrape(c, before, T0);
    assert.deepEqual(values(scrape(c, after(1), T0 + 5000)), {});
    assert.deepEqual(values(scrape(c, after(2), T0 + 10_000)), { 'h:rate': 0.8, 'h:p50': 1, 'h:p95': 1, 'h:p99': 1 });
  });

  it('counts observations from _count, and from the +Inf bucket when _count is missing', () => {
    const body = (inf: number) => lines('# TYPE h histogram', 'h_bucket{le="1"} 0', `h_bucket{le="+Inf"} ${inf}`);
    const c = createConverter();
    scrape(c, body(2), T0);
    assert.deepEqual(values(scrape(c, body(12), T0 + 5000)), { 'h:rate': 2, 'h:p50': 1, 'h:p95': 1, 'h:p99': 1 });
    const d = createConverter();
    scrape(d, djangoLatency([5, 8, 10], 10), T0);
    assert.equal(scrape(d, djangoLatency([5, 8, 12], 20), T0 + 5000).values['django_http_requests_latency_seconds_by_view_method:rate'], 2);
  });
});

describe('bucketQuantile', () => {
  const hist = [
    { le: 0.1, count: 40 },
    { le: 0.25, count: 60 },
    { le: 0.5, count: 80 },
    { le: 1, count: 96 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates linearly inside the bucket, as histogram_quantile does', () => {
    near(bucketQuantile(0.5, hist), 0.175, 'p50');
    near(bucketQuantile(0.95, hist), 0.96875, 'p95');
    near(bucketQuantile(0.2, hist), 0.05, 'p20 in the first bucket, from 0');
    assert.equal(bucketQuantile(0.99, hist), 1, 'in +Inf: the highest finite bound');
  });

  it('has no answer without observations, without a +Inf bucket, or with a single bucket', () => {
    assert.equal(bucketQuantile(0.5, hist.map((b) => ({ ...b, count: 0 }))), undefined);
    assert.equal(bucketQuantile(0.5, hist.slice(0, 4)), undefined);
    assert.equal(bucketQuantile(0.5, [{ le: Infinity, count: 5 }]), undefined);
    assert.equal(bucketQuantile(0, hist), undefined);
    assert.equal(bucketQuantile(1.5, hist), undefined);
  });

  it('evens out counts that dip, and returns a first bound at or below zero as is', () => {
    const dipping = [
      { le: 1, count: 4 },
      { le: 2, count: 3 },
      { le: 3, count: 10 },
      { le: Infinity, count: 10 },
    ];
    near(bucketQuantile(0.5, dipping), 2 + 1 / 6, 'rank 5 in (2, 3] with counts 4,4,10');
    assert.equal(bucketQuantile(0.5, [{ le: -1, count: 5 }, { le: 0, count: 6 }, { le: Infinity, count: 6 }]), -1);
  });
});

describe('converting summaries', () => {
  it('turns Go quantiles into gauges and _count/_sum into a rate and a mean over the interval', () => {
    const c = createConverter();
    const first = scrape(c, goGc(150, 0.5), T0);
    assert.deepEqual(values(first), {
      'go_gc_duration_seconds{quantile="0"}': 0.000029,
      'go_gc_duration_seconds{quantile="0.5"}': 0.000052,
      'go_gc_duration_seconds{quantile="1"}': 0.000359,
    });
    assert.deepEqual(
      first.series.map((s) => [s.name, s.kind, s.unit]),
      [
        ['go_gc_duration_seconds{quantile="0"}', 'gauge', 's'],
        ['go_gc_duration_seconds{quantile="0.5"}', 'gauge', 's'],
        ['go_gc_duration_seconds{quantile="1"}', 'gauge', 's'],
        ['go_gc_duration_seconds:rate', 'counter', '/s'],
        ['go_gc_duration_seconds:mean', 'counter', 's'],
      ],
    );
    const r = scrape(c, goGc(160, 0.75), T0 + 5000);
    assert.equal(r.values['go_gc_duration_seconds:rate'], 2);
    assert.equal(r.values['go_gc_duration_seconds:mean'], 0.025);
  });

  it('leaves a NaN quantile out, still declared', () => {
    const r = scrape(createConverter(), goGc(0, 0, 'NaN'), T0);
    assert.equal('go_gc_duration_seconds{quantile="0.5"}' in r.values, false);
    assert.ok(names(r).includes('go_gc_duration_seconds{quantile="0.5"}'));
    assert.equal(Object.keys(r.values).length, 2);
  });

  it('sums Micrometer timers over label sets into one rate and mean, sorts quantile labels, keeps _max as a gauge', () => {
    const c = createConverter();
    scrape(c, micrometer({ healthCount: 42, healthSum: 0.25, apiCount: 10, apiSum: 2 }), T0);
    const r = scrape(c, micrometer({ healthCount: 52, healthSum: 0.5, apiCount: 30, apiSum: 5.5 }), T0 + 5000);
    assert.deepEqual(values(r), {
      'http_server_requests_seconds{method="GET",quantile="0.95",uri="/api"}': 0.21,
      'http_server_requests_seconds:rate': 6,
      'http_server_requests_seconds:mean': 0.125,
      'http_server_requests_seconds_max{method="GET",uri="/actuator/health"}': 0.0123,
    });
    assert.equal(info(r, 'http_server_requests_seconds_max{method="GET",uri="/actuator/health"}').unit, 's');
  });

  it('gives no mean when a counted label set has no _sum, rather than a skewed one', () => {
    const body = (a: number, b: number) => lines('# TYPE s summary', `s_count{k="a"} ${a}`, `s_sum{k="a"} ${a}`, `s_count{k="b"} ${b}`);
    const c = createConverter();
    scrape(c, body(1, 1), T0);
    const r = scrape(c, body(11, 11), T0 + 5000);
    assert.deepEqual(values(r), { 's:rate': 4 });
    assert.deepEqual(names(r), ['s:rate', 's:mean']);
  });

  it('treats a falling _count as a reset', () => {
    const c = createConverter();
    scrape(c, goGc(160, 0.75), T0);
    const r = scrape(c, goGc(10, 0.25), T0 + 5000);
    assert.equal(r.values['go_gc_duration_seconds:rate'], 2);
    assert.equal(r.values['go_gc_duration_seconds:mean'], 0.025);
  });
});

describe('units', () => {
  it('takes # UNIT first, then the unit word of the name', () => {
    const body = lines(
      '# TYPE req_latency histogram',
      '# UNIT req_latency milliseconds',
      'req_latency_bucket{le="+Inf"} 1',
      '# TYPE payload_bytes gauge',
      'payload_bytes 5',
      '# TYPE temp gauge',
      '# UNIT temp kelvin',
      'temp 300',
      '# TYPE sent_bytes counter',
      'sent_bytes_total 1',
      'requests_in_flight 2',
      '# EOF',
    );
    const r = scrape(createConverter(), body, T0);
    assert.deepEqual(
      r.series.map((s) => [s.name, s.unit]),
      [
        ['req_latency:p50', 'ms'],
        ['req_latency:p95', 'ms'],
        ['req_latency:p99', 'ms'],
        ['req_latency:rate', '/s'],
        ['payload_bytes', 'B'],
        ['temp', 'kelvin'],
        ['sent_bytes_total:rate', 'B/s'],
        ['requests_in_flight', ''],
      ],
    );
  });
});

describe('series limit and collisions', () => {
  const gauges = (n: number) => lines('# TYPE g gauge', ...Array.from({ length: n }, (_, k) => `g{k="${k}"} 1`));

  it('accepts exactly the limit and refuses one more, naming the limit and the count', () => {
    assert.equal(scrape(createConverter(), gauges(499), T0).series.length, 500);
    assert.throws(
      () => scrape(createConverter(), gauges(500), T0),
      (err: unknown) => {
        assert.ok(err instanceof SeriesLimitError);
        assert.ok(err instanceof ExpositionError);
        assert.equal(err.limit, 500);
        assert.equal(err.count, 501);
        assert.equal(err.line, 0);
        assert.equal(err.message, 'the scrape defines 501 series, more than the limit of 500 per source');
        return true;
      },
    );
    assert.throws(() => scrape(createConverter({ maxSeries: 3 }), gauges(3), T0), /the scrape defines 4 series, more than the limit of 3 per source/);
  });

  it('counts series still without a value, so the first scrape meets the limit the later ones do', () => {
    const counters = lines('# TYPE c counter', ...Array.from({ length: 500 }, (_, k) => `c_total{k="${k}"} 1`));
    assert.throws(() => scrape(createConverter(), counters, T0), /defines 501 series/);
  });

  it('leaves the state as it was when a scrape fails, so nothing partial is produced', () => {
    const body = (v: number, extra = 0) => lines('# TYPE x counter', `x_total ${v}`, ...Array.from({ length: extra }, (_, k) => `y{k="${k}"} 1`));
    const c = createConverter();
    scrape(c, body(10), T0);
    assert.throws(() => scrape(c, body(50, 600), T0 + 5000), SeriesLimitError);
    assert.throws(() => scrape(c, `${body(55)}x_total{a="1"} oops\n`, T0 + 7000), ExpositionError);
    const r = scrape(c, body(60), T0 + 10_000);
    assert.deepEqual(values(r), { 'x_total:rate': 5 }, 'from the scrape at T0, not the failed ones');
  });

  it('refuses a series produced twice, naming both lines', () => {
    const body = lines('# TYPE x_total counter', 'x_total 1', '# TYPE x_total:rate gauge', 'x_total:rate 5');
    assert.throws(
      () => scrape(createConverter(), body, T0),
      (err: unknown) => err instanceof ExpositionError && err.line === 4 && err.message === 'line 4: series x_total:rate is produced twice (also from line 2)',
    );
  });

  it('refuses a series name longer than the catalog allows', () => {
    const body = lines('ok 1', `long{v="${'x'.repeat(600)}"} 1`);
    assert.throws(() => scrape(createConverter(), body, T0), /^ExpositionError: line 2: series name long\{v="x+… is 610 characters long, more than 512$/);
  });
});

describe('built-in names', () => {
  it('finds a name or family that is a built-in metric, and nothing else', () => {
    assert.equal(builtinNameOf('cpu.usage_percent'), 'cpu.usage_percent');
    assert.equal(builtinNameOf('memory.available_mb{node="a"}'), 'memory.available_mb');
    assert.equal(builtinNameOf('erp.orders_per_min'), undefined);
    assert.equal(builtinNameOf('cpu'), undefined);
    assert.equal(builtinNameOf('toString'), undefined);
    assert.deepEqual(findBuiltinNames(['erp.orders', 'host.up', 'db.size_mb{db="x"}', 'django_x:rate']), ['host.up', 'db.size_mb{db="x"}']);
  });
});

describe('parsePushJson', () => {
  const now = T0;
  const rejects = (body: unknown, message: RegExp) =>
    assert.throws(
      () => parsePushJson(body, now),
      (err: unknown) => {
        assert.ok(err instanceof PushError, String(err));
        assert.match(err.message, message);
        return true;
      },
    );

  it('reads one item or an array, fills in ts, and writes label parts sorted', () => {
    const [one] = parsePushJson({ values: { 'erp.orders_per_min': 12, 'erp.queue{b="2",a="1"}': 3 } }, now);
    assert.equal(one!.ts, now);
    assert.deepEqual({ ...one!.values }, { 'erp.orders_per_min': 12, 'erp.queue{a="1",b="2"}': 3 });
    const many = parsePushJson([{ ts: now - 1000, values: { a: 1 } }, { ts: now + 5000, values: { 'b:c_d.e': -2.5 } }], now);
    assert.deepEqual(many.map((i) => [i.ts, { ...i.values }]), [
      [now - 1000, { a: 1 }],
      [now + 5000, { 'b:c_d.e': -2.5 }],
    ]);
  });

  it('keeps a value named __proto__ as a value', () => {
    const [item] = parsePushJson(JSON.parse('{"values":{"__proto__":4}}'), now);
    assert.deepEqual(Object.entries(item!.values), [['__proto__', 4]]);
  });

  it('refuses bad shapes, names, values, timestamps and sizes with a clear message', () => {
    rejects(null, /^body must be an object \{"ts"\?, "values": \{name: number\}\}$/);
    rejects('x', /^body must be an object/);
    rejects([], /the body is an empty array/);
    rejects([{ values: { a: 1 } }, 5], /^\[1\] must be an object/);
    rejects({ value: { a: 1 } }, /^body has an unknown field "value" \(only "ts" and "values"\)$/);
    rejects({ values: [1] }, /^body.values must be an object \{name: number\}$/);
    rejects({ values: {} }, /^body.values is empty$/);
    rejects({ values: { a: '12' } }, /^body.values\["a"\] must be a finite number$/);
    rejects({ values: { a: null } }, /must be a finite number/);
    rejects([{ values: { a: 1 } }, { values: { b: Infinity } }], /^\[1\].values\["b"\] must be a finite number$/);
    rejects({ values: { 'a b': 1 } }, /^body.values\["a b"\]: invalid name; 1–200 characters/);
    rejects({ values: { '9lives': 1 } }, /invalid name/);
    rejects({ values: { '': 1 } }, /invalid name/);
    rejects({ values: { ['x'.repeat(201)]: 1 } }, /invalid name/);
    assert.equal(parsePushJson({ values: { ['x'.repeat(200)]: 1 } }, now).length, 1);
    rejects({ values: { 'a{b=1}': 1 } }, /^body.values\["a\{b=1\}"\]: expected a quoted value for label "b"$/);
    rejects({ values: { 'a{b="1"}x': 1 } }, /unexpected "x" after the label set/);
    rejects({ values: { 'q{a="1",b="2"}': 1, 'q{b="2",a="1"}': 2 } }, /^body.values\["q\{b=\\"2\\",a=\\"1\\"\}"\] is the same series as "q\{a=\\"1\\",b=\\"2\\"\}"$/);
    rejects({ ts: 'now', values: { a: 1 } }, /^body.ts must be an integer: epoch milliseconds$/);
    rejects({ ts: now + 0.5, values: { a: 1 } }, /ts must be an integer/);
    rejects({ ts: 1_700_000_000, values: { a: 1 } }, /^body.ts 1700000000 is before 1973: send epoch milliseconds, not seconds$/);
    rejects({ ts: now + 5001, values: { a: 1 } }, /^body.ts is 5.0 s in the future \(at most 5 s\)$/);
    rejects({ values: Object.fromEntries(Array.from({ length: 1001 }, (_, k) => [`m${k}`, k])) }, /^body.values has 1001 entries, more than the limit of 1000$/);
    assert.equal(Object.keys(parsePushJson({ values: Object.fromEntries(Array.from({ length: 1000 }, (_, k) => [`m${k}`, k])) }, now)[0]!.values).length, 1000);
    rejects(Array.from({ length: 1001 }, () => ({ values: { a: 1 } })), /^the body has 1001 items, more than the limit of 1000$/);
    assert.equal(parsePushJson(Array.from({ length: 1000 }, () => ({ values: { a: 1 } })), now).length, 1000);
  });
});
