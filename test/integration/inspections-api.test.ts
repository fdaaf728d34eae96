import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  InspectionRun,
  InspectionRunDiff,
  InspectionRunWithResults,
  InspectionTemplateList,
  NodeSummary,
  Risk,
  WorkloadSummary,
} from '@gantry/model';
import { eventually } from '../support/eventually.ts';
import { BASE, client, recordedReplies, team } from '../support/http.ts';
import { openApiViolations } from '../support/openapi-contract.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Risk inspection through the HTTP API on SQLite (ADR 0020): the built-in templates applied to a team
 * whose cluster's inventory the test writes, manual runs, the risks they record with the filters, run
 * history, run-to-run diff, refusal of invalid CEL at apply time.
 */

// The fixture's client certificate expires 2026-12-23T05:33:12Z; the server's clock reads ten days before.
const CERT = readFileSync(join(import.meta.dirname, '../fixtures/inspections/client-cert.pem'));
const NOW_AT_START = Date.parse('2026-12-13T05:00:00Z');
const KUBECONFIG = [
  'apiVersion: v1',
  'kind: Config',
  'clusters: [{name: c1, cluster: {server: "https://127.0.0.1:1"}}]',
  'contexts: [{name: c1, context: {cluster: c1, user: u}}]',
  'current-context: c1',
  'users:',
  '- name: u',
  '  user:',
  `    client-certificate-data: ${CERT.toString('base64')}`,
  '    client-key-data: eA==',
].join('\n');

const node = (ready: boolean, pressure: string[] = []): NodeSummary => ({
  ready,
  unschedulable: false,
  conditions: [
    { type: 'Ready', status: ready ? 'True' : 'False' },
    ...pressure.map((type) => ({ type, status: 'True' })),
  ],
  labels: {},
  taints: [],
  capacity: { memory: '8Gi' },
  allocatable: { memory: '7Gi' },
});
const workload = (desired: number, images: string[], labels: Record<string, string>): WorkloadSummary => ({
  desired,
  ready: desired,
  available: desired,
  updated: desired,
  healthy: true,
  images,
  labels,
});

