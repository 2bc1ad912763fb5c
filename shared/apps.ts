/**
 * Application metrics: derived ratios and the Application panel. Shapes of
 * the HTTP API (see README.md, "Application metrics"). No validation library
 * here; the input schemas are in apps-schemas.ts.
 */
import type { TsMs } from './events.ts';

/**
 * A sum of series: those of one family (`erp_http_requests_total:rate`),
 * optionally only the label sets whose `label` value starts with `prefix`
 * (`status` / `5` → every 5xx). Without a label filter, the family's own sum
 * series when there is one, else the sum of its label sets.
 */
export interface SeriesSelector {
  family: string;
  label?: string;
  prefix?: string;
}

/** numerator ÷ denominator × factor, computed for each sample of a host that carries both. */
export interface DerivedMetric {
  id: number;
  name: string;
  label: string | null;
  unit: string;
  numerator: SeriesSelector;
  denominator: SeriesSelector;
  factor: number;
  createdBy: string;
  createdAt: TsMs;
}

export interface DerivedResponse {
  derived: DerivedMetric[];
}

/** Per host: the series its Application panel shows, in order; `custom`: the hosts whose list an admin chose (the others show defaults). */
export interface AppPanels {
  hosts: Record<string, string[]>;
  custom: string[];
}

/** `PUT /api/settings/app-panels/:host`: the series one host's panel shows, in order. */
export interface AppPanelInput {
  series: string[];
}

/** Series a push or scrape may create per host at most (a scrape target: its own `seriesLimit`). */
export const PUSH_SERIES_LIMIT = 500;
