import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusQuerier } from './prometheus-client.ts';

// The client against a stand-in for Prometheus's HTTP API on loopback: what each kind of answer becomes.

let server: Server;
let url: string;
let last: { authorization?: string; body: string } | undefined;
let answer: (res: ServerResponse) => void = () => undefined;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      last = { ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}), body };
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (status: number, body: unknown) => (res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const querier = createPrometheusQuerier();
const T = Date.parse('2026-03-01T00:00:00Z');

describe('Prometheus querier', () => {
  it('reads a vector, drops __name__, and sends the query, the time and the credentials', async () => {
    answer = json(200, {
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { __name__: 'up', job: 'api' }, value: [T / 1000, '0'] }],
      },
    });
    const outcome = await querier.query(
      { url: `${url}/`, authorization: 'Bearer s3cret', timeoutMs: 2000 },
      'up == 0',
      T,
    );
    expect(outcome).toEqual({ ok: true, samples: [{ labels: { job: 'api' }, value: 0 }] });
    expect(last?.authorization).toBe('Bearer s3cret');
    expect(new URLSearchParams(last?.body)).toEqual(
      new URLSearchParams({ query: 'up == 0', time: String(T / 1000) + '.000' }),
    );
  });

  it('classifies refusals: bad PromQL, credentials, server errors, a matrix', async () => {
    const source = { url, timeoutMs: 2000 };
    answer = json(400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 4' });
    expect(await querier.query(source, 'up ==', T)).toMatchObject({
      ok: false,
      reason: 'QueryFailed',
      message: 'bad_data: parse error at char 4',
    });
    answer = json(401, {});
    expect(await querier.query(source, 'up', T)).toMatchObject({ ok: false, reason: 'SourceUnauthorized' });
    answer = (res) => res.writeHead(502).end('bad gateway');
    expect(await querier.query(source, 'up', T)).toMatchObject({ ok: false, reason: 'SourceUnreachable' });
    answer = json(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    expect(await querier.query(source, 'up[5m]', T)).toMatchObject({ ok: false, reason: 'QueryFailed' });
  });

  it('counts a timeout and a closed port as unreachable', async () => {
    answer = () => undefined; // never answers
    const slow = await querier.query({ url, timeoutMs: 200 }, 'up', T);
    expect(slow).toMatchObject({
      ok: false,
      reason: 'SourceUnreachable',
      message: expect.stringContaining('within 200 ms'),
    });
    const closed = await querier.query({ url: 'http://127.0.0.1:9', timeoutMs: 2000 }, 'up', T);
    expect(closed).toMatchObject({
      ok: false,
      reason: 'SourceUnreachable',
      message: expect.stringContaining('cannot reach'),
    });
  });
});
