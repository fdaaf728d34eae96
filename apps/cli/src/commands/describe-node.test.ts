import { describe, expect, it } from 'vitest';
import { describeNodeText } from './describe-node.ts';

describe('describeNodeText', () => {
  it('shows identity, labels, taints, conditions, capacity and allocatable', () => {
    const text = describeNodeText(
      {
        cluster: 'sre/east',
        kind: 'Node',
        namespace: '',
        name: 'worker-1',
        updatedAt: '2025-06-01T11:59:50Z',
        ready: true,
        unschedulable: true,
        conditions: [
          {
            type: 'MemoryPressure',
            status: 'False',
            reason: 'KubeletHasSufficientMemory',
            lastTransitionTime: '2025-06-01T09:00:00Z',
          },
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status',
            lastTransitionTime: '2025-06-01T11:00:00Z',
          },
        ],
        labels: { 'kubernetes.io/hostname': 'worker-1', 'node-role.kubernetes.io/worker': '' },
        taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }],
        capacity: { cpu: '4', memory: '16Gi', pods: '110' },
        allocatable: { cpu: '3800m', pods: '110' },
        kubeletVersion: 'v1.36.3',
        createdAt: '2025-05-31T12:00:00Z',
      },
      new Date('2025-06-01T12:00:00Z'),
    );
    expect(text).toBe(
      [
        'Name:             worker-1',
        'Cluster:          sre/east',
        'Status:           Ready,SchedulingDisabled',
        'Roles:            worker',
        'Labels:           kubernetes.io/hostname=worker-1',
        '                  node-role.kubernetes.io/worker=',
        'Taints:           node.kubernetes.io/unschedulable:NoSchedule',
        'Unschedulable:    true',
        'Kubelet Version:  v1.36.3',
        'Created:          2025-05-31T12:00:00Z (1d ago)',
        'Last Seen:        2025-06-01T11:59:50Z (10s ago)',
        'Conditions:',
        '  TYPE             STATUS    REASON                       AGE       MESSAGE',
        '  MemoryPressure   False     KubeletHasSufficientMemory   3h',
        '  Ready            True      KubeletReady                 1h        kubelet is posting ready status',
        'Capacity:',
        '  cpu:     4',
        '  memory:  16Gi',
        '  pods:    110',
        'Allocatable:',
        '  cpu:   3800m',
        '  pods:  110',
        '',
      ].join('\n'),
    );
  });
});
