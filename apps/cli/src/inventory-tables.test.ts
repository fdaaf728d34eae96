import { describe, expect, it } from 'vitest';
import type { InventoryNamespace, InventoryNode, InventoryPods, InventoryWorkload } from '@gantry/client';
import { clusterLabel, inventoryTable, podPhases, workloadReady } from './inventory-tables.ts';

const now = new Date('2025-06-01T12:00:00Z');
const base = {
  kind: 'Node',
  namespace: '',
  updatedAt: '2025-06-01T11:59:59Z',
  taints: [],
  capacity: {},
  allocatable: {},
};

describe('inventoryTable', () => {
  it('prints nodes with STATUS, ROLES, AGE and VERSION', () => {
    const nodes: InventoryNode[] = [
      {
        ...base,
        cluster: 'sre/east',
        name: 'cp-1',
        ready: true,
        unschedulable: true,
        conditions: [{ type: 'Ready', status: 'True' }],
        labels: { 'node-role.kubernetes.io/control-plane': '' },
        kubeletVersion: 'v1.36.3',
        createdAt: '2025-05-30T12:00:00Z',
      },
      {
        ...base,
        cluster: 'sre/east',
        name: 'worker-1',
        ready: false,
        unschedulable: false,
        conditions: [{ type: 'Ready', status: 'False' }],
        labels: {},
        createdAt: '2025-06-01T11:55:00Z',
      },
    ];
    expect(inventoryTable('nodes', nodes, { now, team: 'sre' })).toEqual({
      headers: ['CLUSTER', 'NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
      rows: [
        ['east', 'cp-1', 'Ready,SchedulingDisabled', 'control-plane', '2d', 'v1.36.3'],
        ['east', 'worker-1', 'NotReady', '<none>', '5m', '<none>'],
      ],
    });
    // Across teams the cluster keeps its team.
    expect(inventoryTable('nodes', nodes, { now }).rows[0]?.[0]).toBe('sre/east');
  });

  it('prints namespaces with their phase, and <unknown> age when the summary has no creation time', () => {
    const namespace: InventoryNamespace = {
      cluster: 'sre/east',
      kind: 'Namespace',
      namespace: '',
      name: 'default',
      phase: 'Active',
      labels: {},
    };
    const table = inventoryTable('namespaces', [namespace], { now });
    expect(table).toEqual({
      headers: ['CLUSTER', 'NAME', 'STATUS', 'AGE'],
      rows: [['sre/east', 'default', 'Active', '<unknown>']],
    });
  });

  it('prints workloads with KIND and READY', () => {
    const workload = (
      kind: InventoryWorkload['kind'],
      fields: Partial<InventoryWorkload>,
    ): InventoryWorkload => ({
      cluster: 'sre/east',
      kind,
      namespace: 'web',
      name: kind.toLowerCase(),
      desired: 0,
      ready: 0,
      available: 0,
      updated: 0,
      healthy: true,
      images: [],
      labels: {},
      createdAt: '2025-06-01T11:00:00Z',
      ...fields,
    });
    const table = inventoryTable(
      'workloads',
      [
        workload('Deployment', { desired: 4, ready: 3 }),
        workload('Job', { desired: 1, ready: 0, succeeded: 1 }),
        workload('CronJob', { schedule: '*/5 * * * *' }),
      ],
      { now, team: 'sre' },
    );
    expect(table).toEqual({
      headers: ['CLUSTER', 'NAMESPACE', 'KIND', 'NAME', 'READY', 'AGE'],
      rows: [
        ['east', 'web', 'Deployment', 'deployment', '3/4', '1h'],
        ['east', 'web', 'Job', 'job', '1/1', '1h'],
        ['east', 'web', 'CronJob', 'cronjob', '<none>', '1h'],
      ],
    });
  });

  it('prints one column per pod phase present, in lifecycle order, 0 where a namespace has none', () => {
    const pods: InventoryPods[] = [
      {
        cluster: 'sre/east',
        kind: 'PodSummary',
        namespace: 'a',
        name: 'pods',
        updatedAt: 'x',
        Running: 12,
        Failed: 1,
      },
      { cluster: 'sre/west', kind: 'PodSummary', namespace: 'b', name: 'pods', Pending: 2, Running: 3 },
    ];
    expect(inventoryTable('pods', pods, { now })).toEqual({
      headers: ['CLUSTER', 'NAMESPACE', 'PENDING', 'RUNNING', 'FAILED'],
      rows: [
        ['sre/east', 'a', '0', '12', '1'],
        ['sre/west', 'b', '2', '3', '0'],
      ],
    });
  });
});

describe('helpers', () => {
  it('podPhases puts unknown phases last, by name', () => {
    expect(
      podPhases([
        { cluster: 'c', kind: 'PodSummary', namespace: 'n', name: 'pods', Zeta: 1, Alpha: 1, Unknown: 1 },
      ]),
    ).toEqual(['Unknown', 'Alpha', 'Zeta']);
  });

  it('clusterLabel drops the team only when it is the listed one', () => {
    expect(clusterLabel('sre/east', 'sre')).toBe('east');
    expect(clusterLabel('sre/east', 'ops')).toBe('sre/east');
    expect(clusterLabel('sre/east', undefined)).toBe('sre/east');
  });

  it('workloadReady falls back to 0 succeeded for a Job that reports none', () => {
    expect(
      workloadReady({
        cluster: 'c',
        kind: 'Job',
        namespace: 'n',
        name: 'j',
        desired: 3,
        ready: 1,
        available: 0,
        updated: 0,
        healthy: true,
        images: [],
        labels: {},
      }),
    ).toBe('0/3');
  });
});
