/**
 * Computes a report from the stored aggregates, never from raw samples: the
 * minute blocks' aggregates (n, min, max, sum, warn/crit seconds) and the
 * hourly rollups hold everything a report needs, and the database does the
 * aggregation (per-series percentiles, sums for the trend lines), so the
 * server handles a few thousand rows whatever the range, and the fleet's
 * figures are added up here from the hosts'.
 *
 * Tiers: a single day reads its minute aggregates (p95 of the 1-minute
 * averages, availability by the minute); a longer range, or a day older than
 * the minute aggregates' retention, reads the hourly rollups (p95 of hourly
 * averages, availability by the hour), with minute aggregates for a partial
 * hour at either edge (time zones whose midnight is not a UTC hour).
 * Comparisons and trends read the hourly rollups. The head (samples of the
 * last minute or two, not sealed yet) is left out: a report of today trails
 * by a couple of minutes.
 *
 * Cost (bench/reports.ts, PostgreSQL, 50 hosts): the independent queries run
 * side by side; the big one is the per-series percentile, gathered by a hash
 * aggregate because blocks lie in time order, so a sort by series would cost
 * more than the scan.
 */
import { sql, type SQL } from 'drizzle-orm';
import { LEVELS, type Level } from '../../shared/alerts.ts';
import { isBuiltinMetric, METRICS, type BuiltinMetric } from '../../shared/catalog.ts';
import {
  addDays, dayRange, daysBetween, FORECAST_METRICS, FORECAST_MIN_POINTS, FORECAST_MIN_SPAN_DAYS, FORECAST_WINDOWS, type AlertSummary,
  type Availability, type Forecast, type ForecastMetric, type ForecastTrend, type ForecastWindow, type HostReport,
  type MetricSummary, type Report, type ReportAlert, type ReportMethods,
} from '../../shared/reports.ts';
import { timeSlices } from '../lib/slices.ts';
import { at } from '../store/blocks.ts';
import { queryRows, type Db } from '../store/db.ts';
import { crossing, DAY_MS, enoughHistory, fitLine, unionLength } from './math.ts';

const HOUR = 3_600_000;
const TOP = 5;

export interface ReportRange {
  fromDay: string;
  toDay: string;
  /** One host, or every host with data. */
  host: string | null;
}

export interface ComputeOptions {
  tz: string;
  publicUrl: string;
  nowMs: number;
  /** How long minute aggregates are kept (maintenance.ts retentionPolicy): older days read hourly rollups. */
  minuteDays: number;
}

const intArray = (xs: readonly number[]) => `{${xs.join(',')}}`;
/** A link to the report page of a range. */
export function reportLink(publicUrl: string, r: ReportRange): string {
  const range = r.fromDay === r.toDay ? `day=${r.fromDay}` : `from=${r.fromDay}&to=${r.toDay}`;
  return `${publicUrl}/reports?${range}${r.host ? `&host=${encodeURIComponent(r.host)}` : ''}`;
}

const METHODS = {
  avg: 'mean of every sample in the range (Σ sum ÷ Σ count of the minute aggregates)',
  p95minute: "95th percentile of the 1-minute averages in the range (linear interpolation between ranks, as PostgreSQL percentile_cont), per host; the fleet has none",
  p95hour: '95th percentile of the hourly averages in the range (linear interpolation between ranks, as PostgreSQL percentile_cont), per host; the fleet has none. Ranges longer than a day, and days older than the minute aggregates, use hours',
  thresholds: "warningSeconds: time at or above the catalog's warning threshold and below critical; criticalSeconds: at or above critical. Each sample counts until the next one (one tick at most across a gap); the fleet figures add the hosts' seconds",
  availabilityMinute: 'share of the observed minutes the host was up: every minute with host.up samples counts with its share of host.up = 1 samples; minutes without any (before the host existed, after it was retired, while glasswatch itself was stopped) are no data, not downtime',
  availabilityHour: 'share of the observed hours the host was up: every hour with host.up samples counts with its share of host.up = 1 samples (ranges longer than a day, and days older than the minute aggregates, use hours); hours without any are no data, not downtime',
  comparison: 'previousAvg: average over the previous range of equal length (for a day, the day before); weekAvg: over the 7 days before the range; both from the hourly rollups; delta = avg − that',
  alerts: 'alerts that fired in the range; MTTA: mean time from firing to the first acknowledgement (of those acknowledged); MTTR: mean time from firing to resolution (of those resolved); silencedSeconds: time of the range under at least one silence (silences deleted by hand are gone and not counted)',
  forecast: 'linear least squares over the hourly averages of the last 7 and 30 days before the end of the range; reachesCriticalAt is where the 7-day line meets the critical threshold (null when it does not rise, is already there, or gets there after 365 days; db.size_mb has no threshold: growth only). A 7-day trend needs 2 days of history with 24 hourly averages, a 30-day trend 8 days with 96',
} as const;

