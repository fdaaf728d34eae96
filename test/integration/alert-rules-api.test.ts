import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

// AlertRule, GlobalAlertRule and MetricsSource through a real server's resource API: the checks on
// write (field paths, nothing stored), the admin-only global kind, and answers true to /api/openapi.json.

const EXAMPLES = join(import.meta.dirname, '../../examples/alerting');
const example = (file: string) =>
  parse(readFileSync(join(EXAMPLES, file), 'utf8')) as Record<string, unknown>;

let server: TestServer;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startTestServer();
  api = client(server.url, server.adminToken);
  expect((await api.post(`${BASE}/teams`, team('shop'))).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

describe('alert rules in the resource API', () => {
  it('creates the shipped examples', async () => {
    for (const [file, plural] of [
      ['node-not-ready.yaml', 'alertrules'],
      ['metrics-source.yaml', 'metricssources'],
      ['target-down.yaml', 'alertrules'],
    ] as const) {
      const reply = await api.post(`${BASE}/teams/shop/${plural}`, example(file));
      expect(reply.status, file).toBe(201);
    }
    const global = await api.post(`${BASE}/globalalertrules`, example('global-node-not-ready.yaml'));
    expect(global.status).toBe(201);
    expect(global.body.spec).toMatchObject({
      interval: '1m',
      for: '15m',
      keepFiringFor: '0s',
      maxSeries: 500,
    });
  });

  it('refuses a CEL error with 400 GANTRY_E_INVALID and its field path, storing nothing', async () => {
    const body = example('application-unhealthy.yaml');
    const reply = await api.post(`${BASE}/teams/shop/alertrules`, {
      ...body,
      spec: { ...(body.spec as object), cel: { over: 'applications', condition: 'application.health ==' } },
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({
      code: 'GANTRY_E_INVALID',
      details: [{ path: '/spec/cel/condition', message: expect.stringContaining('syntax error') }],
    });
    expect((await api.get(`${BASE}/teams/shop/alertrules/application-unhealthy`)).status).toBe(404);
  });

  it("refuses a spec with both promql and cel, or another team's source", async () => {
    const body = example('target-down.yaml');
    const spec = body.spec as Record<string, unknown>;
    const both = await api.post(`${BASE}/teams/shop/alertrules`, {
      ...body,
      metadata: { name: 'both' },
      spec: { ...spec, cel: { over: 'nodes', condition: 'true' } },
    });
    expect(both.status).toBe(400);
    expect(both.body.details).toEqual([{ path: '/spec', message: 'set exactly one of promql and cel' }]);
    const foreign = await api.post(`${BASE}/teams/shop/alertrules`, {
      ...body,
      metadata: { name: 'foreign' },
      spec: { ...spec, promql: { expr: 'up == 0', source: { name: 'prometheus', team: 'ops' } } },
    });
    expect(foreign.body.details).toMatchObject([{ path: '/spec/promql/source/team' }]);
  });

  it('lets only administrators write global rules', async () => {
    expect((await api.post('/api/users', { username: 'olga', password: 'olga-password-1' })).status).toBe(
      201,
    );
    const login = await client(server.url).post('/api/auth/login', {
      username: 'olga',
      password: 'olga-password-1',
    });
    const olga = client(server.url, login.body.token as string);
    const reply = await olga.post(`${BASE}/globalalertrules`, {
      ...example('global-node-not-ready.yaml'),
      metadata: { name: 'mine' },
    });
    expect(reply.status).toBe(403);
  });

  it('answers as /api/openapi.json says', async () => {
    const doc = (await api.get('/api/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        `${BASE}/teams/{team}/alertrules/{name}`,
        `${BASE}/globalalertrules/{name}`,
        `${BASE}/teams/{team}/metricssources/{name}`,
      ]),
    );
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
