import { describe, expect, it } from 'vitest';
import { eventRecord, summarizeNode, summarizeWorkload } from './summaries.ts';

describe('inventory summaries', () => {
  it('keeps what an SRE needs of a node', () => {
    const summary = summarizeNode({
      metadata: {
        name: 'n1',
        uid: 'u',
        labels: { 'topology.kubernetes.io/zone': 'z1' },
        creationTimestamp: '2026-01-01T00:00:00Z',
      },
      spec: { unschedulable: true, taints: [{ key: 'dedicated', value: 'flink', effect: 'NoSchedule' }] },
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'False',
            reason: 'KubeletNotReady',
            message: 'PLEG is not healthy',
            lastTransitionTime: '2026-01-02T00:00:00Z',
          },
          { type: 'MemoryPressure', status: 'False' },
        ],
        capacity: { cpu: '32', memory: '128Gi', pods: '110' },
        allocatable: { cpu: '31', memory: '120Gi', pods: '110' },
        nodeInfo: { kubeletVersion: 'v1.36.3' },
        images: [{ names: ['huge'] }],
      },
    });
    expect(summary).toEqual({
      ready: false,
      unschedulable: true,
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'KubeletNotReady',
          message: 'PLEG is not healthy',
          lastTransitionTime: '2026-01-02T00:00:00Z',
        },
        { type: 'MemoryPressure', status: 'False' },
      ],
      labels: { 'topology.kubernetes.io/zone': 'z1' },
      taints: [{ key: 'dedicated', value: 'flink', effect: 'NoSchedule' }],
      capacity: { cpu: '32', memory: '128Gi', pods: '110' },
      allocatable: { cpu: '31', memory: '120Gi', pods: '110' },
      kubeletVersion: 'v1.36.3',
      createdAt: '2026-01-01T00:00:00Z',
    });
  });

  it('judges workload health per kind', () => {
    const template = { spec: { containers: [{ image: 'flink:1.20' }] } };
    expect(
      summarizeWorkload('Deployment', {
        metadata: { name: 'd', uid: 'u' },
        spec: { replicas: 3, template },
        status: { readyReplicas: 2, availableReplicas: 2, updatedReplicas: 3 },
      }),
    ).toMatchObject({
      desired: 3,
      ready: 2,
      healthy: false,
      images: ['flink:1.20'],
    });
    expect(
      summarizeWorkload('StatefulSet', {
        metadata: { name: 's', uid: 'u' },
        spec: { template },
        status: { readyReplicas: 1 },
      }),
    ).toMatchObject({ desired: 1, ready: 1, healthy: true });
    expect(
      summarizeWorkload('DaemonSet', {
        metadata: { name: 'ds', uid: 'u' },
        spec: { template },
        status: { desiredNumberScheduled: 5, numberReady: 5, numberAvailable: 5 },
      }),
    ).toMatchObject({ desired: 5, healthy: true });
    expect(
      summarizeWorkload('Job', {
        metadata: { name: 'j', uid: 'u' },
        spec: { template },
        status: { failed: 1, conditions: [{ type: 'Failed', status: 'True' }] },
      }),
    ).toMatchObject({ failed: 1, healthy: false });
    expect(
      summarizeWorkload('CronJob', {
        metadata: { name: 'c', uid: 'u' },
        spec: { schedule: '*/5 * * * *', suspend: true, jobTemplate: { spec: { template } } },
        status: {},
      }),
    ).toMatchObject({
      schedule: '*/5 * * * *',
      suspend: true,
      images: ['flink:1.20'],
    });
  });

  it('turns a Kubernetes event into an event record keyed by its uid', () => {
    const record = eventRecord('sre', 'sre/east', {
      metadata: { name: 'web.1', namespace: 'default', uid: 'e1' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      type: 'Warning',
      count: 7,
      reportingComponent: '',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2026-11-26T10:00:00Z',
      lastTimestamp: '2026-11-26T10:05:00Z',
    });
    expect(record).toEqual({
      source: 'kubernetes',
      externalId: 'sre/east/e1',
      team: 'sre',
      cluster: 'sre/east',
      namespace: 'default',
      objectKind: 'Pod',
      objectName: 'web-1',
      type: 'Warning',
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      actor: 'kubelet',
      count: 7,
      firstSeen: '2026-11-26T10:00:00.000Z',
      lastSeen: '2026-11-26T10:05:00.000Z',
    });
  });
});
