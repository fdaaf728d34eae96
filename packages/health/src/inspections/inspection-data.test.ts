import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INSPECTION_TEMPLATES } from './builtin.ts';
import { createInspectionData } from './inspection-data.ts';
import { inspectionHarness, SYSTEM, TEAM } from './test-support.ts';

type Harness = Awaited<ReturnType<typeof inspectionHarness>>;
let h: Harness;

beforeEach(async () => {
  h = await inspectionHarness();
  for (const name of ['east', 'west'])
    await h.resources.create(SYSTEM, 'Cluster', TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig` }, paused: true },
    });
});
afterEach(async () => {
  await h.store.close();
});

const workload = (labels: Record<string, string>, podDisruptionBudget?: 'covered' | 'uncovered') => ({
  desired: 3,
  ready: 3,
  available: 3,
  updated: 3,
  healthy: true,
  images: ['app:1.0'],
  labels,
  ...(podDisruptionBudget ? { podDisruptionBudget } : {}),
});

describe('inspection data: workloads and their PodDisruptionBudgets', () => {
  it("takes the fleet's coverage, matches hand-written budget rows, and is unknown otherwise", async () => {
    const row = (cluster: string, kind: string, namespace: string, name: string, data: unknown) => ({
      op: 'upsert' as const,
      item: { cluster: `${TEAM}/${cluster}`, kind, namespace, name, uid: `${cluster}-${name}`, data },
    });
    await h.store.inventory.apply(
      [
        // east: collected by the fleet, coverage judged there (its budget rows carry a selector).
        row('east', 'Deployment', 'shop', 'web', workload({ app: 'web' }, 'covered')),
        row('east', 'Deployment', 'shop', 'api', workload({ app: 'api' }, 'uncovered')),
        row('east', 'Deployment', 'shop', 'old', workload({ app: 'old' })),
        row('east', 'PodDisruptionBudget', 'shop', 'web', {
          selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] },
          currentHealthy: 3,
          desiredHealthy: 2,
          disruptionsAllowed: 1,
          expectedPods: 3,
        }),
        // west: rows written by hand, `{matchLabels}` matched against the workload's labels.
        row('west', 'StatefulSet', 'data', 'db', workload({ app: 'db' })),
        row('west', 'StatefulSet', 'data', 'cache', workload({ app: 'cache' })),
        row('west', 'PodDisruptionBudget', 'data', 'db', { matchLabels: { app: 'db' } }),
      ],
      new Date(h.clock.now()).toISOString(),
    );
    const data = createInspectionData({ resources: h.store.resources, inventory: h.store.inventory });
    const subjects = await data.subjects('workloads', TEAM, h.clock.now());
    const coverage = Object.fromEntries(
      subjects.map((subject) => [subject.key, subject.binding.podDisruptionBudget]),
    );
    expect(coverage).toEqual({
      'east/shop/Deployment/web': 'covered',
      'east/shop/Deployment/api': 'uncovered',
      // Not judged yet by the fleet (its budgets not listed): never a false "uncovered".
      'east/shop/Deployment/old': 'unknown',
      'west/data/StatefulSet/db': 'covered',
      'west/data/StatefulSet/cache': 'uncovered',
    });
  });
});

describe('inspection data: TLS certificates', () => {
  it("binds each TLS Secret's expiry with the days left, and says when it could not be read", async () => {
    const row = (name: string, data: unknown) => ({
      op: 'upsert' as const,
      item: { cluster: `${TEAM}/east`, kind: 'TLSCertificate', namespace: 'shop', name, uid: name, data },
    });
    await h.store.inventory.apply(
      [
        row('soon', { notAfter: '2026-03-12T10:00:00.000Z' }),
        row('broken', { unreadable: 'tls.crt is not a PEM or DER certificate' }),
      ],
      new Date(h.clock.now()).toISOString(),
    );
    const data = createInspectionData({ resources: h.store.resources, inventory: h.store.inventory });
    const subjects = await data.subjects('certificates', TEAM, h.clock.now());
    expect(subjects.map((s) => [s.key, s.binding])).toEqual([
      [
        'east/shop/broken',
        {
          name: 'broken',
          namespace: 'shop',
          cluster: 'east',
          notAfter: null,
          daysLeft: null,
          readable: false,
        },
      ],
      [
        'east/shop/soon',
        {
          name: 'soon',
          namespace: 'shop',
          cluster: 'east',
          notAfter: '2026-03-12T10:00:00.000Z',
          daysLeft: 10,
          readable: true,
        },
      ],
    ]);
    expect(subjects[1]!.entities).toEqual([
      { kind: 'Namespace', name: 'shop', cluster: 'east' },
      { kind: 'Cluster', name: 'east' },
    ]);
  });

  it('the built-in certificate-expiry template reports the TLS Secret expiring within 30 days', async () => {
    const template = INSPECTION_TEMPLATES.find((t) => t.name === 'certificate-expiry')!;
    const binding = (name: string, notAfter: string | null, daysLeft: number | null) => ({
      key: `east/shop/${name}`,
      label: name,
      entities: [{ kind: 'Cluster' as const, name: 'east' }],
      binding: { name, namespace: 'shop', cluster: 'east', notAfter, daysLeft, readable: notAfter !== null },
    });
    h.data.items.certificates = [
      binding('soon', '2026-03-12T10:00:00.000Z', 10),
      binding('later', '2026-09-01T00:00:00.000Z', 182),
      binding('expired', '2026-03-01T00:00:00.000Z', -2),
      binding('broken', null, null),
    ];
    const inspection = await h.apply('certificates', { ...template.spec, suspend: true });
    const run = (await h.runner.run(inspection, { trigger: 'manual', createdBy: 'test' }))!;
    const result = run.results.find((r) => r.check === 'tls-secret')!;
    expect(result.outcome).toBe('risks');
    expect(result.findings.map((f) => [f.key, f.score, f.title])).toEqual([
      ['east/shop/expired', 100, 'shop/expired (east): certificate expires 2026-03-01T00:00:00.000Z'],
      ['east/shop/soon', 60, 'shop/soon (east): certificate expires 2026-03-12T10:00:00.000Z'],
    ]);
  });
});
