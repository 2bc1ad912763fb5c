/**
 * Input schemas for rules, silences and alert actions: the server validates
 * at the edge with them, the rules page validates inline with the same ones.
 */
import { z } from 'zod';
import { hostName, metricName } from './api.ts';
import { ALERT_STATES, LEVELS, OPERATORS, type Operator } from './alerts.ts';
import { checkChannel, type Channel } from './channels.ts';
import { INT4_MAX } from './text.ts';
import { isBuiltinMetric, METRICS, type MetricDef, type MetricName } from './catalog.ts';

const finite = (what: string) =>
  z.number({ error: `${what} must be a number` }).refine(Number.isFinite, `${what} must be a finite number`);

/** `dashboard`, `email` or `kind:target` of the channel table (shared/channels.ts), checked there. */
export const channelSchema = z
  .string({ error: 'a channel is a string, e.g. "email" or "webhook:https://…"' })
  .max(2000, 'a channel is at most 2000 characters')
  .superRefine((c, ctx) => {
    const problem = checkChannel(c);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }) as unknown as z.ZodType<Channel>;

const ruleFields = {
  name: z.string().trim().min(1, 'name is required').max(120, 'name is at most 120 characters'),
  metric: metricName,
  host: hostName.nullable(),
  operator: z.enum(OPERATORS, { error: `operator must be one of ${OPERATORS.join(' ')}` }),
  threshold: finite('threshold'),
  level: z.enum(LEVELS, { error: `level must be one of ${LEVELS.join(', ')}` }),
  forSeconds: z.number().int('forSeconds must be whole seconds').min(0, 'forSeconds cannot be negative').max(86_400, 'forSeconds is at most a day'),
  clearMargin: finite('clearMargin').refine((v) => v >= 0, 'clearMargin cannot be negative'),
  enabled: z.boolean(),
  channels: z.array(channelSchema).max(10, 'at most 10 channels').refine((cs) => new Set(cs).size === cs.length, 'channels repeat'),
  repeatSeconds: z.number().int().min(60, 'repeatSeconds is at least 60').max(7 * 86_400).nullable(),
};

/** A new rule: name, metric, operator, threshold and level are required. */
export const ruleCreateSchema = z
  .object({
    ...ruleFields,
    host: ruleFields.host.default(null),
    forSeconds: ruleFields.forSeconds.default(0),
    clearMargin: ruleFields.clearMargin.default(0),
    enabled: ruleFields.enabled.default(true),
    channels: ruleFields.channels.default(['dashboard']),
    repeatSeconds: ruleFields.repeatSeconds.default(null),
  })
  .strict()
  .superRefine(checkThreshold);

/** A change to a rule: any subset of the fields. */
export const rulePatchSchema = z
  .object(ruleFields)
  .partial()
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'nothing to change');

export type RuleInput = z.output<typeof ruleCreateSchema>;
export type RulePatch = z.output<typeof rulePatchSchema>;

/**
 * Thresholds a built-in metric can never reach are mistakes: 120 % CPU,
 * negative latency. (Metrics found at run time have no such bounds.)
 */
export function checkThreshold(rule: { metric?: MetricName; threshold?: number; operator?: Operator }, ctx: z.RefinementCtx) {
  if (rule.metric === undefined || rule.threshold === undefined || !isBuiltinMetric(rule.metric)) return;
  const def: MetricDef = METRICS[rule.metric];
  if (rule.threshold < 0 && !def.signed) ctx.addIssue({ code: 'custom', path: ['threshold'], message: `${rule.metric} is never negative` });
  if (def.max !== undefined && rule.threshold > def.max) {
    ctx.addIssue({ code: 'custom', path: ['threshold'], message: `${rule.metric} never exceeds ${def.max}` });
  }
}

export const noteSchema = z.object({ note: z.string().trim().max(1000, 'note is at most 1000 characters').optional() }).strict();

export const alertActionSchema = z
  .object({
    id: z.number().int().positive().max(INT4_MAX, 'no such alert id'),
    note: z.string().trim().max(1000, 'note is at most 1000 characters').optional(),
  })
  .strict();

export const alertListQuery = z.object({
  state: z.enum(['open', 'all', ...ALERT_STATES]).default('open'),
  level: z.enum(LEVELS).optional(),
  host: hostName.optional(),
  ruleId: z.string().regex(/^\d{1,10}$/, 'ruleId must be a whole number').transform(Number).pipe(z.number().int().max(INT4_MAX, 'no such rule id')).optional(),
  limit: z.string().regex(/^\d+$/, 'limit must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1000)).default(200),
});

export const silenceCreateSchema = z
  .object({
    ruleId: z.number().int().positive().max(INT4_MAX, 'no such rule id').nullable().default(null),
    host: hostName.nullable().default(null),
    /** Duration from now. */
    minutes: z.number().int().min(1, 'a silence lasts at least a minute').max(30 * 24 * 60, 'a silence lasts at most 30 days'),
    reason: z.string().trim().max(500).nullable().default(null),
  })
  .strict()
  .refine((s) => s.ruleId !== null || s.host !== null, 'a silence needs a rule, a host, or both');
