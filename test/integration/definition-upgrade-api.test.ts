import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

// Definition upgrades (ADR 0039) through the real HTTP API on SQLite, without clusters: a Staged
// definition's new generation is not taken by an application by itself (an edit of the application still
// renders with the generation it had), and a definitionUpgrade Change is refused at apply time with the
// code and the path when its definition or its targets do not fit.

const TEAM = 'shop';
const DEFS = `${BASE}/componentdefinitions`;
const APPS = `${BASE}/teams/${TEAM}/applications`;
const CHANGES = `${BASE}/teams/${TEAM}/changes`;

function definition(name: string, upgradePolicy: 'Staged' | 'Immediate', value: string): any {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'ComponentDefinition',
    metadata: { name },
    spec: {
      version: '1.0.0',
      upgradePolicy,
      workload: { apiVersion: 'v1', kind: 'ConfigMap' },
      schema: { type: 'object', properties: { value: { type: 'string' } } },
      templates: [
        {
          name: 'config',
          template: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: '${context.component}' },
            data: { value: '${parameter.value}', flavour: value },
          },
        },
      ],
    },
  };
}

function application(name: string, type: string, description = ''): any {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name },
    spec: {
      ...(description ? { description } : {}),
      components: [{ name: 'cfg', type, properties: { value: 'x' } }],
      topology: { clusters: ['nowhere'], namespace: 'shop' },
    },
  };
}

const change = (name: string, upgrade: Record<string, unknown>, targets: Record<string, unknown>) => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'Change',
  metadata: { name },
  spec: { definitionUpgrade: { kind: 'ComponentDefinition', ...upgrade }, targets },
});

describe('definition upgrades through the API (SQLite)', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;

  beforeAll(async () => {
    server = await startTestServer();
    api = client(server.url, server.adminToken);
    expect((await api.post(`${BASE}/teams`, team(TEAM, []))).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  const revisions = async (app: string) =>
    ((await api.get(`${BASE}/teams/${TEAM}/applicationrevisions`)).body.items as any[])
      .filter((revision) => revision.spec.application === app)
      .sort((a, b) => a.spec.revision - b.spec.revision);

  it('keeps an application on the generation of a Staged definition it has, through its own edits', async () => {
    expect((await api.post(DEFS, definition('staged-config', 'Staged', 'one'))).status).toBe(201);
    expect((await api.post(APPS, application('cfg', 'staged-config'))).status).toBe(201);
    await eventually(
      () => revisions('cfg'),
      (found) => found.length === 1,
    );
    const current = (await api.get(`${DEFS}/staged-config`)).body;
    const edited = await api.put(`${DEFS}/staged-config`, {
      ...definition('staged-config', 'Staged', 'two'),
      metadata: { name: 'staged-config', resourceVersion: current.metadata.resourceVersion },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.metadata.generation).toBe(2);
    // An edit of the application records a revision with its spec, and generation 1 of the definition.
    const app = (await api.get(`${APPS}/cfg`)).body;
    expect(
      (
        await api.put(`${APPS}/cfg`, {
          ...application('cfg', 'staged-config', 'edited'),
          metadata: { name: 'cfg', resourceVersion: app.metadata.resourceVersion },
        })
      ).status,
    ).toBe(200);
    await eventually(
      () => revisions('cfg'),
      (found) => found.length === 2,
    );
    const [, second] = await revisions('cfg');
    expect(second.spec.applicationSpec.description).toBe('edited');
    expect(second.spec.definitions.components['staged-config']).toMatchObject({ generation: 1 });
  });

  it('refuses a definitionUpgrade whose definition or targets do not fit, with the code and the path', async () => {
    expect((await api.post(DEFS, definition('plain-config', 'Immediate', 'one'))).status).toBe(201);
    expect((await api.post(APPS, application('plain', 'plain-config'))).status).toBe(201);

    const unknown = await api.post(CHANGES, change('u1', { name: 'ghost', generation: 1 }, { selector: '' }));
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({
      code: 'GANTRY_E_DEFINITION_UPGRADE',
      details: [{ path: '/spec/definitionUpgrade/name', message: 'no ComponentDefinition ghost' }],
    });

    const immediate = await api.post(
      CHANGES,
      change('u2', { name: 'plain-config', generation: 1 }, { selector: '' }),
    );
    expect(immediate.status).toBe(422);
    expect(immediate.body.details).toEqual([
      { path: '/spec/definitionUpgrade/name', message: expect.stringContaining('not upgradePolicy: Staged') },
    ]);

    const future = await api.post(
      CHANGES,
      change('u3', { name: 'staged-config', generation: 9 }, { selector: '' }),
    );
    expect(future.body).toMatchObject({
      code: 'GANTRY_E_DEFINITION_UPGRADE',
      details: [{ path: '/spec/definitionUpgrade/generation' }],
    });

    const notUsing = await api.post(
      CHANGES,
      change('u4', { name: 'staged-config', generation: 2 }, { names: ['cfg', 'plain'] }),
    );
    expect(notUsing.status).toBe(422);
    expect(notUsing.body).toMatchObject({
      code: 'GANTRY_E_DEFINITION_UPGRADE',
      details: [{ path: '/spec/targets/names/1', message: expect.stringContaining('no application plain') }],
    });
    expect((await api.get(`${CHANGES}/u4`)).status).toBe(404);

    const accepted = await api.post(
      CHANGES,
      change('u5', { name: 'staged-config', generation: 2 }, { names: ['cfg'] }),
    );
    expect(accepted.status).toBe(201);
    expect(accepted.body.spec.definitionUpgrade).toMatchObject({
      generation: 2,
      progressDeadlineSeconds: 600,
    });
  });
});