describe('inspections and risks over the HTTP API', () => {
  let gantry: TestServer;
  let api: ReturnType<typeof client>;
  const offset = NOW_AT_START - Date.now();

  async function inventory(
    items: { kind: string; namespace?: string; name: string; data: unknown }[],
    deletes: { kind: string; namespace?: string; name: string }[] = [],
  ) {
    await gantry.server.store.inventory.apply(
      [
        ...items.map((item) => ({
          op: 'upsert' as const,
          item: {
            cluster: 'ops/c1',
            kind: item.kind,
            namespace: item.namespace ?? '',
            name: item.name,
            uid: `uid-${item.kind}-${item.name}`,
            data: item.data,
          },
        })),
        ...deletes.map((item) => ({ op: 'delete' as const, cluster: 'ops/c1', namespace: '', ...item })),
      ],
      new Date().toISOString(),
    );
  }

  async function run(name: string): Promise<InspectionRunWithResults> {
    const reply = await api.post(`/api/teams/ops/inspections/${name}/run`);
    expect(reply.status).toBe(201);
    return reply.body as InspectionRunWithResults;
  }

  beforeAll(async () => {
    gantry = await startTestServer({ now: () => Date.now() + offset });
    api = client(gantry.url, gantry.adminToken);
    expect((await api.post(`${BASE}/teams`, team('ops'))).status).toBe(201);
    expect(
      (await api.put('/api/teams/ops/secrets/c1-kubeconfig', { data: { kubeconfig: KUBECONFIG } })).status,
    ).toBeLessThan(300);
    const cluster = await api.post(`${BASE}/teams/ops/clusters`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'c1' },
      spec: { kubeconfigSecret: { name: 'c1-kubeconfig' }, paused: true },
    });
    expect(cluster.status).toBe(201);
    await inventory([
      { kind: 'Node', name: 'n1', data: node(true) },
      { kind: 'Node', name: 'n2', data: node(false) },
      { kind: 'Node', name: 'n3', data: node(true, ['DiskPressure']) },
      {
        kind: 'Deployment',
        namespace: 'shop',
        name: 'web',
        data: workload(3, ['nginx:1.25'], { app: 'web' }),
      },
      { kind: 'Deployment', namespace: 'shop', name: 'api', data: workload(1, ['shop/api:latest'], {}) },
      {
        kind: 'StatefulSet',
        namespace: 'data',
        name: 'db',
        data: workload(3, ['db@sha256:0f0f'], { app: 'db' }),
      },
      { kind: 'PodDisruptionBudget', namespace: 'data', name: 'db', data: { matchLabels: { app: 'db' } } },
    ]);
    // The built-in templates, applied as a team would (suspended: only the manual runs below run).
    const templates = (await api.get('/api/inspection-templates')).body as InspectionTemplateList;
    for (const template of templates.items.filter((t) => t.name !== 'node-pressure-metrics')) {
      const created = await api.post(`${BASE}/teams/ops/inspections`, {
        ...template.manifest,
        spec: { ...template.manifest.spec, suspend: true },
      });
      expect(created.status, template.name).toBe(201);
    }
  });

  afterAll(async () => {
    await gantry?.close();
  });

  it('runs the built-in inspections over the team’s inventory and records their risks', async () => {
    const found: Record<string, string[]> = {};
    for (const name of [
      'node-pressure',
      'cluster-not-ready-nodes',
      'workload-resilience',
      'unpinned-images',
      'certificate-expiry',
    ]) {
      const result = await run(name);
      expect(result).toMatchObject({
        inspection: name,
        trigger: 'manual',
        state: 'succeeded',
        createdBy: 'admin',
      });
      for (const check of result.results) found[`${name}/${check.check}`] = check.findings.map((f) => f.key);
    }
    expect(found).toEqual({
      'node-pressure/node-pressure': ['c1/n3'],
      'cluster-not-ready-nodes/not-ready-nodes': ['c1'],
      'workload-resilience/single-replica': ['c1/shop/Deployment/api'],
      'workload-resilience/no-pod-disruption-budget': ['c1/shop/Deployment/web'],
      'unpinned-images/unpinned-images': ['c1/shop/Deployment/api'],
      'certificate-expiry/client-certificate': ['c1'],
      // No TLS Secret in this inventory (the fleet collects them only when opted in).
      'certificate-expiry/tls-secret': [],
    });
    const risks = (await api.get('/api/teams/ops/risks')).body.items as Risk[];
    expect(risks).toHaveLength(6);
    const notReady = risks.find((risk) => risk.source.name === 'cluster-not-ready-nodes')!;
    expect(notReady).toMatchObject({ title: 'c1: 1 of 3 nodes NotReady', score: 60, state: 'open' });
    const certificate = risks.find((risk) => risk.source.name === 'certificate-expiry')!;
    expect(certificate.title).toBe('c1: client certificate expires 2026-12-23T05:33:12.000Z');
    expect(certificate.details).toMatchObject({ cluster: { clientCertificate: { daysLeft: 10 } } });
  });

  it('filters risks by entity, source, score and state, in pages', async () => {
    const get = async (query: string) =>
      (await api.get(`/api/teams/ops/risks?${query}`)).body.items as Risk[];
    expect((await get('entity=Workload/api')).map((r) => r.source.check).sort()).toEqual([
      'single-replica',
      'unpinned-images',
    ]);
    expect((await get('entity=Node/c1/n3')).map((r) => r.source.name)).toEqual(['node-pressure']);
    expect(await get('source=Inspection/workload-resilience/single-replica')).toHaveLength(1);
    expect((await get('minScore=60')).every((r) => r.score >= 60)).toBe(true);
    expect(await get('source=Baseline')).toEqual([]);
    const first = (await api.get('/api/teams/ops/risks?limit=4')).body;
    const second = (await api.get(`/api/teams/ops/risks?limit=4&continue=${first.continue}`)).body;
    expect(first.items).toHaveLength(4);
    expect(second.items).toHaveLength(2);
    expect(second.continue).toBeUndefined();
    expect((await api.get('/api/teams/ops/risks?minScore=101')).status).toBe(400);
    expect((await api.get('/api/teams/ops/risks?continue=bogus')).status).toBe(400);
  });

  it('keeps every run and diffs two: new, gone and changed risks', async () => {
    const before = await run('workload-resilience');
    // api scales to 2 (no longer single; now without a budget); web gets its budget; a new single worker.
    await inventory([
      { kind: 'Deployment', namespace: 'shop', name: 'api', data: workload(2, ['shop/api:latest'], {}) },
      { kind: 'PodDisruptionBudget', namespace: 'shop', name: 'web', data: { matchLabels: { app: 'web' } } },
      { kind: 'Deployment', namespace: 'shop', name: 'worker', data: workload(1, ['worker:2'], {}) },
    ]);
    const after = await run('workload-resilience');
    const diff = (await api.get(`/api/teams/ops/inspection-runs/${after.id}/diff`)).body as InspectionRunDiff;
    expect(diff.against).toBe(before.id);
    expect(diff.new.map((e) => `${e.check}:${e.key}`).sort()).toEqual([
      'no-pod-disruption-budget:c1/shop/Deployment/api',
      'single-replica:c1/shop/Deployment/worker',
    ]);
    expect(diff.gone.map((e) => `${e.check}:${e.key}`).sort()).toEqual([
      'no-pod-disruption-budget:c1/shop/Deployment/web',
      'single-replica:c1/shop/Deployment/api',
    ]);
    const explicit = (await api.get(`/api/teams/ops/inspection-runs/${after.id}/diff?against=${before.id}`))
      .body;
    expect(explicit).toEqual(diff);
    const runs = (await api.get('/api/teams/ops/inspections/workload-resilience/runs?limit=2')).body;
    expect(runs.items.map((r: { id: string }) => r.id)).toEqual([after.id, before.id]);
    expect(runs.continue).toBeDefined();
    const got = (await api.get(`/api/teams/ops/inspection-runs/${before.id}`))
      .body as InspectionRunWithResults;
    expect(got.results.map((r) => r.check)).toEqual(['single-replica', 'no-pod-disruption-budget']);
    const gone = (await api.get('/api/teams/ops/risks?state=gone&entity=Workload/web')).body.items as Risk[];
    expect(gone).toMatchObject([{ state: 'gone', source: { check: 'no-pod-disruption-budget' } }]);
    expect((await api.get('/api/teams/ops/inspection-runs/nope')).status).toBe(404);
    const other = await run('unpinned-images');
    const mismatch = await api.get(`/api/teams/ops/inspection-runs/${after.id}/diff?against=${other.id}`);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.details).toEqual([
      { path: 'querystring/against', message: 'must be a run of the same Inspection' },
    ]);
  });

  it('the server schedules an Inspection as soon as it is written, one run per cron slot', async () => {
    const created = await api.post(`${BASE}/teams/ops/inspections`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Inspection',
      metadata: { name: 'every-second' },
      spec: {
        schedule: { cron: '* * * * * *' },
        checks: [{ name: 'down', inventory: { over: 'nodes', condition: '!node.ready' } }],
      },
    });
    expect(created.status).toBe(201);
    const runs = await eventually(
      async () =>
        (await api.get('/api/teams/ops/inspections/every-second/runs')).body.items as InspectionRun[],
      (items) => items.filter((r) => r.state !== 'running').length >= 2,
      20_000,
      100,
    );
    expect(
      runs.every((r) => r.trigger === 'schedule' && r.createdBy === 'controller/health-inspections'),
    ).toBe(true);
    expect(new Set(runs.map((r) => r.slot)).size).toBe(runs.length);
    expect((await api.delete(`${BASE}/teams/ops/inspections/every-second`)).status).toBe(200);
  });

  it('refuses invalid CEL and PromQL shape at apply time with the path', async () => {
    const reply = await api.post(`${BASE}/teams/ops/inspections`, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Inspection',
      metadata: { name: 'broken' },
      spec: {
        schedule: { cron: '*/5 * * * *' },
        checks: [
          { name: 'a', inventory: { over: 'nodes', condition: 'node.ready &&' } },
          { name: 'b', promql: { source: 'prometheus', query: 'sum(up', condition: 'value > 1' } },
        ],
      },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('GANTRY_E_INVALID');
    expect(reply.body.details.map((d: { path: string }) => d.path)).toEqual([
      '/spec/checks/0/inventory/condition',
      '/spec/checks/1/promql/query',
    ]);
    expect((await api.post('/api/teams/ops/inspections/broken/run')).status).toBe(404);
  });

  it('gave only answers that /api/openapi.json declares, with bodies its schemas allow', async () => {
    const doc = (await client(gantry.url).get('/api/openapi.json')).body;
    expect(recordedReplies.some((reply) => reply.url.includes('/risks'))).toBe(true);
    expect(openApiViolations(doc, recordedReplies)).toEqual([]);
  });
});
