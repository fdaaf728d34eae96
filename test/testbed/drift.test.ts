import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '@gantry/model';
import { startTestbed, type Testbed, type TestbedCluster } from '../../testbed/src/index.ts';
import { eventually } from '../support/eventually.ts';
import { BASE, client, team } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */

const TEAM = 'shop';
const APPS = `${BASE}/teams/${TEAM}/applications`;
/** kwok schedules only pods that tolerate its nodes' taints. */
const tolerate = { type: 'tolerations', properties: { tolerations: [{ operator: 'Exists' }] } };

/** One web service in its own namespace, with a drift policy. */
function application(name: string, drift: { policy: 'Report' | 'Restore'; windows?: readonly string[] }) {
  return {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Application',
    metadata: { name },
    spec: {
      components: [
        {
          name: 'web',
          type: 'webservice',
          properties: { image: 'nginx:1.27', ports: [{ port: 80 }] },
          traits: [{ type: 'scaler', properties: { replicas: 2 } }, tolerate],
        },
      ],
      topology: { clusters: ['east'], namespace: name },
      drift: { policy: drift.policy, windows: [...(drift.windows ?? [])] },
    },
  };
}

/**
 * Change detection (ADR 0031) on a real cluster of the test bed: Gantry's server-side apply owns the
 * fields it renders; `kubectl patch` and a forced `kubectl apply --server-side` by another field manager
 * take some of them over, which is reported as drift (and restored when the application asks), while what
 * the API server defaults, what the Deployment controller writes and an edit to a field Gantry never set
 * are not drift.
 */
