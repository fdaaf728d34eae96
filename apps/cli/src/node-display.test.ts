import { describe, expect, it } from 'vitest';
import { formatTaint, nodeRoles, nodeStatus } from './node-display.ts';

const ready = (status: string) => [
  { type: 'MemoryPressure', status: 'False' },
  { type: 'Ready', status },
];

describe('nodeStatus', () => {
  it('reads the Ready condition as kubectl does', () => {
    expect(nodeStatus({ conditions: ready('True'), ready: true, unschedulable: false })).toBe('Ready');
    expect(nodeStatus({ conditions: ready('False'), ready: false, unschedulable: false })).toBe('NotReady');
    expect(nodeStatus({ conditions: ready('Unknown'), ready: false, unschedulable: false })).toBe('NotReady');
    expect(nodeStatus({ conditions: [], ready: false, unschedulable: false })).toBe('Unknown');
  });

  it('adds SchedulingDisabled for a cordoned node', () => {
    expect(nodeStatus({ conditions: ready('True'), ready: true, unschedulable: true })).toBe(
      'Ready,SchedulingDisabled',
    );
    expect(nodeStatus({ conditions: ready('False'), ready: false, unschedulable: true })).toBe(
      'NotReady,SchedulingDisabled',
    );
  });

  it('falls back to the ready flag when the summary carries no conditions', () => {
    const node = { ready: true, unschedulable: false } as unknown as Parameters<typeof nodeStatus>[0];
    expect(nodeStatus(node)).toBe('Ready');
  });
});

describe('nodeRoles', () => {
  it('lists node-role.kubernetes.io/* and kubernetes.io/role, sorted', () => {
    expect(
      nodeRoles({
        'node-role.kubernetes.io/worker': '',
        'node-role.kubernetes.io/control-plane': '',
        'kubernetes.io/role': 'infra',
        'kubernetes.io/hostname': 'n1',
      }),
    ).toBe('control-plane,infra,worker');
  });

  it('says <none> when there is no role, and ignores an empty role name', () => {
    expect(nodeRoles({ 'kubernetes.io/hostname': 'n1', 'node-role.kubernetes.io/': '' })).toBe('<none>');
    expect(nodeRoles(undefined)).toBe('<none>');
  });
});

describe('formatTaint', () => {
  it('writes key=value:Effect, or key:Effect without a value', () => {
    expect(formatTaint({ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' })).toBe(
      'dedicated=gpu:NoSchedule',
    );
    expect(formatTaint({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })).toBe(
      'node.kubernetes.io/unschedulable:NoSchedule',
    );
  });
});
