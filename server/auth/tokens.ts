import { createHash, randomBytes } from 'node:crypto';

/** A random secret for a cookie or a display token (256 bits). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored instead of a token: its SHA-256. A stolen database holds no usable token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
