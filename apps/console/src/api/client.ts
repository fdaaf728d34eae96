import { parseJsonOrUndefined, readApiError } from '@gantry/client';
import { endSession, sessionHeaders } from '../session/session-store';

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** Builds `path?query`, leaving out empty values so that callers can pass optional filters as-is. */
export function buildUrl(path: string, query: Readonly<Record<string, QueryValue>> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The session cookie goes by itself (same origin); the CSRF header goes with it. */
export function authHeaders(): Record<string, string> {
  return sessionHeaders();
}

/**
 * Calls the Gantry API and returns the parsed JSON body. Any non-2xx answer throws an ApiError with the
 * server's code, message and details. A 401 on an authenticated call ends the session, which sends the
 * user back to the login page.
 */
export async function apiRequest<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/json';
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(buildUrl(path, options.query), {
    method: options.method ?? 'GET',
    headers,
    body,
    signal: options.signal,
  });
  await ensureOk(response, 'X-Gantry-CSRF' in headers);
  return parseJsonOrUndefined(await response.text()) as T;
}

/** Throws the ApiError of a non-2xx answer; a 401 on an authenticated call also ends the session. */
export async function ensureOk(response: Response, authenticated: boolean): Promise<void> {
  if (response.ok) return;
  if (response.status === 401 && authenticated) endSession();
  throw await readApiError(response);
}
