/**
 * A package loaded the first time it is used instead of at start: a server
 * that sends no email or joins no cluster never loads nodemailer or the
 * Socket.IO adapters (loading them was a measurable part of the start before
 * /healthz answers). Synchronous (createRequire), so the code that uses one
 * need not become async.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

export function lazyPackage<T>(name: string): () => T {
  return () => requireHere(name) as T;
}
