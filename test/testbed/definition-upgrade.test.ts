import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestbed, type Testbed } from '../../testbed/src/index.ts';
import type { ChangeStatus } from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

const TEAM = 'shop';
const CLUSTERS = ['east', 'west'] as const;
const APPS = ['cart', 'pay'] as const;
const DEFINITION = `${BASE}/componentdefinitions/settings`;

/** A Staged definition (ADR 0039) that renders a ConfigMap whose `flavour` says which generation made it. */
function definition(flavour: string): any {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'ComponentDefinition',
    metadata: { name: 'settings' },
    spec: {
      version: '1.0.0',
      upgradePolicy: 'Staged',
      workload: { apiVersion: 'v1', kind: 'ConfigMap' },
      schema: { type: 'object', properties: { value: { type: 'string' } } },
      templates: [
        {
          name: 'config',
          template: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: '${context.component}' },
            data: { value: '${parameter.value}', flavour },
          },
        },
      ],
    },
  };
}

/**
 * A definition upgrade across the applications that use it, on two real clusters (ADR 0039): editing a
 * Staged definition changes nothing on the clusters; a `definitionUpgrade` Change moves the application
 * instances wave by wave — the first wave's cluster gets the new generation's objects while the other
 * keeps the old ones through the wave's bake (on the server's clock, moved by the test) — then the rest.
 */
describe('a definition upgrade across applications on the test bed', () => {
  let bed: Testbed;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  /** The server's clock runs ahead of the wall clock by this much: bakes pass without waiting. */
  let offset = 0;

  /** Each application instance's ConfigMap `flavour`, read from the clusters themselves. */
  const flavours = async () => {
    const seen: Record<string, string | undefined> = {};
    for (const [index, name] of CLUSTERS.entries())
      for (const app of APPS) {
        // Not there yet (the first apply is on its way): no flavour.
        const text = await bed.clusters[index]!.kubectl([
          'get',
          'configmap',
          app,
          '-n',
          'shop',
          '-o',
          'json',
        ]).catch(() => '{}');
        seen[`${name}/${app}`] = (JSON.parse(text) as { data?: { flavour?: string } }).data?.flavour;
      }
    return seen;
  };
  const change = async (name: string) =>
    ((await api.get(`${BASE}/teams/${TEAM}/changes/${name}`)).body as { status?: ChangeStatus }).status ?? {};

  beforeAll(async () => {
    bed = await startTestbed({ clusters: 2, nodes: 1 });
    server = await startTestServer({
      now: () => Date.now() + offset,
      config: { leaseDurationMs: 4 * 3_600_000, deliveryProgressGraceSeconds: 3, changePollMs: 250 },
    });
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team(TEAM, [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    for (const [index, name] of CLUSTERS.entries()) {
      expect(
        (
          await api.put(`/api/teams/${TEAM}/secrets/${name}-kubeconfig`, {
            data: { kubeconfig: bed.clusters[index]!.kubeconfig },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await api.post(`${BASE}/teams/${TEAM}/clusters`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Cluster',
            metadata: { name },
            spec: { kubeconfigSecret: { name: `${name}-kubeconfig` } },
          })
        ).status,
      ).toBe(201);
    }
    expect((await api.post(`${BASE}/componentdefinitions`, definition('v1'))).status).toBe(201);
    for (const app of APPS)
      expect(
        (
          await api.post(`${BASE}/teams/${TEAM}/applications`, {
            apiVersion: 'gantry.dev/v1alpha1',
            kind: 'Application',
            metadata: { name: app },
            spec: {
              components: [{ name: app, type: 'settings', properties: { value: app } }],
              topology: { clusters: [...CLUSTERS], namespace: 'shop' },
            },
          })
        ).status,
      ).toBe(201);
  }, 900_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
  });

  it('holds a Staged definition’s edit, then moves the instances cluster by cluster through a Change', async () => {
    await eventually(flavours, (seen) => Object.values(seen).every((f) => f === 'v1'), 120_000, 500);
    const stored = (await api.get(DEFINITION)).body;
    expect((await api.put(DEFINITION, { ...stored, spec: definition('v2').spec })).status).toBe(200);
    const generation = (await api.get(DEFINITION)).body.metadata.generation as number;
    expect(generation).toBeGreaterThan(stored.metadata.generation);
    // Staged: the edit alone changes nothing on any cluster (given time to, were it Immediate).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(Object.values(await flavours())).toEqual(['v1', 'v1', 'v1', 'v1']);

    expect(
      (
        await api.post(`${BASE}/teams/${TEAM}/changes`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Change',
          metadata: { name: 'settings-v2' },
          spec: {
            definitionUpgrade: { kind: 'ComponentDefinition', name: 'settings', generation },
            targets: { names: ['east/cart', 'east/pay', 'west/cart', 'west/pay'] },
            plan: {
              batches: [
                { size: '2', bake: '10m' },
                { size: '2', bake: '5m' },
              ],
            },
          },
        })
      ).status,
    ).toBe(201);
    const first = await eventually(
      () => change('settings-v2'),
      (s) => s.phase === 'Observing' && s.currentBatch === 0,
      240_000,
      250,
    );
    expect(first.batches?.map((batch) => batch.entities)).toEqual([
      ['east/cart', 'east/pay'],
      ['west/cart', 'west/pay'],
    ]);
    // East has the new generation's objects; west keeps the old ones while the first wave bakes.
    expect(await flavours()).toEqual({
      'east/cart': 'v2',
      'east/pay': 'v2',
      'west/cart': 'v1',
      'west/pay': 'v1',
    });

    offset += 11 * 60_000;
    await eventually(
      () => change('settings-v2'),
      (s) => s.phase === 'Observing' && s.currentBatch === 1,
      240_000,
      250,
    );
    expect(Object.values(await flavours())).toEqual(['v2', 'v2', 'v2', 'v2']);
    offset += 6 * 60_000;
    await eventually(
      () => change('settings-v2'),
      (s) => s.phase === 'Succeeded',
      120_000,
      250,
    );
    // Each application's newest revision renders with the new generation, on every cluster.
    for (const app of APPS) {
      const body = (await api.get(`${BASE}/teams/${TEAM}/applications/${app}`)).body;
      expect(body.status.targets.map((target: any) => target.revision)).toEqual([
        body.status.revision,
        body.status.revision,
      ]);
    }
  }, 900_000);
});
