import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * A stand-in Kubernetes API server: answers /version, accepts node patches, lists nothing and holds
 * watches open. Enough for the Cluster controller to connect and for cordon to succeed.
 */
async function startFakeKube(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const json = (res: ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname === '/version') return json(res, { gitVersion: 'v1.31.0' });
    if (req.method === 'PATCH')
      return json(res, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-1' } });
    if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return; // held open until the test ends
    }
    return json(res, { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function kubeconfig(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: fake`,
    `  cluster: {server: "${server}", insecure-skip-tls-verify: true}`,
    'users:',
    '- name: u',
    '  user: {token: t}',
    'contexts:',
    '- name: fake',
    '  context: {cluster: fake, user: u}',
    'current-context: fake',
  ].join('\n');
}

/** Gantry's own events, end to end: operations record them, `/api/events` serves them per team. */
export function describeEventsSuite(database: string, databaseUrl: () => Promise<string | undefined>) {
  describe(`Gantry events on ${database}`, () => {
    let server: TestServer;
    let kube: Awaited<ReturnType<typeof startFakeKube>>;
    let admin: ReturnType<typeof client>;
    let eve: ReturnType<typeof client>;

    const events = async (api: ReturnType<typeof client>, query: string) => {
      const reply = await api.get(`/api/events?${query}`);
      expect(reply.status).toBe(200);
      return reply.body.items as EventRecord[];
    };
    const until = (api: ReturnType<typeof client>, query: string, done: (items: EventRecord[]) => boolean) =>
      eventually(() => events(api, query), done);

    beforeAll(async () => {
      kube = await startFakeKube();
      const url = await databaseUrl();
      server = await startTestServer({ ...(url ? { databaseUrl: url } : {}) });
      admin = client(server.url, server.adminToken);
      expect(
        (await admin.post(`${BASE}/teams`, team('ops', [{ user: 'admin', role: 'team-admin' }]))).status,
      ).toBe(201);
      expect((await admin.post('/api/users', { username: 'eve', password: 'eve-password' })).status).toBe(
        201,
      );
      const login = await client(server.url).post('/api/auth/login', {
        username: 'eve',
        password: 'eve-password',
      });
      eve = client(server.url, login.body.token);
    });
    afterAll(async () => {
      await server?.close();
      await kube?.close();
    });

    it('records definition changes with the user and versions, visible to every signed-in user', async () => {
      const definition = {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'ComponentDefinition',
        metadata: { name: 'evented' },
        spec: {
          version: '1.0.0',
          workload: { apiVersion: 'v1', kind: 'ConfigMap' },
          schema: { type: 'object', properties: {} },
          templates: [
            { name: 'config', template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } } },
          ],
        },
      };
      expect((await admin.post(`${BASE}/componentdefinitions`, definition)).status).toBe(201);
      expect(
        (await admin.patch(`${BASE}/componentdefinitions/evented`, { spec: { version: '1.1.0' } })).status,
      ).toBe(200);
      const items = await until(eve, 'kind=ComponentDefinition&name=evented', (found) => found.length === 2);
      expect(items.map((e) => [e.source, e.type, e.reason, e.message, e.actor, e.team, e.count])).toEqual([
        [
          'gantry',
          'Normal',
          'DefinitionUpdated',
          'ComponentDefinition evented updated: version 1.0.0 → 1.1.0',
          'admin',
          '',
          1,
        ],
        [
          'gantry',
          'Normal',
          'DefinitionCreated',
          'ComponentDefinition evented created at version 1.0.0',
          'admin',
          '',
          1,
        ],
      ]);
      expect(
        await events(eve, 'kind=ComponentDefinition&name=evented&reason=DefinitionCreated'),
      ).toHaveLength(1);
    });

    it('records a cluster connecting, failing and pausing, on transitions only, to its team only', async () => {
      expect(
        (
          await admin.put('/api/teams/ops/secrets/east-kubeconfig', {
            data: { kubeconfig: kubeconfig(kube.url) },
          })
        ).status,
      ).toBe(200);
      const cluster = (name: string, secret: string) => ({
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Cluster',
        metadata: { name },
        spec: { kubeconfigSecret: { name: secret } },
      });
      expect(
        (await admin.post(`${BASE}/teams/ops/clusters`, cluster('east', 'east-kubeconfig'))).status,
      ).toBe(201);
      expect((await admin.post(`${BASE}/teams/ops/clusters`, cluster('lost', 'no-such-secret'))).status).toBe(
        201,
      );

      const east = await until(admin, 'team=ops&cluster=east', (found) =>
        found.some((e) => e.reason === 'ClusterConnected'),
      );
      expect(east.find((e) => e.reason === 'ClusterConnected')).toMatchObject({
        type: 'Normal',
        objectKind: 'Cluster',
        objectName: 'east',
        cluster: 'ops/east',
        actor: 'controller/cluster',
        message: `${kube.url} answers, Kubernetes v1.31.0`,
      });
      expect(east.find((e) => e.reason === 'ClusterCreated')?.actor).toBe('admin');

      const failed = await until(
        admin,
        'team=ops&type=Warning&kind=Cluster&name=lost',
        (found) => found.length > 0,
      );
      expect(failed).toEqual([
        expect.objectContaining({ reason: 'ClusterConnectionFailed', type: 'Warning', count: 1 }),
      ]);
      expect(failed[0]?.message).toMatch(/^SecretMissing: /);

      expect((await admin.patch(`${BASE}/teams/ops/clusters/east`, { spec: { paused: true } })).status).toBe(
        200,
      );
      await until(admin, 'team=ops&cluster=east&reason=ClusterDisconnected', (found) => found.length === 1);
      // Still one connection and one failure: a steady state records nothing more.
      expect(await events(admin, 'team=ops&cluster=east&reason=ClusterConnected')).toHaveLength(1);
      expect((await events(admin, 'team=ops&kind=Cluster&name=lost'))[0]?.count).toBe(1);

      // eve is in no team: she sees global events only.
      expect((await eve.get('/api/events?team=ops')).status).toBe(403);
      expect((await events(eve, 'kind=Cluster')).length).toBe(0);
      expect((await events(eve, 'source=gantry')).every((e) => e.team === '')).toBe(true);
    });

    it('records node operations with the user who ran them, filterable by the node', async () => {
      expect((await admin.patch(`${BASE}/teams/ops/clusters/east`, { spec: { paused: false } })).status).toBe(
        200,
      );
      expect((await admin.post('/api/teams/ops/clusters/east/nodes/worker-1/cordon')).status).toBe(200);
      expect((await admin.post('/api/teams/ops/clusters/east/nodes/worker-1/cordon')).status).toBe(200);
      expect((await admin.post('/api/teams/ops/clusters/east/nodes/worker-1/uncordon')).status).toBe(200);
      const items = await until(admin, 'team=ops&cluster=east&kind=Node&name=worker-1', (found) =>
        found.some((e) => e.reason === 'NodeUncordoned'),
      );
      expect(items.map((e) => [e.reason, e.count, e.actor])).toEqual([
        ['NodeUncordoned', 1, 'admin'],
        ['NodeCordoned', 2, 'admin'],
      ]);
      expect(await events(admin, 'kind=Node&name=worker-1&source=kubernetes')).toEqual([]);
    });

    it('refuses a bad filter with a 400 and the parameter at fault', async () => {
      const since = await admin.get('/api/events?since=yesterday');
      expect(since.status).toBe(400);
      expect(since.body.code).toBe('GANTRY_E_INVALID');
      expect(since.body.details[0].path).toBe('querystring/since');
      expect((await admin.get('/api/events?source=elsewhere')).status).toBe(400);
      const recent = await events(
        admin,
        `since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      );
      expect(recent).toEqual([]);
    });
  });
}