/** Which built-in metrics a report covers (host.up is the availability) and the ids they have here. */
async function metricIds(db: Db): Promise<{ byId: Map<number, string>; up: number | undefined }> {
  const rows = await queryRows<{ id: number; name: string }>(db, sql`SELECT id, name FROM metrics WHERE builtin`);
  const byId = new Map<number, string>();
  let up: number | undefined;
  for (const r of rows) {
    if (r.name === 'host.up') up = r.id;
    else if (isBuiltinMetric(r.name)) byId.set(r.id, r.name);
  }
  return { byId, up };
}

interface Sums {
  min: number;
  sum: number;
  max: number;
  n: number;
  warn: number | null;
  crit: number | null;
}

interface AggRow extends Sums, Record<string, unknown> {
  h: number;
  m: number;
  p95: number;
}

/**
 * Rows of [fromMs, toMs) at hourly resolution: hourly rollups for the whole
 * hours, minute aggregates (binned to their hour) for partial hours at the
 * edges. Columns: host_id, metric_id, bucket, n, min, max, sum, warn, crit.
 */
function hourlySource(fromMs: number, toMs: number, hostIds: readonly number[], ids: readonly number[]): SQL {
  const hFrom = Math.ceil(fromMs / HOUR) * HOUR;
  const hTo = Math.max(hFrom, Math.floor(toMs / HOUR) * HOUR);
  const series = sql`host_id = ANY(${intArray(hostIds)}::int2[]) AND metric_id = ANY(${intArray(ids)}::int2[])`;
  if (hFrom >= toMs) {
    return sql`SELECT host_id, metric_id, date_bin('1 hour', start, timestamptz 'epoch') AS bucket, n::float8 AS n, min, max, sum,
                      warn_seconds::float8 AS warn, crit_seconds::float8 AS crit
               FROM sample_blocks WHERE ${series} AND start >= ${at(fromMs)} AND start < ${at(toMs)}`;
  }
  return sql`
    SELECT host_id, metric_id, ts AS bucket, count::float8 AS n, min, max, avg * count AS sum,
           warn_seconds::float8 AS warn, crit_seconds::float8 AS crit
    FROM samples_1h WHERE ${series} AND ts >= ${at(hFrom)} AND ts < ${at(hTo)}
    UNION ALL
    SELECT host_id, metric_id, date_bin('1 hour', start, timestamptz 'epoch'), n, min, max, sum, warn_seconds, crit_seconds
    FROM sample_blocks WHERE ${series}
      AND ((start >= ${at(fromMs)} AND start < ${at(hFrom)}) OR (start >= ${at(hTo)} AND start < ${at(toMs)}))`;
}

/**
 * min/sum/max/n/seconds and p95 per (host, metric). The points (minute
 * aggregates, or hourly averages) of each series are gathered with a hash
 * aggregate and their percentile taken per series: no sort of the whole
 * range (the blocks lie in time order, not in series order).
 */
