/**
 * Input schemas of the reports API: the server validates at the edge with
 * them, the reports page with the same. Whether a day lies in the future or
 * a host exists is the server's question (422).
 */
import { z } from 'zod';
import { hostName } from './api.ts';
import { isDay } from './reports.ts';

export const dayInput = z
  .string({ error: 'a day must be a string' })
  .trim()
  .refine(isDay, { error: (issue) => `"${String(issue.input).slice(0, 40)}" is not a day: write YYYY-MM-DD` });

const flag = z.enum(['0', '1', 'true', 'false'], { error: 'fresh is 1 or 0' }).transform((v) => v === '1' || v === 'true');

/**
 * `day=`, or `from=` and `to=` (inclusive), at most 31 days apart; no day
 * at all means yesterday. `fresh=1` computes a day that has a stored report
 * anew. `host=` narrows to one host.
 */
export const reportQuery = z
  .object({
    day: dayInput.optional(),
    from: dayInput.optional(),
    to: dayInput.optional(),
    host: hostName.optional(),
    fresh: flag.optional(),
  })
  .refine((q) => !(q.day && (q.from || q.to)), { error: 'give either day= or from= and to=, not both' })
  .refine((q) => !q.from === !q.to, { error: 'from= and to= go together' });
export type ReportQuery = z.output<typeof reportQuery>;

export const deliveriesQuery = z.object({
  day: dayInput.optional(),
  limit: z.string().regex(/^\d+$/, 'limit must be a whole number').transform(Number).pipe(z.number().int().min(1).max(500)).optional(),
});

/** `POST /api/reports/send`: the day to email (default yesterday). */
export const reportSendSchema = z.object({ day: dayInput.optional() }).strict();
