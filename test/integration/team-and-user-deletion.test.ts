import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/** A deleted user or team leaves nothing behind that a re-created name would inherit. */
describe('deleting users and teams', () => {
  let server: TestServer;
  let admin: ReturnType<typeof client>;

  beforeAll(async () => {
    server = await startTestServer();
    admin = client(server.url, server.adminToken);
  });
  afterAll(() => server?.close());

  const members = async (name: string) =>
    ((await admin.get(`${BASE}/teams/${name}`)).body.spec.members as { user: string }[]).map((m) => m.user);

  it('removes a deleted user from every team, so a new user of that name has no role', async () => {
    expect((await admin.post('/api/users', { username: 'gone', password: 'gone-password-1' })).status).toBe(
      201,
    );
    for (const name of ['alpha', 'beta'])
      expect(
        (
          await admin.post(
            `${BASE}/teams`,
            team(name, [
              { user: 'gone', role: 'operator' },
              { user: 'admin', role: 'team-admin' },
            ]),
          )
        ).status,
      ).toBe(201);
    expect((await admin.delete('/api/users/gone')).status).toBe(204);
    expect(await members('alpha')).toEqual(['admin']);
    expect(await members('beta')).toEqual(['admin']);
    expect((await admin.post('/api/users', { username: 'gone', password: 'gone-password-2' })).status).toBe(
      201,
    );
    const login = await client(server.url).post('/api/auth/login', {
      username: 'gone',
      password: 'gone-password-2',
    });
    expect((await client(server.url, login.body.token).get('/api/me')).body.teams).toEqual([]);
  });

  const fill = async (name: string) => {
    expect((await admin.post(`${BASE}/teams`, team(name))).status).toBe(201);
    expect(
      (await admin.put(`/api/teams/${name}/secrets/kubeconfig`, { data: { kubeconfig: 'x' } })).status,
    ).toBe(200);
    expect(
      (
        await admin.post(`${BASE}/teams/${name}/clusters`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'east' },
          spec: { kubeconfigSecret: { name: 'kubeconfig' }, paused: true },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await admin.post(`${BASE}/teams/${name}/applications`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Application',
          metadata: { name: 'shop' },
          spec: {
            components: [{ name: 'web', type: 'webservice', properties: { image: 'nginx:1' } }],
            topology: { clusters: ['east'], namespace: 'shop' },
          },
        })
      ).status,
    ).toBe(201);
  };

  it('refuses to delete a team that holds secrets, clusters or applications, listing them', async () => {
    await fill('full');
    const refused = await admin.delete(`${BASE}/teams/full`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('GANTRY_E_TEAM_NOT_EMPTY');
    const held = (refused.body.details as { message: string }[]).map((d) => d.message).sort();
    // (and the application's revisions, written by its controller)
    expect(held).toEqual(
      expect.arrayContaining(['holds Application shop', 'holds Cluster east', 'holds Secret kubeconfig']),
    );
    expect((await admin.get(`${BASE}/teams/full`)).status).toBe(200);
  });

  it('refuses a team that holds only a secret', async () => {
    expect((await admin.post(`${BASE}/teams`, team('secretive'))).status).toBe(201);
    expect((await admin.put('/api/teams/secretive/secrets/token', { data: { token: 'x' } })).status).toBe(
      200,
    );
    const refused = await admin.delete(`${BASE}/teams/secretive`);
    expect(refused.status).toBe(409);
    expect(refused.body.details).toEqual([{ path: '/metadata/name', message: 'holds Secret token' }]);
  });

  it('deletes a team with everything it holds when asked to cascade; a new team of that name starts empty', async () => {
    const dry = await admin.delete(`${BASE}/teams/full?cascade=true&dryRun=All`);
    expect(dry.status).toBe(200);
    expect((await admin.get(`${BASE}/teams/full/applications/shop`)).status).toBe(200);
    const deleted = await admin.delete(`${BASE}/teams/full?cascade=true`);
    expect(deleted.status).toBe(200);
    expect((await admin.get(`${BASE}/teams/full`)).status).toBe(404);
    expect((await admin.post(`${BASE}/teams`, team('full'))).status).toBe(201);
    expect((await admin.get('/api/secrets?team=full')).body.items).toEqual([]);
    expect((await admin.get(`${BASE}/teams/full/clusters`)).body.items).toEqual([]);
    expect((await admin.get(`${BASE}/teams/full/applications`)).body.items).toEqual([]);
    const audit = (await admin.get('/api/audit?limit=50')).body.items as { action: string; kind: string }[];
    expect(audit.filter((e) => e.action.startsWith('delete')).map((e) => e.kind)).toEqual(
      expect.arrayContaining(['Application', 'Cluster', 'Secret', 'Team']),
    );
  });

  it("lets an operator point a Cluster only at the secret made for it; a team-admin may choose any of the team's", async () => {
    for (const username of ['opal', 'tadd'])
      expect((await admin.post('/api/users', { username, password: `${username}-password-1` })).status).toBe(
        201,
      );
    expect(
      (
        await admin.post(
          `${BASE}/teams`,
          team('fleet', [
            { user: 'opal', role: 'operator' },
            { user: 'tadd', role: 'team-admin' },
          ]),
        )
      ).status,
    ).toBe(201);
    const as = async (username: string) =>
      client(
        server.url,
        (await client(server.url).post('/api/auth/login', { username, password: `${username}-password-1` }))
          .body.token,
      );
    const [opal, tadd] = [await as('opal'), await as('tadd')];
    const cluster = (name: string, secret: string) => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name },
      spec: { kubeconfigSecret: { name: secret }, paused: true },
    });
    const refused = await opal.post(`${BASE}/teams/fleet/clusters`, cluster('east', 'db-password'));
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('GANTRY_E_FORBIDDEN');
    expect(refused.body.details[0].path).toBe('/spec/kubeconfigSecret/name');
    expect((await opal.post(`${BASE}/teams/fleet/clusters`, cluster('east', 'east-kubeconfig'))).status).toBe(
      201,
    );
    const moved = await opal.patch(`${BASE}/teams/fleet/clusters/east`, {
      spec: { kubeconfigSecret: { name: 'db-password' } },
    });
    expect(moved.status).toBe(403);
    expect((await opal.patch(`${BASE}/teams/fleet/clusters/east`, { spec: { paused: false } })).status).toBe(
      200,
    );
    expect(
      (await tadd.post(`${BASE}/teams/fleet/clusters`, cluster('west', 'shared-kubeconfig'))).status,
    ).toBe(201);
  });
});
