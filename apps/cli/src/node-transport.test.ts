import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, GantryClient } from './client.ts';
import type { KindInfo } from './kinds.ts';
import { nodeTransport } from './node-transport.ts';

describe('nodeTransport', () => {
  let server: Server;
  let base: string;
  const seen: { method?: string; body: string; type?: string }[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ method: request.method, body, type: request.headers['content-type'] });
        if (request.url?.endsWith('/drain') === true)
          return void setTimeout(() => response.end('late'), 2000);
        if (request.url === '/empty') return void response.writeHead(204).end();
        if (request.url?.startsWith('/apis/gantry.dev/v1alpha1/teams?watch=true') === true) {
          response.writeHead(200, { 'content-type': 'text/event-stream' });
          const team = (name: string) => ({ kind: 'Team', metadata: { name } });
          response.write(`event: ADDED\ndata: ${JSON.stringify(team('a'))}\n\n`);
          // The second event comes later, in two pieces: the stream is read as it arrives.
          return void setTimeout(() => {
            response.write(`event: ADDED\ndata: ${JSON.stringify(team('b')).slice(0, 10)}`);
            setTimeout(() => response.end(`${JSON.stringify(team('b')).slice(10)}\n\n`), 20);
          }, 50);
        }
        response.writeHead(409, { 'content-type': 'application/json' }).end('{"code":"GANTRY_E_CONFLICT"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the method, headers and body, and answers like fetch', async () => {
    const response = await nodeTransport(`${base}/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(409);
    expect(response.ok).toBe(false);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(await response.text())).toEqual({ code: 'GANTRY_E_CONFLICT' });
    expect(seen.at(-1)).toEqual({ method: 'POST', body: '{"a":1}', type: 'application/json' });
    const empty = await nodeTransport(`${base}/empty`, { method: 'GET', headers: {} });
    expect([empty.status, empty.body, await empty.text()]).toEqual([204, null, '']);
  });

  it('is what GantryClient uses, a drain bounded by its timeout', async () => {
    const client = new GantryClient({ server: base });
    const scope = { team: 't', cluster: 'c', node: 'n' };
    await expect(client.nodeOperation(scope, 'drain', { timeoutSeconds: 1 }, 200)).rejects.toThrow(
      new ConnectionError(base, 'timed out'),
    );
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"timeoutSeconds":1}' });
  });

  it('streams a watch as it arrives', async () => {
    const client = new GantryClient({ server: base });
    const teams: KindInfo = {
      kind: 'Team',
      group: 'gantry.dev',
      version: 'v1alpha1',
      plural: 'teams',
      singular: 'team',
      shortNames: [],
      scope: 'Global',
      printerColumns: [],
    };
    const names: string[] = [];
    for await (const event of client.watch(teams)) {
      names.push(`${event.type} ${event.type === 'ADDED' ? event.object.metadata.name : ''}`);
    }
    expect(names).toEqual(['ADDED a', 'ADDED b']);
  });

  it('reports a refused connection by its code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const client = new GantryClient({ server: `http://127.0.0.1:${address.port}` });
    await expect(
      client.nodeOperation({ team: 't', cluster: 'c', node: 'n' }, 'drain', {}, 5000),
    ).rejects.toThrow('(ECONNREFUSED)');
  });
});
