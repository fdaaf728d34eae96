import { describe, expect, it } from 'vitest';
import type { ApiError } from './api-error.ts';
import { bearerHeaders, HttpClient, pathWithQuery } from './http-client.ts';

function recordingFetch(answer: () => Response): { fetch: typeof fetch; calls: [string, RequestInit][] } {
  const calls: [string, RequestInit][] = [];
  const fetchImpl = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    calls.push([String(input), init ?? {}]);
    return answer();
  }) as typeof fetch;
  return { fetch: fetchImpl, calls };
}

describe('HttpClient', () => {
  it('adds the headers of its hook and its credentials mode to every request, and sends JSON', async () => {
    let token = 'one';
    const { fetch, calls } = recordingFetch(() => Response.json({ ok: true }));
    const client = new HttpClient({
      baseUrl: 'http://gantry.test/',
      fetch,
      headers: () => ({ ...bearerHeaders(token), 'x-csrf-token': 'c' }),
      credentials: 'same-origin',
    });
    expect(await client.request('/api/me')).toEqual({ ok: true });
    token = 'two';
    await client.request('/api/tokens', { method: 'POST', body: { name: 'ci' }, query: { all: undefined } });
    expect(calls.map(([url]) => url)).toEqual(['http://gantry.test/api/me', 'http://gantry.test/api/tokens']);
    expect(calls[0]![1]).toMatchObject({
      method: 'GET',
      credentials: 'same-origin',
      headers: { accept: 'application/json', authorization: 'Bearer one', 'x-csrf-token': 'c' },
    });
    expect(calls[1]![1]).toMatchObject({
      method: 'POST',
      body: '{"name":"ci"}',
      headers: { authorization: 'Bearer two', 'content-type': 'application/json' },
    });
  });

  it('throws the ApiError of an error answer after telling onError, and reports Warning headers', async () => {
    const told: ApiError[] = [];
    const warnings: string[] = [];
    let status = 401;
    const { fetch } = recordingFetch(() =>
      status === 401
        ? Response.json({ code: 'GANTRY_E_UNAUTHENTICATED', message: 'no', details: [] }, { status })
        : new Response('', { status: 200, headers: { warning: '299 - "dropped spec.workflow"' } }),
    );
    const client = new HttpClient({
      fetch,
      onError: (error) => told.push(error),
      onWarning: (message) => warnings.push(message),
    });
    await expect(client.request('/api/me')).rejects.toMatchObject({
      status: 401,
      code: 'GANTRY_E_UNAUTHENTICATED',
    });
    expect(told.map((error) => error.code)).toEqual(['GANTRY_E_UNAUTHENTICATED']);
    status = 200;
    expect(
      await client.request('/apis/x', { method: 'PUT', body: 'a: 1', contentType: 'application/yaml' }),
    ).toBe(undefined);
    expect(warnings).toEqual(['dropped spec.workflow']);
  });

  it('reads a watch as events, telling onOpen once the stream is open', async () => {
    const sse = 'event: ADDED\nid: 5\ndata: {"metadata":{"name":"a"}}\n\n';
    const { fetch, calls } = recordingFetch(
      () => new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    );
    let opened = 0;
    const events = [];
    for await (const event of new HttpClient({ fetch }).watch('/apis/g/v/teams?watch=true', {
      query: { resourceVersion: '4' },
      onOpen: () => opened++,
    }))
      events.push(event);
    expect(opened).toBe(1);
    expect(events).toEqual([{ type: 'ADDED', resourceVersion: '5', object: { metadata: { name: 'a' } } }]);
    expect(calls[0]![0]).toBe('/apis/g/v/teams?watch=true&resourceVersion=4');
    expect(calls[0]![1].headers).toMatchObject({ accept: 'text/event-stream' });
  });

  it('builds queries without empty values', () => {
    expect(pathWithQuery('/a', { x: 'y z', empty: '', none: undefined, n: 2 })).toBe('/a?x=y+z&n=2');
    expect(pathWithQuery('/a', {})).toBe('/a');
  });
});
