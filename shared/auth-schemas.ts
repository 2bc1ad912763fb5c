/**
 * Input schemas for logins, users, display tokens and audit queries: the
 * server validates at the edge with them, the admin pages inline with the same.
 */
import { z } from 'zod';
import { AUDIT_ACTIONS, KIOSK_VIEWS, ROLES } from './auth.ts';

export const USERNAME = /^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$/;
const username = z.string().trim().regex(USERNAME, 'username: 1–64 letters, digits, . _ @ - (starting with a letter or digit)');
const password = z.string().min(10, 'password needs at least 10 characters').max(200, 'password is at most 200 characters');

export const loginSchema = z.object({ username: z.string().trim().min(1, 'username is required').max(64), password: z.string().min(1, 'password is required').max(200) }).strict();

export const userCreateSchema = z.object({ username, password, role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }) }).strict();

export const userPatchSchema = z
  .object({ role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }), password, disabled: z.boolean() })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

const displaySettingsFields = {
  views: z
    .array(z.enum(KIOSK_VIEWS, { error: `views are ${KIOSK_VIEWS.join(', ')}` }))
    .min(1, 'at least one view')
    .refine((v) => new Set(v).size === v.length, 'views repeat'),
  rotateSeconds: z.number().int('whole seconds').min(10, 'rotate every 10 s at the fastest').max(3600).nullable(),
  sound: z.boolean(),
};
const displayName = z.string().trim().min(1, 'name is required').max(80, 'name is at most 80 characters');

export const displayCreateSchema = z
  .object({
    name: displayName,
    views: displaySettingsFields.views.default(['overview']),
    rotateSeconds: displaySettingsFields.rotateSeconds.default(null),
    sound: displaySettingsFields.sound.default(false),
  })
  .strict();

export const displayPatchSchema = z
  .object({ name: displayName, ...displaySettingsFields })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

export const auditQuery = z.object({
  actor: z.string().trim().max(64).optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  from: z.string().regex(/^\d+$/, 'from must be epoch milliseconds').transform(Number).optional(),
  to: z.string().regex(/^\d+$/, 'to must be epoch milliseconds').transform(Number).optional(),
  limit: z.string().regex(/^\d+$/, 'limit must be a whole number').transform(Number).pipe(z.number().int().min(1).max(1000)).default(200),
});