describe('drift on the test bed', () => {
  let bed: Testbed;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  let east: TestbedCluster;
  let dir: string;

  const deployment = async (namespace: string) =>
    JSON.parse(await east.kubectl(['get', 'deployment', 'web', '-n', namespace, '-o', 'json']));
  const events = async (query: string) =>
    (await api.get(`/api/events?team=${TEAM}&source=gantry&${query}`)).body.items as EventRecord[];
  const ready = (name: string) =>
    eventually(
      async () => (await api.get(`${APPS}/${name}`)).body,
      (app: any) =>
        app?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') &&
        app.status.observedGeneration === app.metadata.generation,
      120_000,
      250,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gantry-drift-'));
    bed = await startTestbed({ clusters: 1, nodes: 1, progress: true });
    east = bed.clusters[0]!;
    server = await startTestServer({ config: { leaseDurationMs: 3000, deliveryProgressGraceSeconds: 3 } });
    api = client(server.url, server.adminToken);
    expect(
      (await api.post(`${BASE}/teams`, team(TEAM, [{ user: 'admin', role: 'team-admin' }]))).status,
    ).toBe(201);
    expect(
      (await api.put(`/api/teams/${TEAM}/secrets/east-kubeconfig`, { data: { kubeconfig: east.kubeconfig } }))
        .status,
    ).toBe(200);
    expect(
      (
        await api.post(`${BASE}/teams/${TEAM}/clusters`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'Cluster',
          metadata: { name: 'east' },
          spec: { kubeconfigSecret: { name: 'east-kubeconfig' } },
        })
      ).status,
    ).toBe(201);
    // A window that opens only on New Year's night: a restore that honours it waits.
    expect(
      (
        await api.post(`${BASE}/teams/${TEAM}/changewindows`, {
          apiVersion: 'gantry.dev/v1alpha1',
          kind: 'ChangeWindow',
          metadata: { name: 'new-year' },
          spec: { allow: [{ cron: '0 3 1 1 *', duration: '1h' }] },
        })
      ).status,
    ).toBe(201);
    for (const [name, drift] of [
      ['reported', { policy: 'Report' }],
      ['restored', { policy: 'Restore' }],
      ['held', { policy: 'Restore', windows: ['new-year'] }],
    ] as const)
      expect((await api.post(APPS, application(name, drift))).status).toBe(201);
    for (const name of ['reported', 'restored', 'held']) await ready(name);
  }, 600_000);

  afterAll(async () => {
    await server?.close();
    await bed?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports no drift for defaulted fields, the controllers’ writes or an edit to a field Gantry never set', async () => {
    const live = await deployment('reported');
    // The API server defaulted fields Gantry never sent, and the Deployment controller wrote its own.
    expect(live.spec.strategy.type).toBe('RollingUpdate');
    expect(live.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(live.metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
    // Someone else annotates the Deployment and changes a defaulted field: neither is Gantry's.
    await east.kubectl(['annotate', 'deployment', 'web', '-n', 'reported', 'team.example/owner=ops']);
    await east.kubectl([
      'patch',
      'deployment',
      'web',
      '-n',
      'reported',
      '--type',
      'merge',
      '-p',
      '{"spec":{"progressDeadlineSeconds":300,"revisionHistoryLimit":3}}',
    ]);
    // The watch has seen them (the application is looked at again) and nothing was reported.
    await eventually(
      async () => (await deployment('reported')).metadata.annotations['team.example/owner'],
      (owner) => owner === 'ops',
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(await events('reason=DriftDetected')).toEqual([]);
  });

  it('detects kubectl patch of replicas, records it on the object and the application, and leaves it (Report)', async () => {
    await east.kubectl([
      'patch',
      'deployment',
      'web',
      '-n',
      'reported',
      '--type',
      'merge',
      '-p',
      '{"spec":{"replicas":5}}',
    ]);
    const onObject = await eventually(
      () => events('reason=DriftDetected&kind=Deployment&name=web'),
      (items) => items.some((e) => e.namespace === 'reported'),
      30_000,
      250,
    );
    const event = onObject.find((e) => e.namespace === 'reported')!;
    expect(event.type).toBe('Warning');
    expect(event.cluster).toBe(`${TEAM}/east`);
    expect(event.message).toContain('spec.replicas (2 → 5, by kubectl-patch)');
    const onApp = await events('reason=DriftDetected&kind=Application&name=reported');
    expect(onApp).toHaveLength(1);
    expect(onApp[0]!.message).toBe(
      'Deployment reported/web changed by someone else: spec.replicas (2 → 5, by kubectl-patch)',
    );
    // Report only: the edit stays.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await deployment('reported')).spec.replicas).toBe(5);
    expect(await events('reason=DriftRestored&kind=Application&name=reported')).toEqual([]);
  });

  it('restores replicas and an image another field manager took over when the application asks (Restore)', async () => {
    await east.kubectl([
      'patch',
      'deployment',
      'web',
      '-n',
      'restored',
      '--type',
      'merge',
      '-p',
      '{"spec":{"replicas":4}}',
    ]);
    await eventually(
      () => events('reason=DriftRestored&kind=Application&name=restored'),
      (items) => items.length === 1,
      30_000,
      250,
    );
    await eventually(
      () => deployment('restored'),
      (d) => d.spec.replicas === 2,
      30_000,
      250,
    );
    const detected = await events('reason=DriftDetected&kind=Application&name=restored');
    expect(detected.map((e) => e.message)).toEqual([
      'Deployment restored/web changed by someone else: spec.replicas (2 → 4, by kubectl-patch)',
    ]);

    // A forced server-side apply of the image by another field manager.
    const manifest = join(dir, 'image.yaml');
    await writeFile(
      manifest,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, namespace: restored}',
        'spec:',
        '  template:',
        '    spec:',
        '      containers: [{name: web, image: "nginx:1.25-hotfix"}]',
        '',
      ].join('\n'),
    );
    const before = await deployment('restored');
    await east.kubectl([
      'apply',
      '--server-side',
      '--field-manager=someone',
      '--force-conflicts',
      '-f',
      manifest,
    ]);
    const restoredImage = await eventually(
      () => deployment('restored'),
      (d) =>
        d.spec.template.spec.containers[0].image === 'nginx:1.27' &&
        d.metadata.generation > before.metadata.generation,
      30_000,
      250,
    );
    expect(restoredImage.spec.replicas).toBe(2);
    // Events reach the store in batches (every 200 ms): the restore may be seen before them.
    const expected =
      'Deployment restored/web changed by someone else: spec.template.spec.containers[name=web].image ("nginx:1.27" → "nginx:1.25-hotfix", by someone)';
    await eventually(
      async () => (await events('reason=DriftDetected&kind=Application&name=restored')).map((e) => e.message),
      (messages) => messages.includes(expected),
      10_000,
      250,
    );
    await eventually(
      () => events('reason=DriftRestored&kind=Application&name=restored'),
      (items) => items.length === 2,
      10_000,
      250,
    );
  });

  it('holds a restore outside the application’s windows and says until when', async () => {
    await east.kubectl([
      'patch',
      'deployment',
      'web',
      '-n',
      'held',
      '--type',
      'merge',
      '-p',
      '{"spec":{"replicas":3}}',
    ]);
    const waiting = await eventually(
      () => events('reason=DriftRestoreWaiting&kind=Application&name=held'),
      (items) => items.length === 1,
      30_000,
      250,
    );
    expect(waiting[0]!.message).toMatch(
      /restoring 1 drifted object\(s\) waits: outside its allowed windows until \d{4}-01-01T03:00:00/,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await deployment('held')).spec.replicas).toBe(3);
    expect(await events('reason=DriftRestored&kind=Application&name=held')).toEqual([]);
  });
});
