/** One problem with a request, located by a JSON pointer into the body (`/spec/replicas`). */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** An error answer from the Gantry API: `{ code, message, details }` plus the HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }

  /** Builds the error from a response body, whatever shape a proxy or a crash gave it. */
  static fromBody(status: number, body: unknown, fallbackText: string): ApiError {
    if (isRecord(body)) {
      const code = typeof body['code'] === 'string' ? body['code'] : `HTTP_${status}`;
      const message = typeof body['message'] === 'string' ? body['message'] : fallbackText;
      const details = Array.isArray(body['details']) ? body['details'].flatMap(toDetail) : [];
      return new ApiError(status, code, message, details);
    }
    return new ApiError(status, `HTTP_${status}`, fallbackText || `Request failed with status ${status}`);
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

function toDetail(value: unknown): ErrorDetail[] {
  if (!isRecord(value)) return [];
  const path = typeof value['path'] === 'string' ? value['path'] : '';
  const message = typeof value['message'] === 'string' ? value['message'] : JSON.stringify(value);
  return [{ path, message }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
