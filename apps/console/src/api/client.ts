import { HttpClient, pathWithQuery, type Query, type QueryValue } from '@gantry/client';
import { endSession, readSession, sessionHeaders } from '../session/session-store';

export type { QueryValue };

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly query?: Query;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** Builds `path?query`, leaving out empty values so that callers can pass optional filters as-is. */
export const buildUrl = pathWithQuery;

/**
 * The console's API client: @gantry/client's, on the page's own origin. The session is an HttpOnly cookie
 * that goes by itself (same origin); every call carries the session's CSRF token. A 401 on an
 * authenticated call ends the session, which sends the user back to the login page.
 */
export const api = new HttpClient({
  headers: sessionHeaders,
  credentials: 'same-origin',
  onError: (error) => {
    if (error.status === 401 && readSession() !== null) endSession();
  },
});

/**
 * Calls the Gantry API and returns the parsed JSON body. Any non-2xx answer throws an ApiError with the
 * server's code, message and details.
 */
export function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  return api.request<T>(path, {
    ...(options.method ? { method: options.method } : {}),
    ...(options.query ? { query: options.query } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.contentType ? { contentType: options.contentType } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
