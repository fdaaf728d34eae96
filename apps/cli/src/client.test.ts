import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@gantry/client';
import { ConnectionError, GantryClient, parseWarnings, resourcePath } from './client.ts';
import type { KindInfo } from './kinds.ts';

const team: KindInfo = {
  kind: 'Team',
  group: 'gantry.dev',
  version: 'v1alpha1',
  plural: 'teams',
  singular: 'team',
  shortNames: [],
  scope: 'Global',
  printerColumns: [],
};
const pipeline: KindInfo = {
  ...team,
  kind: 'Pipeline',
  plural: 'pipelines',
  singular: 'pipeline',
  scope: 'Team',
};

interface Call {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
}

/** A fetch that records calls and answers from a list of canned responses. */
function fakeFetch(responses: Response[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchImpl = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    calls.push({
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const response = responses.shift();
    if (!response) throw new Error('no canned response left');
    return response;
  }) as typeof fetch;
  return { fetch: fetchImpl, calls };
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const emptyList = {
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'PipelineList',
  metadata: { resourceVersion: '9' },
  items: [],
};

describe('resourcePath', () => {
  it('puts team-scoped kinds under teams/{team}, and Team itself at the top', () => {
    expect(resourcePath(pipeline, { team: 'payments' })).toBe(
      '/apis/gantry.dev/v1alpha1/teams/payments/pipelines',
    );
    expect(resourcePath(pipeline, { team: 'payments', name: 'build' })).toBe(
      '/apis/gantry.dev/v1alpha1/teams/payments/pipelines/build',
    );
    expect(resourcePath(pipeline, {})).toBe('/apis/gantry.dev/v1alpha1/pipelines');
    expect(resourcePath(team, { team: 'ignored', name: 'platform' })).toBe(
      '/apis/gantry.dev/v1alpha1/teams/platform',
    );
  });

  it('escapes names', () => {
    expect(resourcePath(team, { name: 'a/b c' })).toBe('/apis/gantry.dev/v1alpha1/teams/a%2Fb%20c');
  });
});

describe('GantryClient', () => {
  it('passes a label selector through to the server unchanged', async () => {
    const selector = 'env=prod,tier!=db,region in (eu,us),!legacy,owner';
    const { fetch, calls } = fakeFetch([json(200, emptyList)]);
    await new GantryClient({ server: 'http://gantry.test/', token: 't0k', fetch }).list(pipeline, {
      team: 'payments',
      labelSelector: selector,
    });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url.pathname).toBe('/apis/gantry.dev/v1alpha1/teams/payments/pipelines');
    expect(call?.url.searchParams.get('labelSelector')).toBe(selector);
    expect(call?.headers['authorization']).toBe('Bearer t0k');
  });

  it('follows continue tokens until the list is complete', async () => {
    const item = (name: string): unknown => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name },
    });
    const { fetch, calls } = fakeFetch([
      json(200, { ...emptyList, metadata: { resourceVersion: '9', continue: 'page2' }, items: [item('a')] }),
      json(200, { ...emptyList, metadata: { resourceVersion: '9' }, items: [item('b')] }),
    ]);
    const list = await new GantryClient({ server: 'http://gantry.test', fetch }).list(pipeline);
    expect(list.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(calls.map((c) => c.url.searchParams.get('continue'))).toEqual([null, 'page2']);
    expect(list.metadata).toEqual({ resourceVersion: '9' });
  });

  it('sends dryRun=All for dry-run writes and the body as JSON', async () => {
    const body = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: 'platform', resourceVersion: '3' },
      spec: {},
    };
    const { fetch, calls } = fakeFetch([json(200, body), json(201, body)]);
    const client = new GantryClient({ server: 'http://gantry.test', fetch });
    await client.replace(team, body, undefined, { dryRun: true });
    await client.create(team, body);
    expect(calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`)).toEqual([
      'PUT /apis/gantry.dev/v1alpha1/teams/platform?dryRun=All',
      'POST /apis/gantry.dev/v1alpha1/teams',
    ]);
    expect(calls[0]?.body).toEqual(body);
    expect(calls[0]?.headers['content-type']).toBe('application/json');
  });

  it('throws ApiError with the code, message and details of the error body', async () => {
    const { fetch } = fakeFetch([
      json(422, {
        code: 'GANTRY_E_INVALID',
        message: 'invalid Team',
        details: [{ path: '/spec/members/0/role', message: 'must be one of team-admin, operator, viewer' }],
      }),
    ]);
    const error = await new GantryClient({ server: 'http://gantry.test', fetch })
      .get(team, 'x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      code: 'GANTRY_E_INVALID',
      message: 'invalid Team',
      details: [{ path: '/spec/members/0/role' }],
    });
  });

  it('turns a non-JSON error body into an ApiError too', async () => {
    const { fetch } = fakeFetch([new Response('Bad Gateway', { status: 502 })]);
    const error = await new GantryClient({ server: 'http://gantry.test', fetch })
      .version()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', message: 'Bad Gateway' });
  });

  it('finds nothing (rather than failing) on 404', async () => {
    const { fetch } = fakeFetch([
      json(404, { code: 'GANTRY_E_NOT_FOUND', message: 'not found', details: [] }),
    ]);
    expect(await new GantryClient({ server: 'http://gantry.test', fetch }).find(team, 'x')).toBeUndefined();
  });

  it('reports a refused connection as ConnectionError naming the server', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const url = `http://127.0.0.1:${address.port}`;
    const error = await new GantryClient({ server: url }).version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toBe(`cannot reach server ${url} (ECONNREFUSED)`);
  });

  it('streams watch events from an SSE body with the watch parameters', async () => {
    const sse =
      'event: ADDED\nid: 10\ndata: {"metadata":{"name":"a"}}\n\nevent: BOOKMARK\nid: 11\ndata: {}\n\n';
    const { fetch, calls } = fakeFetch([
      new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    ]);
    const events = [];
    for await (const event of new GantryClient({ server: 'http://gantry.test', fetch }).watch(pipeline, {
      team: 't',
      resourceVersion: '9',
      labelSelector: 'a=b',
    })) {
      events.push(event);
    }
    expect(events.map((e) => (e.type === 'ERROR' ? e.type : `${e.type}@${e.resourceVersion}`))).toEqual([
      'ADDED@10',
      'BOOKMARK@11',
    ]);
    const params = calls[0]?.url.searchParams;
    expect([params?.get('watch'), params?.get('resourceVersion'), params?.get('labelSelector')]).toEqual([
      'true',
      '9',
      'a=b',
    ]);
    expect(calls[0]?.headers['accept']).toBe('text/event-stream');
  });
});

