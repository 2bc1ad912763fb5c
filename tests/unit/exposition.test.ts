import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_PARSE_LIMITS,
  ExpositionError,
  formatSeriesName,
  parseExposition,
  parseLabelSet,
  parseNumber,
  type MetricFamily,
  type ParseOptions,
} from '../../server/scrape/exposition.ts';

const lines = (...l: string[]) => `${l.join('\n')}\n`;

function family(families: MetricFamily[], name: string): MetricFamily {
  const found = families.filter((f) => f.name === name);
  assert.equal(found.length, 1, `one family ${name}, found ${found.length} in ${families.map((f) => f.name).join(', ')}`);
  return found[0]!;
}

/** Asserts the body is refused on `line` with a message matching `message`. */
function rejects(body: string, line: number, message: RegExp, options?: ParseOptions): void {
  assert.throws(
    () => parseExposition(body, options),
    (err: unknown) => {
      assert.ok(err instanceof ExpositionError, `expected an ExpositionError, got ${String(err)}`);
      assert.ok(err instanceof Error);
      assert.equal(err.line, line, err.message);
      assert.ok(err.message.startsWith(`line ${line}: `), err.message);
      assert.match(err.message, message);
      return true;
    },
  );
}

// django-prometheus 2.3 on prometheus_client 0.20, format 0.0.4 (label order as written: `le` last).
const DJANGO = lines(
  '# HELP django_http_requests_total_by_method_total Count of requests by method.',
  '# TYPE django_http_requests_total_by_method_total counter',
  'django_http_requests_total_by_method_total{method="GET"} 1234.0',
  'django_http_requests_total_by_method_total{method="POST"} 56.0',
  '# HELP django_http_requests_total_by_method_created Count of requests by method.',
  '# TYPE django_http_requests_total_by_method_created gauge',
  'django_http_requests_total_by_method_created{method="GET"} 1.7091186624361e+09',
  'django_http_requests_total_by_method_created{method="POST"} 1.7091186631021e+09',
  '# HELP django_http_responses_total_by_status_total Count of responses by status.',
  '# TYPE django_http_responses_total_by_status_total counter',
  'django_http_responses_total_by_status_total{status="200"} 1250.0',
  'django_http_responses_total_by_status_total{status="404"} 28.0',
  '# HELP django_http_requests_latency_seconds_by_view_method Histogram of request processing time labelled by view.',
  '# TYPE django_http_requests_latency_seconds_by_view_method histogram',
  'django_http_requests_latency_seconds_by_view_method_bucket{method="GET",view="index",le="0.05"} 800.0',
  'django_http_requests_latency_seconds_by_view_method_bucket{method="GET",view="index",le="0.1"} 1100.0',
  'django_http_requests_latency_seconds_by_view_method_bucket{method="GET",view="index",le="+Inf"} 1234.0',
  'django_http_requests_latency_seconds_by_view_method_count{method="GET",view="index"} 1234.0',
  'django_http_requests_latency_seconds_by_view_method_sum{method="GET",view="index"} 61.7',
);

// prom-client 15 defaults plus an http histogram (`le` first, blank lines between families).
const PROM_CLIENT = [
  '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
  '# TYPE process_cpu_seconds_total counter',
  'process_cpu_seconds_total 0.84',
  '',
  '# HELP nodejs_eventloop_lag_seconds Lag of event loop in seconds.',
  '# TYPE nodejs_eventloop_lag_seconds gauge',
  'nodejs_eventloop_lag_seconds 0.002731',
  '',
  '# HELP http_request_duration_seconds Duration of HTTP requests in seconds',
  '# TYPE http_request_duration_seconds histogram',
  'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api",code="200"} 3',
  'http_request_duration_seconds_bucket{le="0.01",method="GET",route="/api",code="200"} 7',
  'http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api",code="200"} 9',
  'http_request_duration_seconds_sum{method="GET",route="/api",code="200"} 0.0612',
  'http_request_duration_seconds_count{method="GET",route="/api",code="200"} 9',
  '',
].join('\n');

