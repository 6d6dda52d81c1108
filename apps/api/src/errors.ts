// The API's one error family: every 4xx says what was wrong with the input in words a user can act
// on; the error handler (plugins/errors.ts) turns these into {"error": {code, message, details}}.

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Sent as Retry-After: when a retry can expect to succeed (503s). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: unknown) =>
  new AppError(400, code, message, details);

export const unauthorized = (message: string) => new AppError(401, 'unauthorized', message);

export const forbidden = (message: string) => new AppError(403, 'forbidden', message);

export const notFound = (what: string, id: string) =>
  new AppError(404, 'not-found', `${what} ${id} does not exist (or is not in a project your key opens)`);

export const conflict = (code: string, message: string, details?: unknown) =>
  new AppError(409, code, message, details);

/** Well-formed, but asks for something the resource cannot give (e.g. the eigenvectors of a gated model). */
export const unprocessable = (code: string, message: string, details?: unknown) =>
  new AppError(422, code, message, details);

export const payloadTooLarge = (message: string) => new AppError(413, 'payload-too-large', message);

export const serviceUnavailable = (message: string, retryAfterSeconds?: number) =>
  new AppError(503, 'unavailable', message, undefined, retryAfterSeconds);