describe('GantryClient fleet calls', () => {
  it('reads every inventory page with the scope as query parameters', async () => {
    const node = (name: string): unknown => ({ cluster: 'sre/east', kind: 'Node', namespace: '', name });
    const { fetch, calls } = fakeFetch([
      json(200, { items: [node('a')], continue: 'next' }),
      json(200, { items: [node('b')] }),
    ]);
    const items = await new GantryClient({ server: 'http://gantry.test', fetch }).inventory('nodes', {
      team: 'sre',
      cluster: 'east',
    });
    expect(items.map((i) => i.name)).toEqual(['a', 'b']);
    expect(calls.map((c) => `${c.url.pathname}${c.url.search}`)).toEqual([
      '/api/inventory/nodes?team=sre&cluster=east&limit=500',
      '/api/inventory/nodes?team=sre&cluster=east&limit=500&continue=next',
    ]);
  });

  it('stops reading events at the newest `max`', async () => {
    const event = (id: number): unknown => ({ id, cluster: 'sre/east' });
    const { fetch, calls } = fakeFetch([json(200, { items: [event(9), event(8)], continue: '8' })]);
    const items = await new GantryClient({ server: 'http://gantry.test', fetch }).events(
      { type: 'Warning' },
      2,
    );
    expect(items).toHaveLength(2);
    expect(calls.map((c) => c.url.search)).toEqual(['?type=Warning&limit=2']);
  });

  it('posts node operations under the team and cluster, with the drain options as the body', async () => {
    const report = { node: 'n 1', cordoned: true, evicted: [], remaining: [], skipped: [], timedOut: false };
    const { fetch, calls } = fakeFetch([json(200, { node: 'n 1', unschedulable: true }), json(200, report)]);
    const client = new GantryClient({ server: 'http://gantry.test', fetch });
    await client.nodeOperation({ team: 'sre', cluster: 'east', node: 'n 1' }, 'cordon');
    expect(
      await client.nodeOperation(
        { team: 'sre', cluster: 'east', node: 'n 1' },
        'drain',
        { timeoutSeconds: 30, force: true },
        60_000,
      ),
    ).toEqual(report);
    expect(calls.map((c) => [c.method, c.url.pathname, c.body])).toEqual([
      ['POST', '/api/teams/sre/clusters/east/nodes/n%201/cordon', undefined],
      ['POST', '/api/teams/sre/clusters/east/nodes/n%201/drain', { timeoutSeconds: 30, force: true }],
    ]);
  });

  it('sends an override reason with a node operation when given one (ADR 0033)', async () => {
    const { fetch, calls } = fakeFetch([json(200, { node: 'n1', unschedulable: true })]);
    const client = new GantryClient({ server: 'http://gantry.test', fetch });
    await client.nodeOperation({ team: 'sre', cluster: 'east', node: 'n1' }, 'cordon', {
      overrideReason: 'incident 7',
    });
    expect(calls.map((c) => [c.method, c.url.pathname, c.body])).toEqual([
      ['POST', '/api/teams/sre/clusters/east/nodes/n1/cordon', { overrideReason: 'incident 7' }],
    ]);
  });

  it('puts a secret as {data}', async () => {
    const { fetch, calls } = fakeFetch([json(200, {})]);
    await new GantryClient({ server: 'http://gantry.test', fetch }).putSecret('sre', 'east-kubeconfig', {
      kubeconfig: 'x',
    });
    expect(calls[0]).toMatchObject({ method: 'PUT', body: { data: { kubeconfig: 'x' } } });
    expect(calls[0]?.url.pathname).toBe('/api/teams/sre/secrets/east-kubeconfig');
  });

  it('reads Warning headers, several joined by fetch, with escaped quotes', () => {
    expect(parseWarnings(null)).toEqual([]);
    expect(parseWarnings('299 - "KubeVela conversion: a dropped"')).toEqual([
      'KubeVela conversion: a dropped',
    ]);
    expect(parseWarnings('299 - "one, with a comma", 299 - "two \\"quoted\\" and a \\\\ backslash"')).toEqual(
      ['one, with a comma', 'two "quoted" and a \\ backslash'],
    );
  });
});