// client_golang's Go collector: a summary with quantiles.
const GO_CLIENT = lines(
  '# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.',
  '# TYPE go_gc_duration_seconds summary',
  'go_gc_duration_seconds{quantile="0"} 2.9e-05',
  'go_gc_duration_seconds{quantile="0.25"} 4.1e-05',
  'go_gc_duration_seconds{quantile="0.5"} 5.2e-05',
  'go_gc_duration_seconds{quantile="0.75"} 7.8e-05',
  'go_gc_duration_seconds{quantile="1"} 0.000359',
  'go_gc_duration_seconds_sum 0.0123',
  'go_gc_duration_seconds_count 150',
  '# HELP go_goroutines Number of goroutines that currently exist.',
  '# TYPE go_goroutines gauge',
  'go_goroutines 42',
);

// Micrometer 1.x (Spring Boot): empty HELP with a trailing blank, trailing commas in label sets.
const MICROMETER = lines(
  '# HELP http_server_requests_seconds  ',
  '# TYPE http_server_requests_seconds summary',
  'http_server_requests_seconds_count{exception="None",method="GET",outcome="SUCCESS",status="200",uri="/actuator/health",} 42.0',
  'http_server_requests_seconds_sum{exception="None",method="GET",outcome="SUCCESS",status="200",uri="/actuator/health",} 0.251',
  '# HELP http_server_requests_seconds_max  ',
  '# TYPE http_server_requests_seconds_max gauge',
  'http_server_requests_seconds_max{exception="None",method="GET",outcome="SUCCESS",status="200",uri="/actuator/health",} 0.0123',
);

describe('parseExposition: real client output', () => {
  it('reads django-prometheus counters, their _created gauges and a histogram with its buckets, sum and count', () => {
    const families = parseExposition(DJANGO);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['django_http_requests_total_by_method_total', 'counter', 2],
        ['django_http_requests_total_by_method_created', 'gauge', 2],
        ['django_http_responses_total_by_status_total', 'counter', 2],
        ['django_http_requests_latency_seconds_by_view_method', 'histogram', 5],
      ],
    );
    const byMethod = family(families, 'django_http_requests_total_by_method_total');
    assert.equal(byMethod.help, 'Count of requests by method.');
    assert.deepEqual(byMethod.samples[0], {
      name: 'django_http_requests_total_by_method_total',
      labels: [['method', 'GET']],
      series: 'django_http_requests_total_by_method_total{method="GET"}',
      value: 1234,
      line: 3,
    });
    assert.equal(family(families, 'django_http_requests_total_by_method_created').samples[1]!.value, 1.7091186631021e9);
    const latency = family(families, 'django_http_requests_latency_seconds_by_view_method');
    assert.deepEqual(
      latency.samples.map((s) => [s.name.slice(latency.name.length), s.labels.map((l) => l[0]).join(','), s.value]),
      [
        ['_bucket', 'le,method,view', 800],
        ['_bucket', 'le,method,view', 1100],
        ['_bucket', 'le,method,view', 1234],
        ['_count', 'method,view', 1234],
        ['_sum', 'method,view', 61.7],
      ],
      'labels are sorted by name, `le` included',
    );
    assert.equal(latency.line, 13);
  });

  it('reads prom-client defaults across blank lines', () => {
    const families = parseExposition(PROM_CLIENT);
    assert.deepEqual(families.map((f) => `${f.name}:${f.type}`), [
      'process_cpu_seconds_total:counter',
      'nodejs_eventloop_lag_seconds:gauge',
      'http_request_duration_seconds:histogram',
    ]);
    assert.equal(family(families, 'nodejs_eventloop_lag_seconds').samples[0]!.value, 0.002731);
    const http = family(families, 'http_request_duration_seconds');
    assert.equal(http.samples.length, 5);
    assert.deepEqual(http.samples[0]!.labels, [['code', '200'], ['le', '0.005'], ['method', 'GET'], ['route', '/api']]);
    assert.equal(http.samples[0]!.series, 'http_request_duration_seconds_bucket{code="200",le="0.005",method="GET",route="/api"}');
    assert.equal(http.samples[4]!.line, 15);
  });

  it('reads a Go summary: quantile samples, _sum and _count in one family', () => {
    const families = parseExposition(GO_CLIENT);
    const gc = family(families, 'go_gc_duration_seconds');
    assert.equal(gc.type, 'summary');
    assert.deepEqual(
      gc.samples.map((s) => formatSeriesName(s.name, s.labels)),
      [
        'go_gc_duration_seconds{quantile="0"}',
        'go_gc_duration_seconds{quantile="0.25"}',
        'go_gc_duration_seconds{quantile="0.5"}',
        'go_gc_duration_seconds{quantile="0.75"}',
        'go_gc_duration_seconds{quantile="1"}',
        'go_gc_duration_seconds_sum',
        'go_gc_duration_seconds_count',
      ],
    );
    assert.equal(gc.samples[0]!.value, 0.000029);
    assert.equal(family(families, 'go_goroutines').samples[0]!.value, 42);
  });

  it('reads Micrometer: trailing commas in label sets and an empty HELP', () => {
    const families = parseExposition(MICROMETER);
    const requests = family(families, 'http_server_requests_seconds');
    assert.equal(requests.type, 'summary');
    assert.equal(requests.help, '');
    assert.deepEqual(requests.samples[0]!.labels, [
      ['exception', 'None'],
      ['method', 'GET'],
      ['outcome', 'SUCCESS'],
      ['status', '200'],
      ['uri', '/actuator/health'],
    ]);
    assert.equal(requests.samples[0]!.value, 42);
    assert.equal(family(families, 'http_server_requests_seconds_max').type, 'gauge');
  });
});

