import { describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import type { Caller, SecretService } from '@gantry/identity';
import type {
  AuditRepository,
  EventRepository,
  InventoryRepository,
  ResourceRepository,
} from '@gantry/store';
import type { FleetGateVerdict } from '@gantry/model';
import { FleetService, type DrainHolds, type FleetServiceDeps } from './fleet-service.ts';
import { KubeApiError, type KubeClient } from './kube/kube-client.ts';

const alice: Caller = {
  principal: { username: 'alice', admin: false, teams: new Map([['sre', 'operator']]) },
  source: '127.0.0.1',
};

/** A cluster whose node `worker-1` runs `pods`; evictions answer with `evict(name)`. */
function fakeClient(pods: { name: string; owner?: string }[], evict: (name: string) => Error | undefined) {
  const client: KubeClient = {
    server: 'https://east',
    request<T>(method: string, path: string): Promise<T> {
      if (method === 'PATCH' && path === '/api/v1/nodes/missing')
        return Promise.reject(new KubeApiError('nodes "missing" not found', 404, 'NotFound'));
      if (method === 'PATCH') return Promise.resolve({} as T);
      if (method === 'GET')
        return Promise.resolve({
          items: pods.map((pod) => ({
            metadata: {
              name: pod.name,
              namespace: 'web',
              uid: pod.name,
              ...(pod.owner ? { ownerReferences: [{ kind: pod.owner, controller: true }] } : {}),
            },
            status: { phase: 'Running' },
          })),
        } as T);
      const name = path.split('/').at(-2) ?? '';
      const error = evict(name);
      return error ? Promise.reject(error) : Promise.resolve({} as T);
    },
    watch: () => Promise.resolve(),
    close: () => undefined,
  };
  return client;
}

function service(client: KubeClient, extra: Partial<FleetServiceDeps> = {}) {
  const recorder = new MemoryEventRecorder();
  const audited: unknown[] = [];
  const fleet = new FleetService({
    repository: {
      get: () =>
        Promise.resolve({
          kind: 'Cluster',
          metadata: { name: 'east', team: 'sre' },
          spec: { kubeconfigSecret: { name: 'east-kubeconfig', key: 'kubeconfig' } },
        }),
    } as unknown as ResourceRepository,
    inventory: {} as InventoryRepository,
    events: {} as EventRepository,
    secrets: { reveal: () => Promise.resolve({ kubeconfig: 'unused' }) } as unknown as SecretService,
    audit: {
      record: (entry: unknown) => Promise.resolve(void audited.push(entry)),
    } as unknown as AuditRepository,
    recorder,
    clientFactory: () => Promise.resolve(client),
    ...extra,
  });
  return { fleet, recorder, audited };
}

describe('node operations record events regarding the node, as the user', () => {
  it('records a cordon and an uncordon', async () => {
    const { fleet, recorder } = service(fakeClient([], () => undefined));
    await fleet.nodeOperation(alice, 'sre', 'east', 'worker-1', 'cordon');
    await fleet.nodeOperation(alice, 'sre', 'east', 'worker-1', 'uncordon');
    expect(recorder.events).toEqual([
      {
        type: 'Normal',
        reason: 'NodeCordoned',
        message: 'node worker-1 marked unschedulable',
        regarding: { kind: 'Node', name: 'worker-1', team: 'sre', cluster: 'east' },
        actor: 'alice',
      },
      expect.objectContaining({ type: 'Normal', reason: 'NodeUncordoned', actor: 'alice' }),
    ]);
  });

  it('records a complete drain as NodeDrained, and one that leaves pods as NodeDrainFailed', async () => {
    const done = service(fakeClient([{ name: 'web-1', owner: 'ReplicaSet' }], () => undefined));
    await done.fleet.nodeOperation(alice, 'sre', 'east', 'worker-1', 'drain', {
      timeoutMs: 1000,
      force: false,
    });
    expect(done.recorder.events.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Normal', 'NodeDrained', 'node worker-1 drained: 1 pod evicted'],
    ]);

    const stuck = service(
      fakeClient([{ name: 'web-1', owner: 'ReplicaSet' }, { name: 'debug' }], (name) =>
        name === 'web-1' ? new KubeApiError('eviction failed', 500, 'InternalError') : undefined,
      ),
    );
    await stuck.fleet.nodeOperation(alice, 'sre', 'east', 'worker-1', 'drain', {
      timeoutMs: 1000,
      force: false,
    });
    expect(stuck.recorder.events).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'NodeDrainFailed',
        message:
          'node worker-1 not drained: 2 pods left (web/debug: not managed by a controller (use force to evict it); web/web-1: eviction failed)',
      }),
    ]);
  });

  it('records a drain that fails outright as NodeDrainFailed, and nothing for a failed cordon', async () => {
    const { fleet, recorder } = service(fakeClient([], () => undefined));
    await expect(
      fleet.nodeOperation(alice, 'sre', 'east', 'missing', 'drain', { timeoutMs: 1000, force: false }),
    ).rejects.toThrow('node missing not found');
    await expect(fleet.nodeOperation(alice, 'sre', 'east', 'missing', 'cordon')).rejects.toThrow();
    expect(recorder.events.map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Warning', 'NodeDrainFailed', 'drain of node missing failed: node missing not found in the cluster'],
    ]);
  });
});

