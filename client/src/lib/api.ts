import type { ApiErrorBody } from '$shared/api.ts';

/** An HTTP error answered by the server as `{"error":{code,message}}` (or a network failure). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** From a 429's Retry-After: how long to wait before trying again. */
  readonly retryAfterSec: number | null;

  constructor(status: number, code: string, message: string, retryAfterSec: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSec = retryAfterSec;
  }
}

let unauthenticated: () => void = () => {};

/** Called on every 401 `unauthenticated` (no session, or it ended): session.svelte.ts goes to the login page. */
export function onUnauthenticated(handler: () => void): void {
  unauthenticated = handler;
}

/** The server's error as an ApiError; a 401 for want of a session also tells the session. */
function failure(res: Response, body: unknown): ApiError {
  const retry = Number(res.headers.get('Retry-After'));
  const retryAfterSec = Number.isFinite(retry) && retry > 0 ? retry : null;
  const err = isErrorBody(body)
    ? new ApiError(res.status, body.error.code, body.error.message, retryAfterSec)
    : new ApiError(res.status, 'http', `The server answered ${res.status} ${res.statusText}`.trim(), retryAfterSec);
  if (res.status === 401 && err.code === 'unauthenticated') unauthenticated();
  return err;
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const error: unknown = body.error;
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string';
}

/** GET a JSON resource of our own API; throws ApiError with the server's message. */
export async function getJson<T>(path: string, params: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T> {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, String(value));
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin', ...(signal ? { signal } : {}) });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiError(0, 'network', 'Cannot reach the server');
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) throw failure(res, body);
  if (body === null) throw new ApiError(res.status, 'bad_body', 'The server sent something that is not JSON');
  return body as T;
}

/**
 * A write to our own API (JSON body, JSON answer; `undefined` for 204). Who
 * acts is the session cookie's user; the browser adds Origin by itself.
 */
export async function sendJson<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(new URL(path, location.origin), {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server');
  }
  if (res.status === 204) return undefined as T;
  const answer: unknown = await res.json().catch(() => null);
  if (!res.ok) throw failure(res, answer);
  return answer as T;
}

/** A failure for people: the server's message, or a generic one (logged) for anything unexpected. */
export function errorMessage(err: unknown, what: string): string {
  if (err instanceof ApiError) return err.message;
  console.error(`glasswatch: ${what} failed`, err);
  return `Something went wrong while ${what}`;
}

/** Runs a write whose failure the page shows in words: null when it worked, else the message (see errorMessage). */
export async function attempt(what: string, write: () => Promise<unknown>): Promise<string | null> {
  try {
    await write();
    return null;
  } catch (err) {
    return errorMessage(err, what);
  }
}