async function summaries(db: Db, tier: 'minute' | 'hour', fromMs: number, toMs: number, hostIds: number[], ids: number[]): Promise<AggRow[]> {
  if (hostIds.length === 0 || ids.length === 0) return [];
  const series = sql`host_id = ANY(${intArray(hostIds)}::int2[]) AND metric_id = ANY(${intArray(ids)}::int2[])`;
  const hFrom = Math.ceil(fromMs / HOUR) * HOUR;
  const hTo = Math.floor(toMs / HOUR) * HOUR;
  const points =
    tier === 'minute'
      ? sql`SELECT host_id, metric_id, n::float8 AS n, min, max, sum, warn_seconds::float8 AS warn, crit_seconds::float8 AS crit
            FROM sample_blocks WHERE ${series} AND start >= ${at(fromMs)} AND start < ${at(toMs)}`
      : hFrom === fromMs && hTo === toMs
        ? // Whole hours (the usual case): the rollups are the points.
          sql`SELECT host_id, metric_id, count::float8 AS n, min, max, avg * count AS sum, warn_seconds::float8 AS warn, crit_seconds::float8 AS crit
              FROM samples_1h WHERE ${series} AND ts >= ${at(fromMs)} AND ts < ${at(toMs)}`
        : sql`SELECT host_id, metric_id, sum(n) AS n, min(min) AS min, max(max) AS max, sum(sum) AS sum, sum(warn) AS warn, sum(crit) AS crit
              FROM (${hourlySource(fromMs, toMs, hostIds, ids)}) src GROUP BY host_id, metric_id, bucket`;
  return queryRows<AggRow>(db, sql`
    SELECT h, m, min, sum, max, n, warn, crit, (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY v) FROM unnest(avgs) AS v)::float8 AS p95
    FROM (SELECT host_id AS h, metric_id AS m, min(min)::float8 AS min, sum(sum)::float8 AS sum, max(max)::float8 AS max, sum(n)::float8 AS n,
                 sum(warn)::float8 AS warn, sum(crit)::float8 AS crit, array_agg(sum / n) AS avgs
          FROM (${points}) p GROUP BY host_id, metric_id) s`);
}

interface AvailRow extends Record<string, unknown> {
  h: number;
  observed: number;
  up: number;
}

/** Observed and up seconds per host. */
async function availability(db: Db, tier: 'minute' | 'hour', fromMs: number, toMs: number, hostIds: number[], upId: number | undefined): Promise<AvailRow[]> {
  if (hostIds.length === 0 || upId === undefined) return [];
  const hosts = sql`host_id = ANY(${intArray(hostIds)}::int2[]) AND metric_id = ${upId}`;
  if (tier === 'minute') {
    return queryRows<AvailRow>(db, sql`
      SELECT host_id AS h, (count(*) * 60)::float8 AS observed, (sum(sum / n) * 60)::float8 AS up
      FROM sample_blocks WHERE ${hosts} AND start >= ${at(fromMs)} AND start < ${at(toMs)}
      GROUP BY host_id`);
  }
  return queryRows<AvailRow>(db, sql`
    SELECT host_id AS h, (count(*) * 3600)::float8 AS observed, (sum(avg) * 3600)::float8 AS up
    FROM samples_1h WHERE ${hosts} AND ts >= ${at(Math.floor(fromMs / HOUR) * HOUR)} AND ts < ${at(toMs)}
    GROUP BY host_id`);
}

interface AvgRow extends Record<string, unknown> {
  k: 'p' | 'w';
  h: number;
  m: number;
  sum: number;
  n: number;
}

/** Sums for the averages of the previous range ('p') and of the 7 days before ('w'), per (host, metric). */
async function comparisons(db: Db, prev: [number, number], week: [number, number], hostIds: number[], ids: number[]): Promise<AvgRow[]> {
  if (hostIds.length === 0 || ids.length === 0) return [];
  const avgOf = (k: 'p' | 'w', [from, to]: [number, number]) => sql`
    SELECT ${k}::text AS k, host_id AS h, metric_id AS m, sum(sum)::float8 AS sum, sum(n)::float8 AS n
    FROM (${hourlySource(from, to, hostIds, ids)}) s GROUP BY host_id, metric_id`;
  return queryRows<AvgRow>(db, sql`${avgOf('p', prev)} UNION ALL ${avgOf('w', week)}`);
}

interface TrendRow extends Record<string, unknown> {
  h: number;
  m: number;
  w: number;
  n: number;
  sx: number;
  sy: number;
  sxx: number;
  sxy: number;
  x0: number;
  x1: number;
}

/**
 * Sums for a least-squares line per (host, metric, window) over the hourly
 * averages before `endMs`: x in days from `endMs` to the hour's middle.
 */
