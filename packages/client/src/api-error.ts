import type { HttpResponse } from './transport.ts';
import type { ErrorDetail } from '@gantry/model/errors';
import { isRecord, parseJsonOrUndefined } from './json.ts';

/** The body of every 4xx/5xx answer (docs/reference/errors.md lists the codes). */
export type { ErrorBody } from '@gantry/model';
/** One problem with a request, located by a JSON Pointer into the body (`/spec/replicas`). */
export type { ErrorDetail } from '@gantry/model/errors';

/** An error answer from the Gantry API: its body `{ code, message, details }` plus the HTTP status. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    /** `GANTRY_E_...` from the server; `HTTP_<status>` when the body was not the server's (a proxy, a crash). */
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }

  /** Builds the error from a parsed body, whatever shape a proxy or a crash gave it. */
  static fromBody(status: number, body: unknown, fallbackText: string): ApiError {
    if (isRecord(body)) {
      const code = typeof body['code'] === 'string' ? body['code'] : `HTTP_${status}`;
      const message = typeof body['message'] === 'string' ? body['message'] : fallbackText;
      const details = Array.isArray(body['details']) ? body['details'].flatMap(toDetail) : [];
      return new ApiError(status, code, message, details);
    }
    return new ApiError(status, `HTTP_${status}`, fallbackText || `request failed with status ${status}`);
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** Reads a non-2xx answer into its ApiError; a body that is not JSON becomes the message. */
export async function readApiError(
  response: Pick<HttpResponse, 'status' | 'statusText' | 'text'>,
): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  // An HTML error page from a proxy can be long: its start is enough to say what it was.
  const fallback = text.trim().slice(0, 300) || response.statusText;
  return ApiError.fromBody(response.status, parseJsonOrUndefined(text), fallback);
}

function toDetail(value: unknown): ErrorDetail[] {
  if (!isRecord(value)) return [];
  const path = typeof value['path'] === 'string' ? value['path'] : '';
  const message = typeof value['message'] === 'string' ? value['message'] : JSON.stringify(value);
  return [{ path, message }];
}
