/**
 * Load generator (a child process of the bench): an application's /metrics
 * in Prometheus text, changing between requests, for the scrape benchmark.
 * About 500 glasswatch series after conversion (server/scrape/convert.ts):
 *   - counter app_http_requests_total{method,route,status}: 4 × 20 × 5 = 400
 *     label sets → 400 rates + their sum;
 *   - counter app_jobs_total{queue}: 20 → 21;
 *   - gauge app_queue_depth{queue}: 20 → 21; gauge app_cache_entries{cache}:
 *     40 → 41;
 *   - histograms app_http_request_duration_seconds{route} (20 label sets × 12
 *     buckets) and app_db_query_duration_seconds{query} (10 × 12) → p50, p95,
 *     p99 and a rate each = 8.
 * About 1,000 lines, ~90 kB per scrape.
 *
 * Commands: start → {url, series}; stats {reset?} → requests served, bytes.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from './ipc.ts';

const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const ROUTES = Array.from({ length: 20 }, (_, i) => `/api/v1/resource_${String.fromCharCode(97 + i)}`);
const STATUSES = ['200', '201', '404', '500', '503'];
const QUEUES = Array.from({ length: 20 }, (_, i) => `queue_${i}`);
const CACHES = Array.from({ length: 40 }, (_, i) => `cache_${i}`);
const QUERIES = Array.from({ length: 10 }, (_, i) => `query_${i}`);
const BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const requests = new Map<string, number>();
const jobs = QUEUES.map(() => 0);
const latency = new Map<string, number[]>(); // cumulative bucket counts (+Inf last), then sum
const dbLatency = new Map<string, number[]>();

function observe(map: Map<string, number[]>, key: string, seconds: number) {
  let b = map.get(key);
  if (!b) map.set(key, (b = new Array(BOUNDS.length + 2).fill(0)));
  for (let i = 0; i < BOUNDS.length; i++) if (seconds <= BOUNDS[i]!) b[i]!++;
  b[BOUNDS.length]!++;
  b[BOUNDS.length + 1]! += seconds;
}

/** Traffic since the last scrape: a few hundred requests and jobs. */
function advance() {
  for (let k = 0; k < 400; k++) {
    const m = METHODS[Math.floor(Math.random() ** 2 * METHODS.length)]!;
    const r = ROUTES[Math.floor(Math.random() * ROUTES.length)]!;
    const s = STATUSES[Math.random() < 0.9 ? 0 : 1 + Math.floor(Math.random() * 4)]!;
    const key = `method="${m}",route="${r}",status="${s}"`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
    observe(latency, `route="${r}"`, Math.random() ** 3 * 2);
  }
  for (let q = 0; q < QUEUES.length; q++) jobs[q]! += Math.floor(Math.random() * 5);
  for (let k = 0; k < 100; k++) observe(dbLatency, `query="${QUERIES[Math.floor(Math.random() * QUERIES.length)]}"`, Math.random() ** 4 * 0.5);
}

// Every label set exists from the start (a label set appearing later would change the series count).
for (const m of METHODS) for (const r of ROUTES) for (const s of STATUSES) requests.set(`method="${m}",route="${r}",status="${s}"`, 0);
for (const r of ROUTES) observe(latency, `route="${r}"`, 0.01);
for (const q of QUERIES) observe(dbLatency, `query="${q}"`, 0.001);

function histogram(name: string, help: string, map: Map<string, number[]>): string[] {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
  for (const [labels, b] of map) {
    BOUNDS.forEach((le, i) => lines.push(`${name}_bucket{${labels},le="${le}"} ${b[i]}`));
    lines.push(`${name}_bucket{${labels},le="+Inf"} ${b[BOUNDS.length]}`);
    lines.push(`${name}_sum{${labels}} ${b[BOUNDS.length + 1]!.toFixed(6)}`);
    lines.push(`${name}_count{${labels}} ${b[BOUNDS.length]}`);
  }
  return lines;
}

function render(): string {
  advance();
  const lines = ['# HELP app_http_requests_total Requests served.', '# TYPE app_http_requests_total counter'];
  for (const [labels, n] of requests) lines.push(`app_http_requests_total{${labels}} ${n}`);
  lines.push('# HELP app_jobs_total Jobs done.', '# TYPE app_jobs_total counter');
  QUEUES.forEach((q, i) => lines.push(`app_jobs_total{queue="${q}"} ${jobs[i]}`));
  lines.push('# HELP app_queue_depth Jobs waiting.', '# TYPE app_queue_depth gauge');
  QUEUES.forEach((q) => lines.push(`app_queue_depth{queue="${q}"} ${Math.floor(Math.random() * 50)}`));
  lines.push('# HELP app_cache_entries Entries per cache.', '# TYPE app_cache_entries gauge');
  CACHES.forEach((c, i) => lines.push(`app_cache_entries{cache="${c}"} ${1000 * (i + 1) + Math.floor(Math.random() * 100)}`));
  lines.push(...histogram('app_http_request_duration_seconds', 'Request latency.', latency));
  lines.push(...histogram('app_db_query_duration_seconds', 'Query latency.', dbLatency));
  return `${lines.join('\n')}\n`;
}

let served = 0;
let bytes = 0;
let since = Date.now();

serve({
  async start() {
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      const body = render();
      served++;
      bytes += Buffer.byteLength(body);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const lines = render().split('\n').filter((l) => l && !l.startsWith('#')).length;
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, lines };
  },
  stats(a: { reset?: boolean } | null) {
    const out = { served, bytes, seconds: (Date.now() - since) / 1000 };
    if (a?.reset) {
      served = 0;
      bytes = 0;
      since = Date.now();
    }
    return out;
  },
});
