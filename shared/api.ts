/**
 * HTTP API shapes and input schemas, shared by the server (which validates
 * with them at the edge) and the client (which types its requests with them).
 */
import { z } from 'zod';
import { isSeriesName, SERIES_NAME_MAX, type MetricInfo, type MetricName, type MetricValues } from './catalog.ts';
import type { HostInfo, TsMs } from './events.ts';

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export interface CurrentResponse {
  host: string;
  ts: TsMs | null;
  values: MetricValues;
}

/** `[tsMs, min, avg, max]`; nulls where a bucket holds no sample. */
export type HistoryPoint = [TsMs, number | null, number | null, number | null];

export interface HistoryResponse {
  metric: MetricName;
  unit: string;
  host: string;
  from: TsMs;
  to: TsMs;
  /** Width of one bucket. */
  stepMs: number;
  points: HistoryPoint[];
}

export interface HostsResponse {
  hosts: HostInfo[];
}

export interface CatalogResponse {
  metrics: MetricInfo[];
}

export const HISTORY_DEFAULT_POINTS = 600;
export const HISTORY_MAX_POINTS = 10_000;
export const HISTORY_DEFAULT_RANGE_MS = 60 * 60_000;
/** Longer than anything we keep (rollups included): a wider range is a mistake. */
export const HISTORY_MAX_RANGE_MS = 400 * 86_400_000;

/** An instant given as epoch milliseconds or as an ISO-8601 date-time. */
const instant = z.string().trim().min(1).transform((text, ctx) => {
  const ms = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is neither epoch milliseconds nor an ISO date-time` });
    return z.NEVER;
  }
  return Math.round(ms);
});

/** A metric's name by its syntax; whether it exists is the server's question (422 "unknown metric"). */
export const metricName = z
  .string({ error: 'metric must be a string' })
  .max(SERIES_NAME_MAX, `metric names are at most ${SERIES_NAME_MAX} characters`)
  .refine(isSeriesName, { error: (issue) => `"${String(issue.input).slice(0, 80)}" is not a metric name` }) as z.ZodType<MetricName>;

export const hostName = z.string().trim().min(1).max(253);

export const currentQuery = z.object({ host: hostName.optional() });

export const historyQuery = z.object({
  metric: metricName,
  host: hostName.optional(),
  from: instant.optional(),
  to: instant.optional(),
  points: z
    .string()
    .regex(/^\d+$/, 'points must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(HISTORY_MAX_POINTS))
    .optional(),
});
export type HistoryQuery = z.output<typeof historyQuery>;
