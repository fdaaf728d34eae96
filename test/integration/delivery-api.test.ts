import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

// The delivery API on a real server and database, without clusters: the seeded catalog, the trait check,
// the definition impact check, immutable revisions, rollback and KubeVela conversion. Delivery to clusters
// is tested on the test bed (test/delivery).

const APP = `${BASE}/teams/shop/applications`;

function application(name: string, components: any[], extra: Record<string, unknown> = {}): any {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name },
    spec: { components, topology: { clusters: ['nowhere'], namespace: 'shop' }, ...extra },
  };
}

describe('delivery API', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let viewer: ReturnType<typeof client>;

  beforeAll(async () => {
    server = await startTestServer();
    api = client(server.url, server.adminToken);
    expect((await api.post('/api/users', { username: 'vera', password: 'vera-password-1' })).status).toBe(
      201,
    );
    expect((await api.post(`${BASE}/teams`, team('shop', [{ user: 'vera', role: 'viewer' }]))).status).toBe(
      201,
    );
    const login = await client(server.url).post('/api/auth/login', {
      username: 'vera',
      password: 'vera-password-1',
    });
    viewer = client(server.url, login.body.token);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('seeds the built-in catalog, versioned and labelled', async () => {
    const components = (await api.get(`${BASE}/componentdefinitions`)).body.items.map(
      (d: any) => d.metadata.name,
    );
    expect(components).toEqual(
      expect.arrayContaining([
        'webservice',
        'worker',
        'stateful-service',
        'job',
        'cron-job',
        'k8s-objects',
        'helm',
      ]),
    );
    const traits = (await api.get(`${BASE}/traitdefinitions`)).body.items;
    expect(traits.map((d: any) => d.metadata.name)).toEqual(
      expect.arrayContaining([
        'scaler',
        'resources',
        'env',
        'labels',
        'annotations',
        'health-probes',
        'sidecar',
        'expose',
        'ingress',
        'hpa',
        'storage',
        'affinity',
        'tolerations',
        'config-files',
        'pdb',
      ]),
    );
    for (const trait of traits) {
      expect(trait.spec.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(trait.metadata.labels['catalog.gantry.dev/builtin']).toBe('true');
    }
  });

  it('reports every trait-check violation at once, with its path', async () => {
    const refused = await api.post(
      APP,
      application(
        'bad',
        [
          {
            name: 'web',
            type: 'webservice',
            properties: { image: 'nginx', ports: [{ port: 'eighty' }] },
            traits: [
              { type: 'scaler', properties: { replicas: 2 } },
              { type: 'hpa', properties: { min: 1, max: 4 } },
              { type: 'teleport' },
            ],
            dependsOn: ['db'],
          },
          { name: 'db', type: 'mainframe', dependsOn: ['web'] },
          {
            name: 'cron',
            type: 'cron-job',
            properties: { schedule: '* * * * *', image: 'busybox' },
            traits: [{ type: 'scaler', properties: { replicas: 2 } }],
          },
        ],
        { overrides: [{ clusters: ['x'], components: [{ name: 'ghost', properties: {} }] }] },
      ),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('GANTRY_E_TRAIT_CHECK');
    const byPath = Object.fromEntries(refused.body.details.map((d: any) => [d.path, d.message]));
    expect(byPath['/spec/components/0/properties/ports/0/port']).toBeDefined();
    expect(byPath['/spec/components/0/traits/1/type']).toMatch(/conflicts with trait scaler/);
    expect(byPath['/spec/components/0/traits/2/type']).toMatch(/unknown trait type teleport/);
    expect(byPath['/spec/components/1/type']).toMatch(
      /unknown component type mainframe \(known: .*webservice/,
    );
    expect(byPath['/spec/components/2/traits/0/type']).toMatch(/applies to/);
    expect(byPath['/spec/components/0/dependsOn']).toMatch(/dependency cycle: web → db → web/);
    expect(byPath['/spec/overrides/0/components/0/name']).toMatch(/no component named ghost/);
    expect((await api.get(`${APP}/bad`)).status).toBe(404);
  });

  it('reports CEL errors of a definition with the template path and expression', async () => {
    const definition = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'ComponentDefinition',
      metadata: { name: 'typo' },
      spec: {
        version: '1.0.0',
        workload: { apiVersion: 'v1', kind: 'ConfigMap' },
        schema: { type: 'object', properties: { value: { type: 'string' } } },
        templates: [
          {
            name: 'config',
            template: {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: '${context.component}' },
              data: { value: '${parameter.valeu}' },
            },
          },
        ],
      },
    };
    expect((await api.post(`${BASE}/componentdefinitions`, definition)).status).toBe(201);
    const refused = await api.post(
      APP,
      application('typo-app', [{ name: 'cfg', type: 'typo', properties: { value: 'x' } }]),
    );
    expect(refused.status).toBe(422);
    expect(refused.body.details[0].path).toMatch(/^\/spec\/components\/0/);
    expect(refused.body.details[0].message).toMatch(/valeu/);
    expect(refused.body.details[0].message).toMatch(/\/data\/value/);
  });

  it('records revisions for an application, which only Gantry may write', async () => {
    const created = await api.post(
      APP,
      application('shop', [
        {
          name: 'web',
          type: 'webservice',
          properties: { image: 'nginx:1.27', ports: [{ port: 80 }] },
          traits: [{ type: 'scaler', properties: { replicas: 2 } }],
        },
      ]),
    );
    expect(created.status).toBe(201);
    const first = await eventually(
      async () => (await api.get(`${APP}/shop`)).body,
      (a) => a.status?.latestRevision === 1,
    );
    expect(first.status.conditions.find((c: any) => c.type === 'Applied')).toMatchObject({
      status: 'False',
      reason: 'NoTargets',
    });
    expect(first.status.conditions.find((c: any) => c.type === 'Applied').message).toMatch(
      /cluster nowhere does not exist/,
    );
    const revision = (await api.get(`${BASE}/teams/shop/applicationrevisions/shop-v1`)).body;
    expect(revision.spec).toMatchObject({ application: 'shop', revision: 1, cause: 'created' });
    expect(revision.spec.definitions.components.webservice.version).toMatch(/^\d/);

    const tampered = {
      ...revision,
      metadata: { ...revision.metadata },
      spec: { ...revision.spec, cause: 'edited' },
    };
    const refused = await api.put(`${BASE}/teams/shop/applicationrevisions/shop-v1`, tampered);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('GANTRY_E_IMMUTABLE');
    const forged = await api.post(`${BASE}/teams/shop/applicationrevisions`, {
      ...tampered,
      metadata: { name: 'shop-v9' },
    });
    expect(forged.status).toBe(409);

    const patched = await api.patch(`${APP}/shop`, {
      spec: {
        components: [
          { name: 'web', type: 'webservice', properties: { image: 'nginx:1.28', ports: [{ port: 80 }] } },
        ],
      },
    });
    expect(patched.status).toBe(200);
    await eventually(
      async () => (await api.get(`${APP}/shop`)).body,
      (a) => a.status?.latestRevision === 2,
    );
  });

  it('rolls back to a revision and refuses viewers and unknown revisions', async () => {
    expect((await viewer.post('/api/teams/shop/applications/shop/rollback', { revision: 1 })).status).toBe(
      403,
    );
    expect((await api.post('/api/teams/shop/applications/shop/rollback', { revision: 7 })).body.code).toBe(
      'GANTRY_E_NOT_FOUND',
    );
    expect((await api.post('/api/teams/shop/applications/shop/rollback', { revision: 'one' })).status).toBe(
      400,
    );
    const rolled = await api.post('/api/teams/shop/applications/shop/rollback', { revision: 1 });
    expect(rolled.status).toBe(200);
    expect(rolled.body.spec.components[0].properties.image).toBe('nginx:1.27');
    expect(rolled.body.metadata.annotations['app.gantry.dev/definitions-from']).toBe('1');
    const third = await eventually(
      async () => (await api.get(`${BASE}/teams/shop/applicationrevisions/shop-v3`)).body,
      (r) => r?.spec?.revision === 3,
    );
    expect(third.spec.cause).toBe('rollback to revision 1');
  });

  it('refuses a definition update that breaks applications, unless forced (and audited)', async () => {
    const scaler = (await api.get(`${BASE}/traitdefinitions/scaler`)).body;
    const stricter = structuredClone(scaler);
    stricter.spec.version = '9.0.0';
    stricter.spec.schema = {
      type: 'object',
      additionalProperties: false,
      required: ['count'],
      properties: { count: { type: 'integer' } },
    };
    const refused = await api.put(`${BASE}/traitdefinitions/scaler`, stricter);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('GANTRY_E_DEFINITION_IN_USE');
    expect(refused.body.details.map((d: any) => d.path)).toEqual(['/applications/shop/shop']);
    expect(refused.body.details[0].message).toMatch(/count/);
    expect((await api.delete(`${BASE}/traitdefinitions/scaler`)).body.code).toBe(
      'GANTRY_E_DEFINITION_IN_USE',
    );

    // Harmless changes pass without force.
    const described = structuredClone(scaler);
    described.spec.description = 'Replicas of the workload.';
    expect((await api.put(`${BASE}/traitdefinitions/scaler`, described)).status).toBe(200);

    stricter.metadata.resourceVersion = (
      await api.get(`${BASE}/traitdefinitions/scaler`)
    ).body.metadata.resourceVersion;
    expect((await api.put(`${BASE}/traitdefinitions/scaler?force=true`, stricter)).status).toBe(200);
    const audit = (await api.get('/api/audit?kind=TraitDefinition&name=scaler')).body.items;
    expect(audit.map((e: any) => e.action)).toContain('update --force');

    // Back to the built-in scaler for the tests after this one.
    const restored = {
      ...scaler,
      metadata: {
        ...scaler.metadata,
        resourceVersion: (await api.get(`${BASE}/traitdefinitions/scaler`)).body.metadata.resourceVersion,
      },
    };
    expect((await api.put(`${BASE}/traitdefinitions/scaler?force=true`, restored)).status).toBe(200);
  });

  it('accepts a KubeVela application and reports what it cannot convert, field by field', async () => {
    const vela = {
      apiVersion: 'core.oam.dev/v1beta1',
      kind: 'Application',
      metadata: {
        name: 'vela-web',
        namespace: 'shop',
        annotations: { 'app.oam.dev/publishVersion': '3', note: 'a "quoted" value' },
      },
      spec: {
        components: [
          {
            name: 'web',
            type: 'webservice',
            properties: { image: 'nginx:1.27', ports: [{ port: 80, expose: true }] },
            traits: [{ type: 'scaler', properties: { replicas: 3 } }],
          },
        ],
        policies: [{ name: 'where', type: 'topology', properties: { clusters: ['nowhere'] } }],
      },
    };
    const created = await api.post(APP, vela);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.apiVersion).toBe('gantry.dev/v1alpha1');
    expect(created.body.spec.topology).toMatchObject({ clusters: ['nowhere'], namespace: 'shop' });
    expect(created.body.spec.components[0].traits).toEqual([{ type: 'scaler', properties: { replicas: 3 } }]);
    // What the conversion dropped comes back as a Warning header, as the Kubernetes API server reports it.
    expect(created.headers.get('warning')).toBe(
      `299 - "KubeVela conversion: annotations app.oam.dev/publishVersion dropped: KubeVela's (or kubectl's) own bookkeeping"`,
    );
    expect(created.body.metadata.annotations).toEqual({ note: 'a "quoted" value' });
    const again = await api.put(`${APP}/vela-web`, {
      ...vela,
      metadata: {
        ...vela.metadata,
        resourceVersion: (await api.get(`${APP}/vela-web`)).body.metadata.resourceVersion,
      },
    });
    expect(again.status).toBe(200);
    expect(again.headers.get('warning')).toMatch(
      /^299 - "KubeVela conversion: annotations app.oam.dev\/publishVersion dropped/,
    );
    expect(
      (await api.post(APP, { ...created.body, metadata: { name: 'native' } })).headers.get('warning'),
    ).toBeNull();

    const unconvertible = structuredClone(vela);
    unconvertible.metadata.name = 'vela-bad';
    (unconvertible.spec as any).workflow = { steps: [{ name: 'wait', type: 'suspend' }] };
    (unconvertible.spec.components[0]!.traits as any[]).push({ type: 'init-container', properties: {} });
    const refused = await api.post(APP, unconvertible);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe('GANTRY_E_CONVERSION');
    expect(refused.body.details.map((d: any) => d.path)).toEqual(
      expect.arrayContaining(['/spec/workflow/steps/0', '/spec/components/0/traits/1']),
    );
  });

  // Last: every answer the tests above got, checked against the document the server publishes.
  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await api.get('/api/openapi.json')).body;
    // A rollback answers the Application, and the document says so (not a resource of any kind).
    expect(
      doc.paths['/api/teams/{team}/applications/{name}/rollback'].post.responses['200'].content[
        'application/json'
      ].schema,
    ).toEqual({ $ref: '#/components/schemas/ApplicationObject' });
    expect(recordedReplies.length).toBeGreaterThan(20);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