describe('node operations by hand honour the fleet gate and the disruption budget (ADR 0033)', () => {
  const T0 = Date.parse('2026-12-25T10:00:00Z');
  const frozen: FleetGateVerdict = {
    open: false,
    reason: 'WindowClosed',
    message:
      'nodeOperations frozen by ChangeWindow holidays (freeze 0: holidays) until 2026-12-27T00:00:00.000Z',
    until: Date.parse('2026-12-27T00:00:00Z'),
  };

  it('refuses a cordon while the gate is closed, with the code, the window and the opening', async () => {
    let now = T0;
    const asked: string[] = [];
    const { fleet, recorder } = service(
      fakeClient([], () => undefined),
      {
        now: () => now,
        gate: {
          check: (team, actuator, at) => {
            asked.push(`${team}/${actuator}@${new Date(at).toISOString()}`);
            return Promise.resolve(at < frozen.until! ? frozen : { open: true });
          },
        },
      },
    );
    const refused = fleet.handNodeOperation(alice, 'sre', 'east', 'worker-1', 'cordon', {});
    await expect(refused).rejects.toMatchObject({
      status: 409,
      code: 'GANTRY_E_WINDOW_CLOSED',
      message: expect.stringContaining('ChangeWindow holidays') as unknown,
    });
    await expect(refused).rejects.toThrow('(opens 2026-12-27T00:00:00.000Z)');
    expect(recorder.events).toEqual([]);
    expect(asked).toEqual(['sre/nodeOperations@2026-12-25T10:00:00.000Z']);
    // The fake clock passes the freeze: the same request goes through.
    now = frozen.until!;
    await expect(fleet.handNodeOperation(alice, 'sre', 'east', 'worker-1', 'cordon', {})).resolves.toEqual({
      node: 'worker-1',
      unschedulable: true,
    });
  });

  it('acts despite a closed gate with an override reason, audited with the window it overrode', async () => {
    const { fleet, audited } = service(
      fakeClient([], () => undefined),
      {
        now: () => T0,
        gate: { check: () => Promise.resolve(frozen) },
      },
    );
    await fleet.handNodeOperation(alice, 'sre', 'east', 'worker-1', 'uncordon', {
      overrideReason: 'incident 42: put capacity back',
    });
    expect(audited[0]).toMatchObject({
      actor: 'alice',
      action: 'uncordon-override',
      kind: 'Node',
      name: 'east/worker-1',
      after: { gate: 'WindowClosed', reason: 'incident 42: put capacity back' },
    });
    expect(audited[1]).toMatchObject({ action: 'uncordon' });
  });

  it('holds the budget while a drain runs, releases it at the end, and refuses one over the budget', async () => {
    const held = new Set<string>();
    const holds: DrainHolds = {
      acquire: ({ cluster, node }) => {
        if (held.size >= 1)
          return Promise.resolve({
            ok: false,
            message: `DisruptionBudget one: ${held.size} out already, at most 1`,
          });
        held.add(`${cluster}/${node}`);
        return Promise.resolve({
          ok: true,
          hold: { release: () => Promise.resolve(void held.delete(`${cluster}/${node}`)) },
        });
      },
    };
    let during: string[] = [];
    let second: Promise<unknown> | undefined;
    const { fleet } = service(
      fakeClient([{ name: 'a', owner: 'ReplicaSet' }], () => {
        during = [...held];
        second ??= fleet.handNodeOperation(alice, 'sre', 'east', 'worker-2', 'drain', {
          drain: { timeoutMs: 1000, force: false },
        });
        return undefined;
      }),
      { drainHolds: holds },
    );
    await fleet.handNodeOperation(alice, 'sre', 'east', 'worker-1', 'drain', {
      drain: { timeoutMs: 1000, force: false },
    });
    expect(during).toEqual(['east/worker-1']);
    await expect(second).rejects.toMatchObject({ status: 409, code: 'GANTRY_E_BUDGET_EXHAUSTED' });
    expect([...held]).toEqual([]);
  });
});
