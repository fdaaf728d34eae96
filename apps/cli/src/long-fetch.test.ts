import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, GantryClient } from './client.ts';
import { longFetch } from './long-fetch.ts';

describe('longFetch', () => {
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
    const response = await longFetch(`${base}/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(response.status).toBe(409);
    expect(response.ok).toBe(false);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ code: 'GANTRY_E_CONFLICT' });
    expect(seen.at(-1)).toEqual({ method: 'POST', body: '{"a":1}', type: 'application/json' });
    expect((await longFetch(`${base}/empty`)).status).toBe(204);
  });

  it('is what GantryClient uses for a drain, bounded by its timeout', async () => {
    const client = new GantryClient({ server: base });
    const scope = { team: 't', cluster: 'c', node: 'n' };
    await expect(client.nodeOperation(scope, 'drain', { timeoutSeconds: 1 }, 200)).rejects.toThrow(
      new ConnectionError(base, 'timed out'),
    );
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"timeoutSeconds":1}' });
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