describe('parseExposition: syntax', () => {
  it('unescapes HELP (\\\\, \\n) and label values (\\", \\\\, \\n), and formats them back escaped', () => {
    const body = String.raw`# HELP odd_total Paths like C:\\temp\nsecond line
# TYPE odd_total counter
odd_total{path="C:\\temp",quote="say \"hi\"",nl="a\nb"} 1
`;
    const [odd] = parseExposition(body);
    assert.equal(odd!.help, 'Paths like C:\\temp\nsecond line');
    assert.deepEqual(odd!.samples[0]!.labels, [['nl', 'a\nb'], ['path', 'C:\\temp'], ['quote', 'say "hi"']]);
    const canonical = String.raw`odd_total{nl="a\nb",path="C:\\temp",quote="say \"hi\""}`;
    assert.equal(formatSeriesName('odd_total', odd!.samples[0]!.labels), canonical);
    assert.equal(odd!.samples[0]!.series, canonical);
  });

  it('accepts blanks and tabs between tokens, an empty label set, comments, blank lines and CRLF', () => {
    const body = ['# just a comment', '#   another one', '', '  \t', 'a  \t 1', 'b{} 2', 'c { x = "1" , } 3', 'd{x="1"}4\r', ''].join('\n');
    const families = parseExposition(body);
    assert.deepEqual(
      families.map((f) => [f.name, f.samples[0]!.labels, f.samples[0]!.value]),
      [
        ['a', [], 1],
        ['b', [], 2],
        ['c', [['x', '1']], 3],
        ['d', [['x', '1']], 4],
      ],
    );
  });

  it('reads +Inf, -Inf and NaN on summary quantiles, and exponent notation', () => {
    const body = lines(
      '# TYPE q summary',
      'q{quantile="0.5"} NaN',
      'q{quantile="0.9"} +Inf',
      'q{quantile="0.99"} -Inf',
      'q_sum -1.5E+2',
      'q_count 3e0',
      'e1 1.5e-3',
      'e2 .5',
      'e3 -7.',
    );
    const families = parseExposition(body);
    const q = family(families, 'q');
    assert.ok(Number.isNaN(q.samples[0]!.value));
    assert.equal(q.samples[1]!.value, Infinity);
    assert.equal(q.samples[2]!.value, -Infinity);
    assert.equal(q.samples[3]!.value, -150);
    assert.equal(q.samples[4]!.value, 3);
    assert.deepEqual(families.slice(1).map((f) => f.samples[0]!.value), [0.0015, 0.5, -7]);
  });

  it('drops a label whose value is empty, as Prometheus does', () => {
    const [f] = parseExposition('x{a="",b="1"} 1\n');
    assert.deepEqual(f!.samples[0]!.labels, [['b', '1']]);
  });

  it('treats samples with no TYPE line, or before theirs, as untyped', () => {
    const body = lines('early 1', 'x_total 5', '# TYPE x counter', 'x_total{a="1"} 6', 'later 2');
    const families = parseExposition(body);
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.map((s) => s.line)]),
      [
        ['early', 'untyped', [1]],
        ['x_total', 'untyped', [2]],
        ['x', 'counter', [4]],
        ['later', 'untyped', [5]],
      ],
    );
  });

  it('keeps earlier untyped samples apart when a TYPE for the same name follows them', () => {
    const families = parseExposition(lines('g{a="1"} 1', '# TYPE g gauge', 'g{a="2"} 2'));
    assert.deepEqual(
      families.map((f) => [f.name, f.type, f.samples.length]),
      [
        ['g', 'untyped', 1],
        ['g', 'gauge', 1],
      ],
    );
  });

  it('attaches samples to their family even when families interleave', () => {
    const body = lines('# TYPE h histogram', '# TYPE c counter', 'h_bucket{le="+Inf"} 1', 'c_total 2', 'h_count 1', 'c_created 1.7e9');
    const families = parseExposition(body);
    assert.deepEqual(families.map((f) => [f.name, f.samples.map((s) => s.name)]), [
      ['h', ['h_bucket', 'h_count']],
      ['c', ['c_total', 'c_created']],
    ]);
  });

  it('reads millisecond timestamps in format 0.0.4', () => {
    const [f] = parseExposition('x 1 1700000000123\ny -2 -5\n');
    assert.equal(f!.samples[0]!.timestampMs, 1700000000123);
    assert.equal(parseExposition('y 2 -5\n')[0]!.samples[0]!.timestampMs, -5);
    assert.equal(f!.samples[0]!.line, 1);
  });

  it('reads OpenMetrics: # UNIT, _created in the family, second timestamps, exemplars and # EOF', () => {
    const body = lines(
      '# TYPE rpc_duration_seconds histogram',
      '# UNIT rpc_duration_seconds seconds',
      '# HELP rpc_duration_seconds RPC latency.',
      'rpc_duration_seconds_bucket{le="0.1"} 3 # {trace_id="abc"} 0.07 1700000000.5',
      'rpc_duration_seconds_bucket{le="+Inf"} 4',
      'rpc_duration_seconds_count 4 1700000001.25',
      'rpc_duration_seconds_sum 0.9',
      'rpc_duration_seconds_created 1700000000.0',
      '# TYPE jobs counter',
      'jobs_total 7',
      'jobs_created 1700000000.0',
      '# TYPE build info',
      'build_info{version="1.2"} 1',
      '# EOF',
    );
    const families = parseExposition(body);
    const rpc = family(families, 'rpc_duration_seconds');
    assert.equal(rpc.unit, 'seconds');
    assert.equal(rpc.help, 'RPC latency.');
    assert.deepEqual(rpc.samples.map((s) => s.name.slice(rpc.name.length)), ['_bucket', '_bucket', '_count', '_sum', '_created']);
    assert.equal(rpc.samples[2]!.timestampMs, 1700000001250);
    assert.deepEqual(family(families, 'jobs').samples.map((s) => s.name), ['jobs_total', 'jobs_created']);
    const build = family(families, 'build');
    assert.equal(build.type, 'gauge', 'an info family is read as a gauge');
    assert.equal(build.samples[0]!.name, 'build_info');
  });

  it('returns no families for an empty body or comments only', () => {
    assert.deepEqual(parseExposition(''), []);
    assert.deepEqual(parseExposition('# nothing here\n\n'), []);
  });

  it('keeps a family that has HELP and TYPE but no samples', () => {
    const [f] = parseExposition(lines('# HELP idle_total Never incremented.', '# TYPE idle_total counter'));
    assert.deepEqual(f, { name: 'idle_total', type: 'counter', help: 'Never incremented.', unit: undefined, samples: [], line: 1 });
  });
});

