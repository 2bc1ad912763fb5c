import type { ZodSafeParseResult } from 'zod';

/**
 * A zod result's problems by field (first message wins; `form` for issues of
 * the whole object): the shared schemas' own messages, shown next to the
 * field before anything is sent.
 */
export function problemsByField(result: ZodSafeParseResult<unknown>): Record<string, string> {
  const problems: Record<string, string> = {};
  if (result.success) return problems;
  for (const issue of result.error.issues) {
    const head = issue.path[0];
    const field = typeof head === 'string' ? head : 'form';
    // Next to its field, "username: 1–64 letters…" needs no "username: "; and it starts a sentence.
    const message = issue.message.startsWith(`${field}: `) ? issue.message.slice(field.length + 2) : issue.message;
    problems[field] ??= message.charAt(0).toUpperCase() + message.slice(1);
  }
  return problems;
}

/** "username: …" from the server → which field it names, and the message without the prefix. */
export function fieldOfMessage(message: string, fields: readonly string[]): { field: string | null; message: string } {
  const match = /^(?:body\.)?(\w+)(?:\.\d+)?: (.*)$/.exec(message);
  if (match && fields.includes(match[1]!)) return { field: match[1]!, message: match[2]! };
  return { field: null, message };
}
