/**
 * An error a caller may see: HTTP answers it with `status` and
 * `{"error": {code, message}}`, a socket acknowledgement with
 * `{ok: false, error: {code, message}}`. Anything else is an internal error.
 */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly expose = true;
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 422 | 429 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ServiceError(404, 'not_found', `${what} not found`);
