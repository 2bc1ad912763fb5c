/**
 * Input schemas of the application-metrics API (targets, derived ratios, the
 * Application panels): the server validates at the edge with them, the admin
 * pages inline with the same.
 */
import { z } from 'zod';
import { isBuiltinMetric, isSeriesName } from './catalog.ts';
import { hostNameInput } from './fleet-schemas.ts';

const FAMILY = /^[A-Za-z_][A-Za-z0-9_.:]{0,199}$/;
const LABEL = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const httpUrl = z
  .string({ error: 'url must be a string' })
  .trim()
  .max(2000, 'url is at most 2000 characters')
  .refine((s) => {
    try {
      const u = new URL(s);
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'url must be an http(s) URL, e.g. http://erp-web:8000/metrics');

const targetFields = {
  name: hostNameInput,
  url: httpUrl,
  host: hostNameInput,
  intervalSeconds: z.number({ error: 'intervalSeconds must be a number' }).int('intervalSeconds must be whole seconds').min(1, 'intervalSeconds is at least 1').max(3600, 'intervalSeconds is at most 3600'),
  seriesLimit: z.number().int().min(1).max(5000, 'seriesLimit is at most 5000'),
  enabled: z.boolean(),
};

export const targetCreateSchema = z
  .object({ ...targetFields, host: targetFields.host.optional(), intervalSeconds: targetFields.intervalSeconds.optional(), seriesLimit: targetFields.seriesLimit.optional(), enabled: targetFields.enabled.optional() })
  .strict();

export const targetPatchSchema = z
  .object(targetFields)
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

export const selectorSchema = z
  .object({
    family: z.string({ error: 'family must be a string' }).regex(FAMILY, 'family: a metric name without labels, e.g. erp_http_requests_total:rate'),
    label: z.string().regex(LABEL, 'label: a label name, e.g. status').optional(),
    prefix: z.string().max(100).optional(),
  })
  .strict()
  .refine((s) => (s.label === undefined) === (s.prefix === undefined), 'label and prefix go together');

export const derivedCreateSchema = z
  .object({
    name: z
      .string({ error: 'name must be a string' })
      .regex(FAMILY, 'name: letters, digits, "_", "." or ":", starting with a letter, e.g. erp.error_rate_percent')
      .refine((n) => !isBuiltinMetric(n), 'name is a built-in metric'),
    label: z.string().trim().min(1).max(80).nullable().default(null),
    unit: z.string().trim().max(16).default(''),
    numerator: selectorSchema,
    denominator: selectorSchema,
    factor: z.number({ error: 'factor must be a number' }).refine((f) => Number.isFinite(f) && f !== 0, 'factor must be a finite number other than 0').default(1),
  })
  .strict();

/** Series one Application panel shows (at most 12, no repeats). */
export const appPanelSchema = z
  .object({
    series: z.array(z.string().refine(isSeriesName, 'not a metric name')).max(12, 'at most 12 series per panel').refine((s) => new Set(s).size === s.length, 'series repeat'),
  })
  .strict();
