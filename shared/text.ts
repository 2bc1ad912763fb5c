/**
 * Text that cannot be stored: PostgreSQL text holds no NUL character, and a
 * lone UTF-16 surrogate has no UTF-8 form (it fails half-way through a
 * write). Every door refuses such input up front (HTTP bodies and queries,
 * socket payloads, pushes), with the path of the offending field.
 */

/** PostgreSQL `integer` columns: ids, counts. */
export const INT4_MAX = 2_147_483_647;

export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The path of the first string (or object key) in `value` that cannot be
 * stored, e.g. `body.note` or `[2].values["a\u0000"]`; null when all can.
 * Looks `maxDepth` levels deep (deeper input is refused as too nested).
 */
export function findUnstorableText(value: unknown, path = 'body', maxDepth = 32): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path;
  if (typeof value !== 'object' || value === null) return null;
  if (maxDepth <= 0) return `${path} (nested too deep)`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findUnstorableText(value[i], `${path}[${i}]`, maxDepth - 1);
      if (bad) return bad;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    if (!isStorableText(key)) return `${path} (a field name)`;
    const bad = findUnstorableText(v, `${path}.${key}`, maxDepth - 1);
    if (bad) return bad;
  }
  return null;
}

/** The message a door answers with. */
export const unstorableMessage = (path: string) => `${path}: text with a NUL character or an unpaired surrogate cannot be stored`;
