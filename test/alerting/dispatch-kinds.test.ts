import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** The dispatch kinds through the resource API of a real server: schema, admission with field paths, reads. */
describe('dispatch kinds over the API', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    server = await startTestServer();
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team('ops', [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  const object = (kind: string, name: string, spec: unknown) => ({
    apiVersion: 'gantry.dev/v1alpha1',
    kind,
    metadata: { name, team: 'ops' },
    spec,
  });

  it('stores a routing tree, an inhibit rule and a time interval', async () => {
    const routing = object('AlertRouting', 'main', {
      receivers: ['ops-mail'],
      groupBy: ['alertname'],
      routes: [
        { matchers: ['severity=~"critical|page"'], receivers: ['pager'], muteTimeIntervals: ['nights'] },
      ],
    });
    expect((await api.post(`${BASE}/teams/ops/alertroutings`, routing)).status).toBe(201);
    const rule = object('InhibitRule', 'node-down', {
      sourceMatchers: ['alertname="NodeDown"'],
      targetMatchers: ['severity="warning"'],
      equal: ['node'],
    });
    expect((await api.post(`${BASE}/teams/ops/inhibitrules`, rule)).status).toBe(201);
    const interval = object('TimeInterval', 'nights', {
      timeIntervals: [{ times: [{ startTime: '22:00', endTime: '24:00' }], location: 'Europe/Berlin' }],
    });
    expect((await api.post(`${BASE}/teams/ops/timeintervals`, interval)).status).toBe(201);
    const got = await api.get(`${BASE}/teams/ops/alertroutings/main`);
    expect(got.body.spec.routes[0].matchers).toEqual(['severity=~"critical|page"']);
  });

  it('refuses what does not parse, with the field path, and stores nothing', async () => {
    const bad = await api.post(
      `${BASE}/teams/ops/alertroutings`,
      object('AlertRouting', 'bad', {
        receivers: ['ops-mail'],
        routes: [{ matchers: ['team="db"', 'severity=~"(crit"'], groupBy: ['...', 'x'] }],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('GANTRY_E_INVALID');
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual([
      '/spec/routes/0/matchers/1',
      '/spec/routes/0/groupBy',
    ]);
    expect((await api.get(`${BASE}/teams/ops/alertroutings/bad`)).status).toBe(404);

    const schema = await api.post(
      `${BASE}/teams/ops/alertroutings`,
      object('AlertRouting', 'bad', { receivers: ['ops-mail'], groupWait: 'soon' }),
    );
    expect(schema.status).toBe(400);
    expect(schema.body.details[0].path).toBe('/spec/groupWait');

    const zone = await api.post(
      `${BASE}/teams/ops/timeintervals`,
      object('TimeInterval', 'bad', {
        timeIntervals: [{ location: 'Mars/Olympus', daysOfMonth: ['-1:-3'] }],
      }),
    );
    expect(zone.status).toBe(400);
    expect(zone.body.details.map((d: { path: string }) => d.path).sort()).toEqual([
      '/spec/timeIntervals/0/daysOfMonth/0',
      '/spec/timeIntervals/0/location',
    ]);
  });
});
