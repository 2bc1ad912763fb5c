/**
 * Daily reports: the answer of `GET /api/reports` (../CONTRACT.md,
 * "Reports"), and local-day arithmetic in a time zone. No validation
 * library here, so every page can import it; input schemas are in
 * reports-schemas.ts.
 *
 * Times are epoch milliseconds (`…Ms`, `…At`) like everywhere in the API;
 * days are local calendar days `YYYY-MM-DD` in the report's time zone `tz`.
 */
import type { DeliveryStatus, Level } from './alerts.ts';
import type { MetricName } from './catalog.ts';
import type { TsMs } from './events.ts';

/** The longest range one report covers, in days. */
export const REPORT_MAX_DAYS = 31;
/** Metrics with a capacity forecast. */
export const FORECAST_METRICS = ['disk.usage_percent', 'memory.usage_percent', 'db.size_mb'] as const;
export type ForecastMetric = (typeof FORECAST_METRICS)[number];
/** Trend windows, in days before the end of the range. */
export const FORECAST_WINDOWS = [7, 30] as const;
export type ForecastWindow = (typeof FORECAST_WINDOWS)[number];
/** A trend needs this much history (first to last hourly average) before it says anything. */
export const FORECAST_MIN_SPAN_DAYS: Record<ForecastWindow, number> = { 7: 2, 30: 8 };
/** …and at least half of the hours of that span present. */
export const FORECAST_MIN_POINTS: Record<ForecastWindow, number> = { 7: 24, 30: 96 };
/** A crossing further away than this is no forecast. */
export const FORECAST_HORIZON_DAYS = 365;

export interface MetricSummary {
  unit: string;
  min: number;
  /** Mean of every sample in the range. */
  avg: number;
  /** See `Report.method.p95`; null for the fleet (it would need every host's points sorted together). */
  p95: number | null;
  max: number;
  /** Seconds at or above the catalog's warning threshold and below critical; null: the metric has no thresholds. */
  warningSeconds: number | null;
  /** Seconds at or above the catalog's critical threshold; null: the metric has no thresholds. */
  criticalSeconds: number | null;
  samples: number;
  /** The average over the previous range of equal length (for a day: the day before); null without data. */
  previousAvg: number | null;
  /** The average over the 7 days before the range; null without data. */
  weekAvg: number | null;
  /** avg − previousAvg (null without a previous value). */
  deltaPrevious: number | null;
  /** avg − weekAvg. */
  deltaWeek: number | null;
}

export interface Availability {
  /** Share of the observed time the host was up (host.up = 1); null: no host.up data in the range. */
  availabilityPercent: number | null;
  /** Time of the range with host.up data: the denominator. Time without any is no data, not downtime. */
  observedSeconds: number;
  /** Observed time with host.up = 0. */
  downSeconds: number;
}

export interface HostReport extends Availability {
  host: string;
  /** Built-in metrics with data in the range (host.up is the availability). */
  metrics: Record<MetricName, MetricSummary>;
}

/** Every host together: min/max over hosts, avg over all their samples, seconds summed over hosts, no p95; availability over all observed time. */
export interface FleetReport extends Availability {
  hosts: number;
  metrics: Record<MetricName, MetricSummary>;
}

export interface ReportAlert {
  id: number;
  ruleId: number | null;
  ruleName: string;
  host: string;
  metric: MetricName;
  level: Level;
  startedAt: TsMs;
  acknowledgedAt: TsMs | null;
  resolvedAt: TsMs | null;
  /** Until resolution, or until the report was made while it is open. */
  durationSeconds: number;
  open: boolean;
  silenced: boolean;
  /** The alert in the product. */
  link: string;
}

export interface AlertSummary {
  /** Alerts that fired in the range. */
  total: number;
  byLevel: Record<Level, number>;
  /** Of those: acknowledged at some point, resolved. */
  acknowledged: number;
  resolved: number;
  /** Mean seconds from firing to the first acknowledgement; null when none was acknowledged. */
  mttaSeconds: number | null;
  /** Mean seconds from firing to resolution, of the resolved ones; null when none was resolved. */
  mttrSeconds: number | null;
  /** The rules that fired most (at most 5). */
  top: Array<{ ruleId: number | null; ruleName: string; count: number }>;
  /** The longest alerts (at most 5). */
  longest: ReportAlert[];
  /** Alerts that fired while silenced. */
  silencedAlerts: number;
  /** Time of the range covered by at least one silence (that applies to the host, when one is asked for). */
  silencedSeconds: number;
  /** Alerts that fired in the previous range of equal length. */
  previousTotal: number;
}

export interface ForecastTrend {
  windowDays: ForecastWindow;
  /** Hourly averages fitted. */
  points: number;
  /** From the first to the last of them. */
  spanDays: number;
  enough: boolean;
  /** Least-squares slope; null when not enough data. */
  slopePerDay: number | null;
  /** The fitted line at the end of the range. */
  valueAtEnd: number | null;
  reachesCriticalAt: TsMs | null;
  /** One line a person reads: "reaches 95 % in ~23 days", "not enough data (needs 2 days of history)". */
  note: string;
}

export type ForecastStatus = 'reaches critical' | 'already critical' | 'not rising' | 'beyond horizon' | 'no threshold' | 'not enough data';

