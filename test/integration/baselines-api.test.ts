import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// Baselines through a real server: the checks on write (field paths, nothing stored), the series route's
// answers (against a small stand-in for Prometheus's range API; test/alerting has the real one), its
// errors, and answers true to /api/openapi.json.

const SERIES = '{instance="a",job="api"}';
let server: TestServer;
let api: ReturnType<typeof client>;
let prometheus: Server;
let prometheusUrl: string;
const forms: URLSearchParams[] = [];

beforeAll(async () => {
  // Answers any range query with one series at 100 ± 1 that jumps to 200 for its last five steps.
  prometheus = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      const form = new URLSearchParams(text);
      forms.push(form);
      const [start, end, step] = ['start', 'end', 'step'].map((key) => Number(form.get(key)));
      const values: [number, string][] = [];
      for (let t = start!; t <= end!; t += step!)
        values.push([t, String(t > end! - 5 * step! ? 200 : 100 + (Math.round(t / step!) % 2 ? 1 : -1))]);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          status: 'success',
          data: { resultType: 'matrix', result: [{ metric: { job: 'api', instance: 'a' }, values }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', resolve));
  prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
  server = await startTestServer();
  api = client(server.url, server.adminToken);
  expect((await api.post(`${BASE}/teams`, team('shop'))).status).toBe(201);
  for (const [name, url] of [
    ['prometheus', prometheusUrl],
    ['nowhere', 'http://127.0.0.1:9'],
  ])
    expect(
      (
        await api.post(`${BASE}/teams/shop/metricssources`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'MetricsSource',
          metadata: { name },
          spec: { url, timeoutSeconds: 2 },
        })
      ).status,
    ).toBe(201);
});

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => prometheus?.close(() => resolve()));
});

const baseline = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'Baseline',
  metadata: { name },
  spec: {
    source: { name: 'prometheus' },
    query: 'sum by (job, instance) (rate(requests[5m]))',
    lookback: '2h',
    ...spec,
  },
});

describe('Baselines in the API', () => {
  it('creates one with its defaults', async () => {
    const reply = await api.post(`${BASE}/teams/shop/baselines`, baseline('api'));
    expect(reply.status).toBe(201);
    expect(reply.body.spec).toMatchObject({
      step: '1m',
      interval: '1m',
      algorithm: 'auto',
      sensitivity: 'medium',
      sustained: { k: 3, n: 5 },
      direction: 'both',
      score: { atEdge: 40, max: 90, saturateAt: 3 },
      maxSeries: 1000,
    });
  });

  it("is checked by the server's evaluator (lease health-baselines), which writes its status", async () => {
    const checked = await eventually(
      () => api.get(`${BASE}/teams/shop/baselines/api`),
      (reply) => reply.body.status?.series?.checked === 1,
      15_000,
      100,
    );
    expect(checked.body.status).toMatchObject({
      series: { checked: 1, deviating: 1 },
      conditions: [{ type: 'Evaluating', status: 'True', reason: 'Evaluated' }],
    });
  });

  it('refuses k > n and a short seasonal lookback with their paths, storing nothing', async () => {
    const reply = await api.post(
      `${BASE}/teams/shop/baselines`,
      baseline('bad', { sustained: { k: 4, n: 2 }, algorithm: 'seasonal', lookback: '1d' }),
    );
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('GANTRY_E_INVALID');
    expect(reply.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      '/spec/lookback',
      '/spec/sustained/k',
    ]);
    expect((await api.get(`${BASE}/teams/shop/baselines/bad`)).status).toBe(404);
  });

  it('answers a series with its band and the deviation marked', async () => {
    const reply = await api.get(`/api/teams/shop/baselines/api/series?series=${encodeURIComponent(SERIES)}`);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ team: 'shop', baseline: 'api', series: SERIES, deviating: true });
    expect(reply.body.points).toHaveLength(121);
    expect(reply.body.deviations).toHaveLength(1);
    expect(forms.at(-1)!.get('query')).toContain('and on(instance, job)');
  });

  it('says 404, 400 and 502 with their codes', async () => {
    const path = (name: string, series = SERIES) =>
      `/api/teams/shop/baselines/${name}/series?series=${encodeURIComponent(series)}`;
    expect((await api.get(path('missing'))).status).toBe(404);
    const unknown = await api.get(path('api', '{instance="z",job="api"}'));
    expect(unknown.status).toBe(404);
    const malformed = await api.get(path('api', 'job=api'));
    expect(malformed.status).toBe(400);
    expect(malformed.body.details).toEqual([
      { path: 'querystring/series', message: 'must be a label set as in a risk’s check' },
    ]);
    expect(
      (await api.post(`${BASE}/teams/shop/baselines`, baseline('down', { source: { name: 'nowhere' } })))
        .status,
    ).toBe(201);
    const down = await api.get(path('down'));
    expect(down.status).toBe(502);
    expect(down.body).toMatchObject({
      code: 'GANTRY_E_METRICS_SOURCE_FAILED',
      details: [{ path: 'SourceUnreachable' }],
    });
  });

  it('answers as /api/openapi.json says', async () => {
    const doc = (await api.get('/api/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/teams/{team}/baselines/{name}/series',
        `${BASE}/teams/{team}/baselines/{name}`,
      ]),
    );
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