async function trendSums(db: Db, endMs: number, hostIds: number[], ids: number[]): Promise<TrendRow[]> {
  if (hostIds.length === 0 || ids.length === 0) return [];
  const longest = Math.max(...FORECAST_WINDOWS);
  return queryRows<TrendRow>(db, sql`
    SELECT p.host_id AS h, p.metric_id AS m, w.days AS w, count(*)::float8 AS n, sum(x) AS sx, sum(y) AS sy, sum(x * x) AS sxx, sum(x * y) AS sxy,
           min(x) AS x0, max(x) AS x1
    -- date_part, not extract: float8 arithmetic (extract's numeric is several times slower per row)
    FROM (SELECT host_id, metric_id, (date_part('epoch', ts) * 1000 + ${HOUR / 2} - ${endMs}) / ${DAY_MS} AS x, avg AS y
          FROM samples_1h
          WHERE host_id = ANY(${intArray(hostIds)}::int2[]) AND metric_id = ANY(${intArray(ids)}::int2[])
            AND ts >= ${at(endMs - longest * DAY_MS)} AND ts <= ${at(endMs - HOUR)}) p
    JOIN (VALUES ${sql.join(FORECAST_WINDOWS.map((d) => sql`(${d}::int)`), sql`, `)}) AS w(days) ON p.x >= -w.days
    GROUP BY 1, 2, 3`);
}

const num = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));

/** Alerts that fired in [fromMs, toMs) (and how many in [prevFromMs, fromMs)), of one host or all. */
export async function computeAlertSummary(db: Db, r: { fromMs: number; toMs: number; prevFromMs: number; host: string | null }, o: ComputeOptions): Promise<AlertSummary> {
  const host = r.host === null ? sql`` : sql`AND a.host = ${r.host}`;
  const inRange = sql`a.started_at >= ${at(r.fromMs)} AND a.started_at < ${at(r.toMs)} ${host}`;
  const [counts] = await queryRows<Record<string, number | null>>(db, sql`
    SELECT count(*) FILTER (WHERE a.started_at >= ${at(r.fromMs)})::int AS total,
           ${sql.join(LEVELS.map((l) => sql`count(*) FILTER (WHERE a.started_at >= ${at(r.fromMs)} AND a.level = ${l})::int AS ${sql.identifier(l)}`), sql`, `)},
           count(*) FILTER (WHERE a.started_at >= ${at(r.fromMs)} AND a.silenced)::int AS silenced,
           count(*) FILTER (WHERE a.started_at >= ${at(r.fromMs)} AND ack.at IS NOT NULL)::int AS acknowledged,
           count(*) FILTER (WHERE a.started_at >= ${at(r.fromMs)} AND a.resolved_at IS NOT NULL)::int AS resolved,
           (avg(extract(epoch FROM ack.at - a.started_at)) FILTER (WHERE a.started_at >= ${at(r.fromMs)} AND ack.at IS NOT NULL))::float8 AS mtta,
           (avg(extract(epoch FROM a.resolved_at - a.started_at)) FILTER (WHERE a.started_at >= ${at(r.fromMs)} AND a.resolved_at IS NOT NULL))::float8 AS mttr,
           count(*) FILTER (WHERE a.started_at < ${at(r.fromMs)})::int AS previous
    FROM alerts a
    -- the first acknowledgement (an alert acknowledged, taken back and acknowledged again was answered at the first)
    CROSS JOIN LATERAL (SELECT coalesce((SELECT min(e.at) FROM alert_events e WHERE e.alert_id = a.id AND e.kind = 'acknowledged'), a.acknowledged_at) AS at) ack
    WHERE a.started_at >= ${at(r.prevFromMs)} AND a.started_at < ${at(r.toMs)} ${host}`);
  const top = await queryRows<{ rule_id: number | null; rule_name: string; count: number }>(db, sql`
    SELECT a.rule_id, (array_agg(a.rule_name ORDER BY a.started_at DESC))[1] AS rule_name, count(*)::int AS count
    FROM alerts a WHERE ${inRange}
    GROUP BY a.rule_id, CASE WHEN a.rule_id IS NULL THEN a.rule_name END
    ORDER BY count DESC, 2 LIMIT ${TOP}`);
  const longest = await queryRows<Record<string, unknown>>(db, sql`
    SELECT a.id, a.rule_id, a.rule_name, a.host, a.metric, a.level, a.silenced,
           (extract(epoch FROM a.started_at) * 1000)::float8 AS started, (extract(epoch FROM a.acknowledged_at) * 1000)::float8 AS acked,
           (extract(epoch FROM a.resolved_at) * 1000)::float8 AS resolved,
           extract(epoch FROM coalesce(a.resolved_at, greatest(${at(o.nowMs)}, a.started_at)) - a.started_at)::float8 AS seconds
    FROM alerts a WHERE ${inRange}
    ORDER BY seconds DESC, a.id LIMIT ${TOP}`);
  const silences = await queryRows<{ s: number; e: number }>(db, sql`
    SELECT (extract(epoch FROM starts_at) * 1000)::float8 AS s, (extract(epoch FROM ends_at) * 1000)::float8 AS e FROM silences
    WHERE starts_at < ${at(r.toMs)} AND ends_at > ${at(r.fromMs)} ${r.host === null ? sql`` : sql`AND (host IS NULL OR host = ${r.host})`}`);
  const c = counts ?? {};
  return {
    total: c.total ?? 0,
    byLevel: Object.fromEntries(LEVELS.map((l) => [l, c[l] ?? 0])) as Record<Level, number>,
    acknowledged: c.acknowledged ?? 0,
    resolved: c.resolved ?? 0,
    mttaSeconds: num(c.mtta),
    mttrSeconds: num(c.mttr),
    top: top.map((t) => ({ ruleId: t.rule_id, ruleName: t.rule_name, count: t.count })),
    longest: longest.map(
      (a): ReportAlert => ({
        id: Number(a.id),
        ruleId: num(a.rule_id),
        ruleName: String(a.rule_name),
        host: String(a.host),
        metric: String(a.metric),
        level: a.level as Level,
        startedAt: Number(a.started),
        acknowledgedAt: num(a.acked),
        resolvedAt: num(a.resolved),
        durationSeconds: Number(a.seconds),
        open: a.resolved === null,
        silenced: Boolean(a.silenced),
        link: `${o.publicUrl}/alerts?id=${a.id}`,
      }),
    ),
    silencedAlerts: c.silenced ?? 0,
    silencedSeconds: unionLength(silences.map((s) => [s.s, s.e] as const), r.fromMs, Math.min(r.toMs, o.nowMs)) / 1000,
    previousTotal: c.previous ?? 0,
  };
}

