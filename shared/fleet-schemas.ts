/**
 * Input schemas of the fleet API: the server validates at the edge with
 * them, the admin pages inline with the same.
 */
import { z } from 'zod';
import { HOST_NAME } from './fleet.ts';

export const hostNameInput = z
  .string({ error: 'name must be a string' })
  .trim()
  .regex(HOST_NAME, 'name: 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const agentCreateSchema = z.object({ name: hostNameInput }).strict();