export interface Forecast {
  host: string;
  metric: ForecastMetric;
  unit: string;
  /** The catalog's critical threshold; null: none (db.size_mb): only the growth is reported. */
  critical: number | null;
  /** When the 7-day trend reaches `critical`; null when it does not within FORECAST_HORIZON_DAYS (see `status`). */
  reachesCriticalAt: TsMs | null;
  daysToCritical: number | null;
  /** The 7-day slope, per day; null when not enough data. */
  growthPerDay: number | null;
  status: ForecastStatus;
  method: string;
  note: string;
  trends: ForecastTrend[];
}

export interface ReportMethods {
  /** Which aggregates the metric figures come from. */
  tier: 'minute' | 'hour';
  avg: string;
  p95: string;
  thresholds: string;
  availability: string;
  comparison: string;
  alerts: string;
  forecast: string;
}

export interface ReportDelivery {
  id: number;
  day: string;
  channel: 'email';
  to: string | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: TsMs;
  sentAt: TsMs | null;
}

export interface Report {
  /** First and last local day of the range, inclusive. */
  from: string;
  to: string;
  /** The range as instants: [fromMs, toMs). */
  fromMs: TsMs;
  toMs: TsMs;
  tz: string;
  days: number;
  /** Length of the range: 24 a day, 23 or 25 on a day that changes the clock. */
  hours: number;
  /** The host asked for, or null: every host. */
  host: string | null;
  generatedAt: TsMs;
  /** `stored`: the report kept when the day was over (it stays readable after its data expired); `live`: computed now. */
  source: 'live' | 'stored';
  /** The report page in the product. */
  link: string;
  method: ReportMethods;
  /** The ranges the deltas compare with. */
  comparison: { previousFrom: string; previousTo: string; weekFrom: string; weekTo: string };
  fleet: FleetReport;
  hosts: HostReport[];
  alerts: AlertSummary;
  forecasts: Forecast[];
  /** Emails of a stored report. */
  deliveries: ReportDelivery[];
}

export interface ReportDeliveriesResponse {
  deliveries: ReportDelivery[];
}

/** The answer of `POST /api/reports/send`. */
export interface ReportSendResponse {
  day: string;
  reportId: number;
  delivery: ReportDelivery;
}

// ---------------------------------------------------------------- local days

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Whether Intl knows the time zone. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The local wall-clock time at instant `ms` in `tz`, written as if it were UTC (so Date.UTC arithmetic applies). */
export function wallClock(ms: number, tz: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const whole = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return whole + (((ms % 1000) + 1000) % 1000);
}

/** Whether `day` is a real calendar day written `YYYY-MM-DD`. */
export function isDay(day: string): boolean {
  const m = DAY_RE.exec(day);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const dayToUtc = (day: string) => {
  const m = DAY_RE.exec(day);
  if (!m || !isDay(day)) throw new RangeError(`"${day}" is not a day (YYYY-MM-DD)`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
};
const utcToDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The day `n` calendar days after `day` (before, for negative n). */
export function addDays(day: string, n: number): string {
  return utcToDay(dayToUtc(day) + n * DAY_MS);
}

/** Calendar days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((dayToUtc(b) - dayToUtc(a)) / DAY_MS);
}

/** The local day of instant `ms` in `tz`. */
export function localDayOf(ms: number, tz: string): string {
  return utcToDay(wallClock(ms, tz));
}

/**
 * The first instant whose local time in `tz` is at or after the wall-clock
 * time `wall` (written as UTC). Usually the one instant showing that time;
 * when the clock goes back and shows it twice, the first; when the clock
 * jumps over it (a spring-forward gap), the instant of the jump.
 */
export function instantOfWallClock(wall: number, tz: string): number {
  const offsetAt = (ms: number) => wallClock(ms, tz) - ms;
  const offsets = new Set([offsetAt(wall - DAY_MS), offsetAt(wall), offsetAt(wall + DAY_MS)]);
  const exact = [...offsets].map((o) => wall - o).filter((t) => wallClock(t, tz) === wall);
  if (exact.length > 0) return Math.min(...exact);
  // In a gap: the earliest instant whose wall clock is past `wall` (the clock is monotonic across a gap).
  let lo = wall - Math.max(...offsets) - DAY_MS;
  let hi = wall - Math.min(...offsets) + DAY_MS;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(mid, tz) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The first instant of local day `day` in `tz`. */
export function startOfDay(day: string, tz: string): number {
  return instantOfWallClock(dayToUtc(day), tz);
}

/**
 * Local days `fromDay`…`toDay` (inclusive) in `tz` as instants [fromMs, toMs):
 * a day is 23 or 25 hours long when the clock changes in it.
 */
export function dayRange(fromDay: string, toDay: string, tz: string): { fromMs: number; toMs: number } {
  return { fromMs: startOfDay(fromDay, tz), toMs: startOfDay(addDays(toDay, 1), tz) };
}

/** The instant local time `hh:mm` occurs on `day` in `tz` (the jump's instant when the clock skips it). */
export function timeOnDay(day: string, hour: number, minute: number, tz: string): number {
  return instantOfWallClock(dayToUtc(day) + hour * 3_600_000 + minute * 60_000, tz);
}
