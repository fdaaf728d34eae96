import { describe, expect, it } from 'vitest';
import { inventoryTarget, isNodeKind } from './inventory-views.ts';

describe('inventoryTarget', () => {
  it("maps kubectl's names, in any case, to the inventory views", () => {
    for (const typed of ['nodes', 'node', 'no', 'Nodes', 'NO'])
      expect(inventoryTarget(typed), typed).toEqual({ view: 'nodes', singular: 'node' });
    for (const typed of ['namespaces', 'namespace', 'ns'])
      expect(inventoryTarget(typed), typed).toEqual({ view: 'namespaces', singular: 'namespace' });
    for (const typed of ['pods', 'pod', 'po'])
      expect(inventoryTarget(typed), typed).toEqual({ view: 'pods', singular: 'pod' });
    expect(inventoryTarget('workloads')).toEqual({ view: 'workloads', singular: 'workload' });
  });

  it('narrows workloads to one kind for the workload kinds and their short names', () => {
    const cases: [string, string][] = [
      ['deployments', 'Deployment'],
      ['deploy', 'Deployment'],
      ['statefulsets', 'StatefulSet'],
      ['sts', 'StatefulSet'],
      ['daemonsets', 'DaemonSet'],
      ['ds', 'DaemonSet'],
      ['jobs', 'Job'],
      ['job', 'Job'],
      ['cronjobs', 'CronJob'],
      ['cj', 'CronJob'],
    ];
    for (const [typed, kind] of cases) {
      expect(inventoryTarget(typed), typed).toMatchObject({ view: 'workloads', workloadKind: kind });
    }
    expect(inventoryTarget('deploy')?.singular).toBe('deployment');
  });

  it('leaves Gantry kinds alone', () => {
    for (const typed of ['teams', 'team', 'tm', 'clusters', 'cl', 'Cluster', 'services'])
      expect(inventoryTarget(typed), typed).toBeUndefined();
  });

  it('recognises node for describe', () => {
    expect(isNodeKind('node')).toBe(true);
    expect(isNodeKind('no')).toBe(true);
    expect(isNodeKind('namespace')).toBe(false);
    expect(isNodeKind('team')).toBe(false);
  });
});
