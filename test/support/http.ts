import type { RecordedReply } from './openapi-contract.ts';

/**
 * Every answer the clients of this test file got, for the OpenAPI contract check
 * (openapi-contract.ts). Test files run in their own module scope, so this is per file.
 */
export const recordedReplies: RecordedReply[] = [];

/** A tiny JSON client for tests: every call returns status and parsed body, never throws on 4xx/5xx. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export function client(baseUrl: string, token?: string) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<Reply> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = contentType;
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    recordedReplies.push({
      method,
      url: path,
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: parsed,
    });
    return { status: response.status, body: parsed, headers: response.headers };
  };
  return {
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown, contentType?: string) => call('POST', path, body, contentType),
    put: (path: string, body?: unknown, contentType?: string) => call('PUT', path, body, contentType),
    patch: (path: string, body?: unknown, contentType = 'application/merge-patch+json') =>
      call('PATCH', path, body, contentType),
    delete: (path: string) => call('DELETE', path),
    call,
  };
}

export const BASE = '/apis/gantry.dev/v1alpha1';

export function team(
  name: string,
  members: { user: string; role: string }[] = [],
  labels?: Record<string, string>,
) {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { members },
  };
}