describe('parseExposition: refused input', () => {
  it('names the line of an invalid metric or label name', () => {
    rejects(lines('ok 1', '1abc 1'), 2, /invalid metric name "1abc"/);
    rejects(lines('foo-bar 1'), 1, /invalid metric name "foo-bar"/);
    rejects(lines('ok 1', 'ok2 2', 'x{1a="b"} 1'), 3, /invalid label name "1a"/);
    rejects(lines('x{a:b="1"} 1'), 1, /expected "=" after label name "a"/);
    rejects(lines('# TYPE bad-name counter'), 1, /invalid metric name "bad-name" in # TYPE/);
  });

  it('refuses broken label sets', () => {
    rejects('x{a="1" 2\n', 1, /expected "," or "}" after the value of label "a"/);
    rejects('x{a="1\n', 1, /the value of label "a" is not closed with a quote/);
    rejects('x{a=1} 2\n', 1, /expected a quoted value for label "a"/);
    rejects('x{a="1",a="2"} 2\n', 1, /duplicate label "a"/);
    rejects('x{a="1"\n', 1, /expected "," or "}" after the value of label "a", found the end of the line/);
    rejects('x{,} 1\n', 1, /invalid label name/);
    rejects('x{a="1",\n', 1, /the label set is not closed with "}"/);
  });

  it('refuses an unknown escape in a label value or HELP', () => {
    rejects(String.raw`x{a="tab\there"} 1` + '\n', 1, /invalid escape \\t in the value of label "a"/);
    rejects(lines('ok 1', String.raw`# HELP x bad \d escape`), 2, /invalid escape \\d in # HELP/);
  });

  it('refuses a missing, malformed or non-decimal value and a bad timestamp', () => {
    rejects('x\n', 1, /x has no value/);
    rejects('x{a="1"}\n', 1, /x\{a="1"\} has no value/);
    rejects('x 1,5\n', 1, /invalid value "1,5" for x/);
    rejects('x 0x10\n', 1, /invalid value "0x10"/);
    rejects('x 1_000\n', 1, /invalid value "1_000"/);
    rejects('x 1e\n', 1, /invalid value "1e"/);
    rejects('x 1 1.5\n', 1, /invalid timestamp "1.5" for x \(integer milliseconds\)/);
    rejects('x 1 17e8\n', 1, /invalid timestamp "17e8"/);
    rejects('x 1 123 extra\n', 1, /unexpected "extra" after the value of x/);
    rejects('x 1 # {a="b"} 1\n', 1, /invalid timestamp "#"/, { openMetrics: false });
  });

  it('refuses NaN and ±Inf everywhere but on a summary quantile', () => {
    rejects(lines('# TYPE g gauge', 'g NaN'), 2, /g has the value NaN; only finite numbers/);
    rejects(lines('u +Inf'), 1, /u has the value \+Inf/);
    rejects(lines('# TYPE c counter', 'c_total -Inf'), 2, /c_total has the value -Inf/);
    rejects(lines('# TYPE h histogram', 'h_bucket{le="+Inf"} NaN'), 2, /h_bucket\{le="\+Inf"\} has the value NaN/);
    rejects(lines('# TYPE s summary', 's{quantile="0.5"} NaN', 's_sum NaN'), 3, /s_sum has the value NaN/);
    rejects(lines('# TYPE s summary', 's_count Inf'), 2, /s_count has the value Inf/);
  });

  it('refuses a series given twice, naming the first line', () => {
    rejects(lines('# TYPE x gauge', 'x{a="1",b="2"} 1', 'x{b="2",a="1"} 2'), 3, /duplicate series x\{a="1",b="2"\} \(first on line 2\)/);
    rejects(lines('y 1', 'y 2'), 2, /duplicate series y \(first on line 1\)/);
  });

  it('refuses malformed histograms and summaries', () => {
    rejects(lines('# TYPE h histogram', 'h_bucket{le="1"} 1', 'h_count 1'), 2, /histogram h has no le="\+Inf" bucket/);
    const threeSets = lines('# TYPE h histogram', 'h_bucket{le="+Inf",a="1"} 1', 'h_bucket{le="+Inf",a="2"} 1', 'h_bucket{le="1",a="3"} 1');
    rejects(threeSets, 4, /histogram h\{a="3"\} has no le="\+Inf"/);
    rejects(lines('# TYPE h histogram', 'h_bucket 1'), 2, /histogram bucket h_bucket has no "le" label/);
    rejects(lines('# TYPE h histogram', 'h_bucket{le="fast"} 1'), 2, /invalid bucket bound le="fast"/);
    rejects(lines('# TYPE h histogram', 'h_bucket{le="1"} 1', 'h_bucket{le="1.0"} 1'), 3, /duplicate bucket le="1.0"/);
    rejects(lines('# TYPE h histogram', 'h 1'), 2, /sample h does not fit histogram h \(expected h_bucket, h_sum, h_count, h_created\)/);
    rejects(lines('# TYPE s summary', 's 1'), 2, /summary sample s has no "quantile" label/);
    rejects(lines('# TYPE s summary', 's{quantile="1.5"} 1'), 2, /invalid quantile="1.5" on s \(expected 0 to 1\)/);
    rejects(lines('# TYPE s summary', 's{quantile="0.5"} 1', 's{quantile="0.50"} 1'), 3, /duplicate quantile="0.50"/);
  });

  it('refuses a second TYPE, HELP or UNIT and unknown types', () => {
    rejects(lines('# TYPE x gauge', 'x 1', '# TYPE x gauge'), 3, /a second # TYPE for x \(the first is on line 1\)/);
    rejects(lines('# HELP x one', '# HELP x two'), 2, /a second # HELP for x \(the first is on line 1\)/);
    rejects(lines('# UNIT x seconds', '# UNIT x bytes'), 2, /a second # UNIT for x/);
    rejects(lines('# TYPE x meter'), 1, /unknown type "meter" for x/);
    rejects(lines('# TYPE x constructor'), 1, /unknown type "constructor"/);
    rejects(lines('# TYPE x'), 1, /# TYPE x needs a type/);
    rejects(lines('# TYPE x gauge extra'), 1, /unexpected "extra" after # TYPE x gauge/);
    rejects(lines('# TYPE x gaugehistogram'), 1, /gaugehistogram of x is not supported/);
    rejects(lines('# HELP'), 1, /# HELP needs a metric name/);
  });

  it('refuses anything after # EOF', () => {
    rejects(lines('x 1', '# EOF', 'y 2'), 3, /nothing may follow "# EOF" \(line 2\)/);
    assert.equal(parseExposition(lines('x 1', '# EOF', '')).length, 1, 'blank lines after # EOF are fine');
  });

  it('holds the label value length and labels per sample limits, exactly at the limit included', () => {
    const max = DEFAULT_PARSE_LIMITS.maxLabelValueLength;
    assert.equal(parseExposition(`x{a="${'v'.repeat(max)}"} 1\n`)[0]!.samples[0]!.labels[0]![1].length, max);
    rejects(lines('ok 1', `x{a="${'v'.repeat(max + 1)}"} 1`), 2, /the value of label "a" is longer than 1024 characters \(the limit\)/);
    rejects(`x{a="${'\\\\'.repeat(max + 1)}"} 1\n`, 1, /longer than 1024 characters/, undefined);
    rejects(`x{a="\\n",b="${'v'.repeat(max + 1)}"} 1\n`, 1, /the value of label "b" is longer than 1024 characters/);
    const labels = (n: number) => Array.from({ length: n }, (_, k) => `l${k}="${k}"`).join(',');
    assert.equal(parseExposition(`x{${labels(32)}} 1\n`)[0]!.samples[0]!.labels.length, 32);
    rejects(lines('ok 1', 'ok2 1', `x{${labels(33)}} 1`), 3, /more than 32 labels on one sample \(the limit\)/);
    rejects(`x{${labels(5)}} 1\n`, 1, /more than 4 labels/, { maxLabelsPerSample: 4 });
  });

  it('holds the line length limit', () => {
    const max = DEFAULT_PARSE_LIMITS.maxLineLength;
    const name = 'n'.repeat(max - 2);
    assert.equal(parseExposition(`${name} 1\n`)[0]!.name, name, 'a line of exactly the limit parses');
    rejects(lines('ok 1', `${name}0 1`), 2, new RegExp(`the line is ${max + 1} characters long, more than the limit of ${max}`));
    rejects(`# ${'c'.repeat(200)}\n`, 1, /the line is 202 characters long, more than the limit of 100/, { maxLineLength: 100 });
  });

  it('holds the line count limit', () => {
    const max = DEFAULT_PARSE_LIMITS.maxLines;
    assert.equal(parseExposition('# c\n'.repeat(max)).length, 0);
    rejects('# c\n'.repeat(max + 1), max + 1, /the body has more than 50000 lines \(the limit\)/);
    rejects(lines('a 1', 'b 1', 'c 1', 'd 1'), 4, /more than 3 lines/, { maxLines: 3 });
  });

  it('holds the byte limit in UTF-8 bytes, naming the line that passes it', () => {
    const body = lines('a{x="ééé"} 1', 'b{x="ééé"} 1'); // 16 bytes per line with its newline, 13 characters
    assert.equal(Buffer.byteLength(body), 32);
    assert.equal(parseExposition(body, { maxBytes: 32 }).length, 2);
    rejects(body, 2, /the body is larger than 31 bytes \(the limit\)/, { maxBytes: 31 });
    rejects(body, 1, /larger than 15 bytes/, { maxBytes: 15 });
    const big = `# ${'x'.repeat(1000)}\n`.repeat(4300); // 1003 bytes a line: line 4182 passes 4 MiB
    rejects(big, 4182, /the body is larger than 4194304 bytes/);
  });

  it('is an ExpositionError with the line, and returns nothing for a body with one bad line', () => {
    const body = `${DJANGO}${GO_CLIENT}go_threads 8 oops\n`;
    let result: MetricFamily[] | undefined;
    // assert.throws: a parse that returned without throwing would skip the checks of the error.
    assert.throws(
      () => {
        result = parseExposition(body);
      },
      (err: unknown) => {
        assert.ok(err instanceof ExpositionError);
        assert.equal(err.line, 32);
        assert.equal(err.detail, 'invalid timestamp "oops" for go_threads (integer milliseconds)');
        assert.equal(err.message, 'line 32: invalid timestamp "oops" for go_threads (integer milliseconds)');
        return true;
      },
    );
    assert.equal(result, undefined);
  });
});

describe('parseExposition: pathological lines', () => {
  // Linear scanning: each of these 64 kB lines is refused or read at once (a backtracking
  // parser would hang here; the timeout only guards the run, it measures nothing).
  const max = DEFAULT_PARSE_LIMITS.maxLineLength;
  const fill = (prefix: string, unit: string, suffix = '') => prefix + unit.repeat(Math.floor((max - prefix.length - suffix.length) / unit.length)) + suffix;

  it('handles 64 kB lines of repeated tokens without backtracking', { timeout: 10_000 }, () => {
    rejects(fill('x{', 'a="1",'), 1, /more than 32 labels/);
    rejects(fill('x{a="', '\\"'), 1, /longer than 1024 characters/);
    rejects(fill('', 'a'), 1, /has no value/);
    rejects(fill('x ', '1'), 1, /invalid value|has the value/);
    rejects(fill('x 1 ', ' \t'.repeat(1), '2x'), 1, /invalid timestamp "2x"/);
    rejects(fill('x{a="1"}', ' '), 1, /has no value/);
    rejects(fill('x 1', 'e'), 1, /invalid value "1ee/);
    rejects(fill('x ', '1e1'), 1, /invalid value "1e11e1/);
    assert.equal(parseExposition(fill('# HELP x ', '\\\\')).at(0)!.help!.length, Math.floor((max - 9) / 2));
    assert.equal(parseExposition(fill('# ', '{"}')).length, 0);
    assert.equal(parseExposition(`${fill('x', '_', ' 1')}\n`)[0]!.samples[0]!.value, 1);
  });
});

describe('parseNumber', () => {
  it('reads the text format numbers and nothing else', () => {
    const good: Array<[string, number]> = [
      ['0', 0], ['-0.5', -0.5], ['+3', 3], ['1.5e-3', 0.0015], ['2E+2', 200], ['.5', 0.5], ['7.', 7],
      ['+Inf', Infinity], ['-Inf', -Infinity], ['Inf', Infinity], ['inf', Infinity], ['+infinity', Infinity],
    ];
    for (const [t, v] of good) assert.equal(parseNumber(t), v, t);
    assert.ok(Number.isNaN(parseNumber('NaN')!));
    assert.ok(Number.isNaN(parseNumber('nan')!));
    for (const t of ['', '+', '-', '.', 'e5', '1e', '1e+', '0x1f', '1_0', '1,5', '--1', '+NaN', 'Infx', '1 ', 'Infinityy', '1.2.3']) {
      assert.equal(parseNumber(t), undefined, t);
    }
  });
});

describe('parseLabelSet', () => {
  it('reads a standalone label set sorted, and refuses junk after it', () => {
    assert.deepEqual(parseLabelSet('{b="2",a="1"}'), [['a', '1'], ['b', '2']]);
    assert.throws(
      () => parseLabelSet('{a="1"} x'),
      (e: unknown) => e instanceof ExpositionError && e.line === 0 && e.message === 'unexpected " x" after the label set',
    );
    assert.throws(() => parseLabelSet('a="1"'), /a label set starts with "\{"/);
  });
});
