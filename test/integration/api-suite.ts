import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { openSse } from '../support/sse.ts';
import { widget, widgetKind } from '../support/widget-kind.ts';

/** The declarative API, identity and audit, end to end over HTTP; run on SQLite and on PostgreSQL. */
export function describeApiSuite(database: string, databaseUrl: () => Promise<string | undefined>) {
  describe(`resource API on ${database}`, () => {
    let server: TestServer;
    let admin: ReturnType<typeof client>;

    beforeAll(async () => {
      const url = await databaseUrl();
      server = await startTestServer({
        ...(url ? { databaseUrl: url } : {}),
        extraKinds: [widgetKind],
        config: { bodyLimitBytes: 64 * 1024, loginMaxFailures: 3 },
      });
      admin = client(server.url, server.adminToken);
      expect(
        (await admin.post(`${BASE}/teams`, team('payments', [{ user: 'admin', role: 'team-admin' }]))).status,
      ).toBe(201);
    });
    afterAll(() => server?.close());

    it('serves health, readiness, metrics and an OpenAPI 3.1 document that names each kind', async () => {
      const anon = client(server.url);
      expect((await anon.get('/healthz')).status).toBe(200);
      expect((await anon.get('/readyz')).body).toEqual({ status: 'ready' });
      const metrics = await anon.get('/metrics');
      expect(metrics.body).toContain('gantry_http_requests_total');
      expect(metrics.body).toContain('gantry_db_query_duration_seconds');
      const doc = (await anon.get('/api/openapi.json')).body;
      expect(doc.openapi).toBe('3.1.0');
      expect(
        doc.paths[`${BASE}/teams/{team}/widgets/{name}`].put.requestBody.content['application/json'].schema,
      ).toEqual({ $ref: '#/components/schemas/Widget' });
      expect(doc.components.schemas.Widget.properties.spec.properties.replicas.maximum).toBe(100);
      expect(doc.paths['/api/users'].post.requestBody).toBeDefined();
    });

    it('lists the kinds with their schemas, or without them when asked (what a CLI call needs)', async () => {
      const full = await admin.get('/api/kinds');
      const widgets = full.body.items.find((kind: { kind: string }) => kind.kind === 'Widget');
      expect(widgets).toMatchObject({ plural: 'widgets', scope: 'Team' });
      expect(widgets.schema).toBeDefined();
      const names = await admin.get('/api/kinds?schemas=false');
      expect(names.body.items.map((kind: { kind: string }) => kind.kind)).toEqual(
        full.body.items.map((kind: { kind: string }) => kind.kind),
      );
      expect(names.body.items.some((kind: object) => 'schema' in kind || 'statusSchema' in kind)).toBe(false);
      expect(names.body.items.find((kind: { kind: string }) => kind.kind === 'Widget')).toMatchObject({
        plural: 'widgets',
        printerColumns: widgets.printerColumns,
      });
      expect(JSON.stringify(names.body).length).toBeLessThan(JSON.stringify(full.body).length / 4);
      const bad = await admin.get('/api/kinds?schemas=no');
      expect(bad.status).toBe(400);
      expect(bad.body.code).toBe('GANTRY_E_INVALID');
    });

    it('tags every API answer with a hash of the kinds it serves (the CLI caches them, ADR 0035)', async () => {
      const tag = (await admin.get('/api/kinds?schemas=false')).headers.get('gantry-kinds');
      expect(tag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
      expect((await admin.get(`${BASE}/teams`)).headers.get('gantry-kinds')).toBe(tag);
      expect((await admin.get(`${BASE}/gadgets`)).headers.get('gantry-kinds')).toBe(tag);
      // A server that serves other kinds (no Widget) answers with another tag.
      const other = await startTestServer({});
      try {
        const otherTag = (await client(other.url, other.adminToken).get(`${BASE}/teams`)).headers.get(
          'gantry-kinds',
        );
        expect(otherTag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
        expect(otherTag).not.toBe(tag);
      } finally {
        await other.close();
      }
    });

    it('creates, reads, lists and applies schema defaults', async () => {
      const created = await admin.post(
        `${BASE}/teams/payments/widgets`,
        widget('payments', 'w1', { replicas: 2 }, { tier: 'web' }),
      );
      expect(created.status).toBe(201);
      expect(created.body.metadata).toMatchObject({ name: 'w1', team: 'payments', generation: 1 });
      expect(created.body.spec).toEqual({ replicas: 2, size: 'small' });
      expect(Number(created.body.metadata.resourceVersion)).toBeGreaterThan(0);
      const got = await admin.get(`${BASE}/teams/payments/widgets/w1`);
      expect(got.body).toEqual(created.body);
      const again = await admin.post(`${BASE}/teams/payments/widgets`, widget('payments', 'w1'));
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('GANTRY_E_ALREADY_EXISTS');
    });

    it('accepts YAML bodies', async () => {
      const yaml = [
        'apiVersion: gantry.dev/v1alpha1',
        'kind: Widget',
        'metadata:',
        '  name: from-yaml',
        'spec:',
        '  replicas: 3',
      ].join('\n');
      const created = await admin.post(`${BASE}/teams/payments/widgets`, yaml, 'application/yaml');
      expect(created.status).toBe(201);
      expect(created.body.spec.replicas).toBe(3);
    });

    it('filters by label selector and pages with continue tokens', async () => {
      for (let i = 0; i < 7; i++) {
        const response = await admin.post(
          `${BASE}/teams/payments/widgets`,
          widget('payments', `page-${i}`, {}, { group: 'paging', parity: i % 2 === 0 ? 'even' : 'odd' }),
        );
        expect(response.status).toBe(201);
      }
      const even = await admin.get(
        `${BASE}/teams/payments/widgets?labelSelector=${encodeURIComponent('group=paging,parity in (even)')}`,
      );
      expect(even.body.items.map((w: { metadata: { name: string } }) => w.metadata.name)).toEqual([
        'page-0',
        'page-2',
        'page-4',
        'page-6',
      ]);
      const notOdd = await admin.get(
        `${BASE}/widgets?labelSelector=${encodeURIComponent('group,parity!=odd')}`,
      );
      expect(notOdd.body.items).toHaveLength(4);
      const noLabel = await admin.get(`${BASE}/widgets?labelSelector=${encodeURIComponent('!group')}`);
      expect(
        noLabel.body.items.every(
          (w: { metadata: { labels?: Record<string, string> } }) => !w.metadata.labels?.group,
        ),
      ).toBe(true);
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await admin.get(
          `${BASE}/teams/payments/widgets?labelSelector=group%3Dpaging&limit=3${token ? `&continue=${token}` : ''}`,
        );
        expect(page.status).toBe(200);
        names.push(...page.body.items.map((w: { metadata: { name: string } }) => w.metadata.name));
        token = page.body.metadata.continue;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(names).toEqual(['page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    });

    it('replaces with optimistic concurrency and bumps generation only for spec changes', async () => {
      const current = (await admin.get(`${BASE}/teams/payments/widgets/w1`)).body;
      const replaced = await admin.put(`${BASE}/teams/payments/widgets/w1`, {
        ...current,
        spec: { replicas: 5, size: 'large' },
      });
      expect(replaced.status).toBe(200);
      expect(replaced.body.metadata.generation).toBe(2);
      const stale = await admin.put(`${BASE}/teams/payments/widgets/w1`, {
        ...current,
        spec: { replicas: 6 },
      });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('GANTRY_E_CONFLICT');
      expect(stale.body.details[0].path).toBe('/metadata/resourceVersion');
      const unchanged = await admin.put(`${BASE}/teams/payments/widgets/w1`, replaced.body);
      expect(unchanged.body.metadata.resourceVersion).toBe(replaced.body.metadata.resourceVersion);
      const status = await admin.put(`${BASE}/teams/payments/widgets/w1/status`, {
        metadata: { name: 'w1' },
        status: { readyReplicas: 5, observedGeneration: 2 },
      });
      expect(status.status).toBe(200);
      expect(status.body.metadata.generation).toBe(2);
      expect(status.body.spec.replicas).toBe(5);
      const badStatus = await admin.put(`${BASE}/teams/payments/widgets/w1/status`, {
        metadata: { name: 'w1' },
        status: { readyReplicas: 'five' },
      });
      expect(badStatus.status).toBe(400);
      expect(badStatus.body.details[0].path).toBe('/status/readyReplicas');
      // Writing the main resource leaves status alone.
      const afterPut = await admin.put(`${BASE}/teams/payments/widgets/w1`, {
        ...status.body,
        spec: { replicas: 4, size: 'large' },
        status: { readyReplicas: 0 },
      });
      expect(afterPut.body.status).toEqual({ readyReplicas: 5, observedGeneration: 2 });
    });

    it('applies JSON merge patches, with a resourceVersion precondition when given', async () => {
      const patched = await admin.patch(`${BASE}/teams/payments/widgets/w1`, {
        metadata: { labels: { tier: null, owner: 'ana' } },
        spec: { note: 'patched' },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.metadata.labels).toEqual({ owner: 'ana' });
      expect(patched.body.spec).toMatchObject({ replicas: 4, note: 'patched' });
      const stale = await admin.patch(`${BASE}/teams/payments/widgets/w1`, {
        metadata: { resourceVersion: '1' },
        spec: { replicas: 9 },
      });
      expect(stale.status).toBe(409);
      const invalid = await admin.patch(`${BASE}/teams/payments/widgets/w1`, { spec: { replicas: -1 } });
      expect(invalid.status).toBe(400);
      expect(invalid.body.details).toEqual([{ path: '/spec/replicas', message: 'must be >= 0' }]);
    });

    it('dry-runs every write without storing anything', async () => {
      const before = (await admin.get(`${BASE}/teams/payments/widgets/w1`)).body;
      const dryCreate = await admin.post(
        `${BASE}/teams/payments/widgets?dryRun=All`,
        widget('payments', 'dry'),
      );
      expect(dryCreate.status).toBe(200);
      expect((await admin.get(`${BASE}/teams/payments/widgets/dry`)).status).toBe(404);
      const dryPatch = await admin.patch(`${BASE}/teams/payments/widgets/w1?dryRun=All`, {
        spec: { replicas: 42 },
      });
      expect(dryPatch.body.spec.replicas).toBe(42);
      const dryDelete = await admin.delete(`${BASE}/teams/payments/widgets/w1?dryRun=All`);
      expect(dryDelete.status).toBe(200);
      expect((await admin.get(`${BASE}/teams/payments/widgets/w1`)).body).toEqual(before);
    });

    it('refuses bad input with a stable code and field paths, and writes nothing', async () => {
      const countBefore = (await admin.get(`${BASE}/widgets?limit=1000`)).body.items.length;
      const auditBefore = (await admin.get('/api/audit?limit=1')).body.items[0].id;
      const cases: [
        Promise<{ status: number; body: { code: string; details: { path: string }[] } }>,
        number,
        string,
        string?,
      ][] = [
        [
          admin.post(`${BASE}/teams/payments/widgets`, widget('payments', 'x', { replicas: 'two' })),
          400,
          'GANTRY_E_INVALID',
          '/spec/replicas',
        ],
        [
          admin.post(`${BASE}/teams/payments/widgets`, widget('payments', 'x', { colour: 'red' })),
          400,
          'GANTRY_E_INVALID',
          '/spec/colour',
        ],
        [
          admin.post(`${BASE}/teams/payments/widgets`, { ...widget('payments', 'x'), extra: true }),
          400,
          'GANTRY_E_INVALID',
          '/extra',
        ],
        [
          admin.post(`${BASE}/teams/payments/widgets`, widget('payments', 'Not_A_Name')),
          400,
          'GANTRY_E_INVALID',
          '/metadata/name',
        ],
        [
          admin.post(
            `${BASE}/teams/payments/widgets`,
            widget('payments', 'x', { ports: [{ name: 'http', port: 70000 }] }),
          ),
          400,
          'GANTRY_E_INVALID',
          '/spec/ports/0/port',
        ],
        [admin.post(`${BASE}/teams/payments/widgets`, '{"apiVersion": '), 400, 'GANTRY_E_MALFORMED'],
        [
          admin.post(`${BASE}/teams/payments/widgets`, 'kind: [unclosed', 'application/yaml'),
          400,
          'GANTRY_E_MALFORMED',
        ],
        [
          admin.post(`${BASE}/teams/payments/widgets`, 'name=x', 'application/x-www-form-urlencoded'),
          415,
          'GANTRY_E_UNSUPPORTED_MEDIA_TYPE',
        ],
        [
          admin.post(
            `${BASE}/teams/payments/widgets`,
            widget('payments', 'x', { note: 'y'.repeat(70 * 1024) }),
          ),
          413,
          'GANTRY_E_PAYLOAD_TOO_LARGE',
        ],
        [admin.post(`${BASE}/teams/payments/gizmos`, widget('payments', 'x')), 400, 'GANTRY_E_UNKNOWN_KIND'],
        [
          admin.post(`${BASE}/teams/nowhere/widgets`, widget('nowhere', 'x')),
          400,
          'GANTRY_E_INVALID',
          '/metadata/team',
        ],
        [
          admin.post(`${BASE}/teams/payments/widgets`, widget('other', 'x')),
          400,
          'GANTRY_E_INVALID',
          '/metadata/team',
        ],
        [
          admin.get(`${BASE}/widgets?labelSelector=${encodeURIComponent('a in (b')}`),
          400,
          'GANTRY_E_BAD_SELECTOR',
        ],
        [admin.get(`${BASE}/widgets?limit=0`), 400, 'GANTRY_E_INVALID'],
        [admin.get(`${BASE}/widgets?continue=garbage`), 400, 'GANTRY_E_BAD_REQUEST'],
        [
          admin.put(`${BASE}/teams/payments/widgets/w1`, widget('payments', 'renamed')),
          400,
          'GANTRY_E_INVALID',
          '/metadata/name',
        ],
        [admin.get(`${BASE}/teams/payments/widgets/missing`), 404, 'GANTRY_E_NOT_FOUND'],
        [admin.get('/api/nothing-here'), 404, 'GANTRY_E_NOT_FOUND'],
      ];
      for (const [request, status, code, path] of cases) {
        const response = await request;
        expect({ status: response.status, code: response.body.code }).toEqual({ status, code });
        if (path) expect(response.body.details.map((d) => d.path)).toContain(path);
      }
      expect((await admin.get(`${BASE}/widgets?limit=1000`)).body.items.length).toBe(countBefore);
      expect((await admin.get('/api/audit?limit=1')).body.items[0].id).toBe(auditBefore);
    });

    it('streams watch events over SSE and resumes from a resourceVersion', async () => {
      const list = await admin.get(`${BASE}/teams/payments/widgets`);
      const from = list.body.metadata.resourceVersion as string;
      const stream = await openSse(
        `${server.url}${BASE}/teams/payments/widgets?watch=true&resourceVersion=${from}&labelSelector=app%3Dwatched`,
        server.adminToken,
      );
      expect(stream.status).toBe(200);
      await stream.waitFor((events) => events.some((e) => e.event === 'BOOKMARK'));
      await admin.post(
        `${BASE}/teams/payments/widgets`,
        widget('payments', 'watched', {}, { app: 'watched' }),
      );
      await admin.post(`${BASE}/teams/payments/widgets`, widget('payments', 'ignored', {}, { app: 'other' }));
      await admin.patch(`${BASE}/teams/payments/widgets/watched`, { spec: { replicas: 7 } });
      await admin.delete(`${BASE}/teams/payments/widgets/watched`);
      const events = await stream.waitFor((all) => all.some((e) => e.event === 'DELETED'));
      stream.close();
      const changes = events.filter((e) => e.event !== 'BOOKMARK');
      expect(changes.map((e) => [e.event, e.data.metadata.name])).toEqual([
        ['ADDED', 'watched'],
        ['MODIFIED', 'watched'],
        ['DELETED', 'watched'],
      ]);
      expect(changes[1]!.data.spec.replicas).toBe(7);
      // Resuming after the first event replays the rest, in order.
      const resumed = await openSse(
        `${server.url}${BASE}/widgets?watch=true&resourceVersion=${changes[0]!.id}&labelSelector=app%3Dwatched`,
        server.adminToken,
      );
      const replay = await resumed.waitFor((all) => all.some((e) => e.event === 'BOOKMARK'));
      resumed.close();
      expect(replay.filter((e) => e.event !== 'BOOKMARK').map((e) => e.event)).toEqual([
        'MODIFIED',
        'DELETED',
      ]);
    });

    it('answers 410 when asked to resume from compacted history', async () => {
      await admin.post(`${BASE}/teams/payments/widgets`, widget('payments', 'compact-me'));
      await server.server.store.resources.compactChanges(1);
      const gone = await admin.get(`${BASE}/widgets?watch=true&resourceVersion=1`);
      expect(gone.status).toBe(410);
      expect(gone.body.code).toBe('GANTRY_E_EXPIRED');
    });

    it('authenticates every call and rate-limits failed logins', async () => {
      const anon = client(server.url);
      expect((await anon.get(`${BASE}/teams`)).body.code).toBe('GANTRY_E_UNAUTHENTICATED');
      expect((await client(server.url, 'gns_bogus').get(`${BASE}/teams`)).status).toBe(401);
      for (let i = 0; i < 3; i++) {
        expect(
          (await anon.post('/api/auth/login', { username: 'mallory', password: 'wrong-password' })).status,
        ).toBe(401);
      }
      const limited = await anon.post('/api/auth/login', { username: 'mallory', password: 'wrong-password' });
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('GANTRY_E_RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await anon.post('/api/auth/login', { username: 'admin' })).body.details[0].path).toBe(
        '/password',
      );
    });

    it('enforces roles: viewer reads, operator writes, team-admin manages the team, strangers see nothing', async () => {
      for (const name of ['vera', 'otto', 'tina', 'sam']) {
        expect(
          (await admin.post('/api/users', { username: name, password: `${name}-password` })).status,
        ).toBe(201);
      }
      const current = (await admin.get(`${BASE}/teams/payments`)).body;
      const members = [
        ...current.spec.members,
        { user: 'vera', role: 'viewer' },
        { user: 'otto', role: 'operator' },
        { user: 'tina', role: 'team-admin' },
      ];
      expect(
        (await admin.put(`${BASE}/teams/payments`, { ...current, spec: { ...current.spec, members } }))
          .status,
      ).toBe(200);
      const login = async (name: string) =>
        client(
          server.url,
          (await client(server.url).post('/api/auth/login', { username: name, password: `${name}-password` }))
            .body.token,
        );
      const [vera, otto, tina, sam] = await Promise.all(['vera', 'otto', 'tina', 'sam'].map(login));

      expect((await vera!.get(`${BASE}/teams/payments/widgets/w1`)).status).toBe(200);
      const denied = await vera!.patch(`${BASE}/teams/payments/widgets/w1`, { spec: { replicas: 1 } });
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('GANTRY_E_FORBIDDEN');
      expect((await otto!.patch(`${BASE}/teams/payments/widgets/w1`, { spec: { replicas: 1 } })).status).toBe(
        200,
      );
      expect(
        (await otto!.patch(`${BASE}/teams/payments`, { spec: { description: 'mine now' } })).status,
      ).toBe(403);
      expect(
        (await tina!.patch(`${BASE}/teams/payments`, { spec: { description: 'managed by tina' } })).status,
      ).toBe(200);
      expect((await tina!.post(`${BASE}/teams`, team('tinas-own'))).status).toBe(403);
      expect((await tina!.get('/api/users')).status).toBe(403);
      expect((await sam!.get(`${BASE}/teams/payments/widgets/w1`)).status).toBe(403);
      expect((await sam!.get(`${BASE}/widgets`)).body.items).toEqual([]);
      expect((await sam!.get(`${BASE}/teams`)).body.items).toEqual([]);
      expect(
        (await vera!.get(`${BASE}/teams`)).body.items.map(
          (t: { metadata: { name: string } }) => t.metadata.name,
        ),
      ).toEqual(['payments']);
      expect((await sam!.get('/api/audit')).status).toBe(403);
      const tinasAudit = (await tina!.get('/api/audit?limit=1000')).body.items as { team: string }[];
      expect(tinasAudit.length).toBeGreaterThan(0);
      expect(tinasAudit.every((entry) => entry.team === 'payments')).toBe(true);
      expect((await vera!.get('/api/me')).body).toEqual({
        user: { username: 'vera', admin: false },
        teams: [{ team: 'payments', role: 'viewer' }],
      });
    });

    it('issues API tokens shown once, usable until revoked', async () => {
      const created = await admin.post('/api/tokens', { name: 'ci', expiresInDays: 7 });
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^gnt_/);
      const listed = (await admin.get('/api/tokens')).body.items as Record<string, unknown>[];
      expect(listed.find((t) => t.id === created.body.id)).toBeDefined();
      expect(JSON.stringify(listed)).not.toContain(created.body.token);
      const ci = client(server.url, created.body.token);
      expect((await ci.get(`${BASE}/teams`)).status).toBe(200);
      expect((await admin.delete(`/api/tokens/${created.body.id}`)).status).toBe(204);
      const revoked = await ci.get(`${BASE}/teams`);
      expect(revoked.status).toBe(401);
      expect(revoked.body.message).toContain('revoked');
      expect(
        (await admin.post('/api/tokens', { name: 'forever', expiresInDays: 1000 })).body.details[0].path,
      ).toBe('/expiresInDays');
    });

    it('records every mutation in the audit log with a diff', async () => {
      await admin.patch(`${BASE}/teams/payments/widgets/from-yaml`, { spec: { replicas: 9 } });
      const entries = (await admin.get('/api/audit?kind=Widget&name=from-yaml')).body.items;
      expect(entries.map((e: { action: string }) => e.action)).toEqual(['patch', 'create']);
      expect(entries[0]).toMatchObject({ actor: 'admin', team: 'payments', source: '127.0.0.1' });
      expect(entries[0].diff).toEqual([{ op: 'replace', path: '/spec/replicas', from: 3, to: 9 }]);
      expect(entries[1].after.spec).toEqual({ replicas: 3, size: 'small' });
      const byActor = (await admin.get('/api/audit?actor=otto')).body.items;
      expect(byActor.length).toBeGreaterThan(0);
      const page1 = await admin.get('/api/audit?limit=2');
      const page2 = await admin.get(`/api/audit?limit=2&continue=${page1.body.continue}`);
      expect(page2.body.items[0].id).toBeLessThan(page1.body.items[1].id);
    });

    it('keeps secrets encrypted at rest and out of responses and audit entries', async () => {
      const value = 'super-secret-kubeconfig-token-12345';
      const put = await admin.put('/api/teams/payments/secrets/kubeconfig', { data: { token: value } });
      expect(put.status).toBe(200);
      expect(put.body.keys).toEqual([{ key: 'token', bytes: value.length }]);
      const listed = await admin.get('/api/secrets?team=payments');
      expect(listed.body.items).toHaveLength(1);
      expect(JSON.stringify(listed.body)).not.toContain(value);
      expect(JSON.stringify((await admin.get('/api/audit?kind=Secret')).body)).not.toContain(value);
      const raw = await server.server.store.connection.db.selectFrom('secrets').select('data').execute();
      expect(JSON.stringify(raw)).not.toContain(value);
      expect(JSON.stringify(raw)).toContain('v1:');
    });

    it('refuses to delete a team that still owns resources, then deletes resources and the team', async () => {
      expect((await admin.post(`${BASE}/teams`, team('short-lived'))).status).toBe(201);
      await admin.post(`${BASE}/teams/short-lived/widgets`, widget('short-lived', 'only'));
      const refused = await admin.delete(`${BASE}/teams/short-lived`);
      expect(refused.status).toBe(409);
      expect((await admin.delete(`${BASE}/teams/short-lived/widgets/only`)).status).toBe(200);
      expect((await admin.delete(`${BASE}/teams/short-lived`)).status).toBe(200);
      expect((await admin.get(`${BASE}/teams/short-lived`)).status).toBe(404);
    });

    it('answers a known path asked with a method it does not take with 405 and Allow', async () => {
      const wrong = await admin.call('PUT', '/api/me');
      expect(wrong.status).toBe(405);
      expect(wrong.body.code).toBe('GANTRY_E_METHOD_NOT_ALLOWED');
      expect(wrong.headers.get('allow')).toBe('GET');
      expect((await admin.call('POST', `${BASE}/teams/payments/widgets/w1`)).status).toBe(405);
      expect((await admin.get('/api/no-such-thing')).status).toBe(404);
    });

    it('documents no operation that always fails, and no console file', async () => {
      const doc = (await admin.get('/api/openapi.json')).body;
      expect(doc.paths[`${BASE}/widgets/{name}`]).toBeUndefined();
      expect(doc.paths[`${BASE}/widgets`].get).toBeDefined();
      expect(doc.paths[`${BASE}/teams/{name}`].get).toBeDefined();
      expect(doc.paths[`${BASE}/teams/{team}/teams`]).toBeUndefined();
      expect(doc.paths[`${BASE}/teams/{team}/widgets`].post.responses['201']).toBeDefined();
      expect(
        Object.keys(doc.paths).every((path) => /^\/(api|apis)\/|^\/(healthz|readyz|metrics)$/.test(path)),
      ).toBe(true);
    });

    // Last: every answer the tests above got, checked against the document the server publishes.
    it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
      const doc = (await client(server.url).get('/api/openapi.json')).body;
      expect(recordedReplies.length).toBeGreaterThan(100);
      expect(openApiViolations(doc, recordedReplies)).toEqual([]);
    });
  });
}