const NO_DATA: Availability = { availabilityPercent: null, observedSeconds: 0, downSeconds: 0 };

function availabilityOf(row: AvailRow | undefined): Availability {
  if (!row || !(row.observed > 0)) return NO_DATA;
  return { availabilityPercent: (100 * row.up) / row.observed, observedSeconds: row.observed, downSeconds: Math.max(0, row.observed - row.up) };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function trendsOf(rows: TrendRow[], metric: ForecastMetric, endMs: number): { trends: ForecastTrend[]; main: ForecastTrend } {
  const def = METRICS[metric];
  const critical = 'critical' in def ? def.critical : null;
  const unit = def.unit === '%' ? ' %' : ` ${def.unit}`;
  const trends = FORECAST_WINDOWS.map((w): ForecastTrend => {
    const row = rows.find((r) => r.w === w);
    const points = row ? row.n : 0;
    const spanDays = row ? row.x1 - row.x0 + 1 / 24 : 0;
    const fit = row && enoughHistory(w, points, spanDays) ? fitLine(row) : null;
    if (!fit) {
      const needs = `needs ${FORECAST_MIN_SPAN_DAYS[w]} days of history with ${FORECAST_MIN_POINTS[w]} hourly averages`;
      return {
        windowDays: w, points, spanDays, enough: false, slopePerDay: null, valueAtEnd: null, reachesCriticalAt: null,
        note: `not enough data (${needs}; has ${round(spanDays, 1)} days, ${points})`,
      };
    }
    const line = { slopePerDay: fit.slope, valueAtEnd: fit.intercept };
    const c = crossing(line, critical, endMs);
    const growth = `${fit.slope >= 0 ? '+' : ''}${round(fit.slope, 3)}${unit}/day`;
    const note =
      c.status === 'reaches critical' ? `reaches ${critical}${unit} in ~${Math.max(1, Math.round(c.daysToCritical!))} days (${growth})`
      : c.status === 'already critical' ? `already at or above ${critical}${unit}`
      : c.status === 'beyond horizon' ? `${growth}: ${critical}${unit} not within a year`
      : c.status === 'no threshold' ? growth
      : `${growth}: not rising`;
    return { windowDays: w, points, spanDays, enough: true, ...line, reachesCriticalAt: c.reachesCriticalAt, note };
  });
  return { trends, main: trends.find((t) => t.windowDays === 7)! };
}

function forecastOf(host: string, metric: ForecastMetric, rows: TrendRow[], endMs: number): Forecast {
  const def = METRICS[metric];
  const critical = 'critical' in def ? def.critical : null;
  const { trends, main } = trendsOf(rows, metric, endMs);
  const c = main.enough ? crossing({ slopePerDay: main.slopePerDay!, valueAtEnd: main.valueAtEnd! }, critical, endMs) : null;
  return {
    host,
    metric,
    unit: def.unit,
    critical,
    reachesCriticalAt: c?.reachesCriticalAt ?? null,
    daysToCritical: c?.daysToCritical ?? null,
    growthPerDay: main.slopePerDay,
    status: c?.status ?? 'not enough data',
    method: main.enough
      ? `linear least squares over ${main.points} hourly averages of the last 7 days${critical === null ? ' (no critical threshold: growth only)' : `, until ${critical}${def.unit === '%' ? ' %' : ` ${def.unit}`}`}`
      : `linear least squares over hourly averages of the last 7 days: not enough data (needs ${FORECAST_MIN_SPAN_DAYS[7]} days)`,
    note: main.note,
    trends,
  };
}

export async function computeReport(db: Db, range: ReportRange, o: ComputeOptions): Promise<Report> {
  const { fromMs, toMs } = dayRange(range.fromDay, range.toDay, o.tz);
  const days = daysBetween(range.fromDay, range.toDay) + 1;
  const prevFromDay = addDays(range.fromDay, -days);
  const weekFromDay = addDays(range.fromDay, -7);
  const prevFromMs = dayRange(prevFromDay, prevFromDay, o.tz).fromMs;
  const weekFromMs = dayRange(weekFromDay, weekFromDay, o.tz).fromMs;
  const minuteTier = fromMs >= o.nowMs - o.minuteDays * DAY_MS;
  const tier = days === 1 && minuteTier ? 'minute' : 'hour';

  const hostRows = await queryRows<{ id: number; name: string }>(db, range.host === null
    ? sql`SELECT id, name FROM hosts ORDER BY name`
    : sql`SELECT id, name FROM hosts WHERE name = ${range.host}`);
  const hostName = new Map(hostRows.map((h) => [h.id, h.name]));
  const hostIds = hostRows.map((h) => h.id);
  const { byId, up } = await metricIds(db);
  const ids = [...byId.keys()];
  const forecastIds = ids.filter((id) => (FORECAST_METRICS as readonly string[]).includes(byId.get(id)!));
  const endMs = Math.min(toMs, o.nowMs);

  // Independent queries: on PostgreSQL they run side by side on their own connections.
  const [aggs, avail, cmp, trends, alerts] = await Promise.all([
    summaries(db, tier, fromMs, toMs, hostIds, ids),
    availability(db, tier, fromMs, toMs, hostIds, up),
    comparisons(db, [prevFromMs, fromMs], [weekFromMs, fromMs], hostIds, ids),
    trendSums(db, endMs, hostIds, forecastIds),
    computeAlertSummary(db, { fromMs, toMs, prevFromMs, host: range.host }, o),
  ]);

  const cmpOf = new Map(cmp.map((c) => [`${c.k}:${c.h}:${c.m}`, c]));
  const hosts = new Map<number, HostReport>();
  const hostEntry = (h: number) => {
    let e = hosts.get(h);
    if (!e) hosts.set(h, (e = { host: hostName.get(h) ?? String(h), ...NO_DATA, metrics: {} }));
    return e;
  };
  // The fleet: sums over the hosts (its p95 would need every host's points sorted together: not computed).
  const fleetSums = new Map<number, { min: number; max: number; sum: number; n: number; warn: number | null; crit: number | null; p: [number, number]; w: [number, number] }>();
  const avgOf = (c: AvgRow | undefined) => (c && c.n > 0 ? c.sum / c.n : null);
  const summaryOf = (name: BuiltinMetric, a: Sums, previousAvg: number | null, weekAvg: number | null, p95: number | null): MetricSummary => {
    const avg = a.sum / a.n;
    return {
      unit: METRICS[name].unit, min: a.min, avg, p95, max: a.max, warningSeconds: num(a.warn), criticalSeconds: num(a.crit), samples: a.n,
      previousAvg, weekAvg, deltaPrevious: previousAvg === null ? null : avg - previousAvg, deltaWeek: weekAvg === null ? null : avg - weekAvg,
    };
  };
  const addNull = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : x + y);
  const slices = timeSlices();
  for (const a of aggs) {
    const name = byId.get(a.m);
    if (!name || !isBuiltinMetric(name) || !(a.n > 0)) continue;
    const p = cmpOf.get(`p:${a.h}:${a.m}`);
    const w = cmpOf.get(`w:${a.h}:${a.m}`);
    hostEntry(a.h).metrics[name] = summaryOf(name, a, avgOf(p), avgOf(w), a.p95);
    const f = fleetSums.get(a.m);
    if (!f) {
      fleetSums.set(a.m, { min: a.min, max: a.max, sum: a.sum, n: a.n, warn: num(a.warn), crit: num(a.crit), p: [p?.sum ?? 0, p?.n ?? 0], w: [w?.sum ?? 0, w?.n ?? 0] });
    } else {
      f.min = Math.min(f.min, a.min);
      f.max = Math.max(f.max, a.max);
      f.sum += a.sum;
      f.n += a.n;
      f.warn = addNull(f.warn, num(a.warn));
      f.crit = addNull(f.crit, num(a.crit));
      f.p = [f.p[0] + (p?.sum ?? 0), f.p[1] + (p?.n ?? 0)];
      f.w = [f.w[0] + (w?.sum ?? 0), f.w[1] + (w?.n ?? 0)];
    }
    await slices.pause();
  }
  const fleetMetrics: Record<string, MetricSummary> = {};
  for (const [m, f] of fleetSums) {
    const name = byId.get(m) as BuiltinMetric;
    fleetMetrics[name] = summaryOf(name, f, f.p[1] > 0 ? f.p[0] / f.p[1] : null, f.w[1] > 0 ? f.w[0] / f.w[1] : null, null);
  }
  const fleetAvail = { h: 0, observed: 0, up: 0 };
  for (const row of avail) {
    Object.assign(hostEntry(row.h), availabilityOf(row));
    fleetAvail.observed += row.observed;
    fleetAvail.up += row.up;
  }

  const forecasts: Forecast[] = [];
  const trendsBySeries = new Map<string, TrendRow[]>();
  for (const t of trends) {
    const key = `${t.h}:${t.m}`;
    (trendsBySeries.get(key) ?? trendsBySeries.set(key, []).get(key)!).push(t);
  }
  for (const [key, rows] of trendsBySeries) {
    const [h, m] = key.split(':').map(Number) as [number, number];
    forecasts.push(forecastOf(hostName.get(h) ?? String(h), byId.get(m) as ForecastMetric, rows, endMs));
  }
  forecasts.sort((a, b) => a.host.localeCompare(b.host) || FORECAST_METRICS.indexOf(a.metric) - FORECAST_METRICS.indexOf(b.metric));

  const perHost = [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host));
  const method: ReportMethods = {
    tier,
    avg: METHODS.avg,
    p95: tier === 'minute' ? METHODS.p95minute : METHODS.p95hour,
    thresholds: METHODS.thresholds,
    availability: tier === 'minute' ? METHODS.availabilityMinute : METHODS.availabilityHour,
    comparison: METHODS.comparison,
    alerts: METHODS.alerts,
    forecast: METHODS.forecast,
  };
  return {
    from: range.fromDay,
    to: range.toDay,
    fromMs,
    toMs,
    tz: o.tz,
    days,
    hours: (toMs - fromMs) / HOUR,
    host: range.host,
    generatedAt: o.nowMs,
    source: 'live',
    link: reportLink(o.publicUrl, range),
    method,
    comparison: { previousFrom: prevFromDay, previousTo: addDays(range.fromDay, -1), weekFrom: weekFromDay, weekTo: addDays(range.fromDay, -1) },
    fleet: { hosts: perHost.length, ...availabilityOf(fleetAvail), metrics: fleetMetrics },
    hosts: perHost,
    alerts,
    forecasts,
    deliveries: [],
  };
}
