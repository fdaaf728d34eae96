import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '@gantry/model';
import { Store } from '@gantry/store';
import type { HealingRunData } from './healing-controller.ts';
import { HealingRunService } from './healing-service.ts';
import { HealingPhase } from './reasons.ts';

const T0 = Date.parse('2026-03-02T08:00:00Z');

describe('healing run service', () => {
  let store: Store;
  let now = T0;
  let woken = 0;
  let service: HealingRunService;

  beforeEach(async () => {
    store = await Store.open({ url: ':memory:' });
    now = T0;
    woken = 0;
    service = new HealingRunService({ runs: store.healing, now: () => now, onDecided: () => (woken += 1) });
    for (const [id, phase] of [
      ['a', HealingPhase.AwaitingApproval],
      ['b', HealingPhase.Acting],
      ['c', HealingPhase.AwaitingApproval],
    ] as const) {
      const data: Partial<HealingRunData> = {
        decisions: [],
        approvals:
          phase === HealingPhase.AwaitingApproval
            ? [
                {
                  action: 'drain',
                  rung: 1,
                  requestedAt: new Date(T0).toISOString(),
                  expiresAt: new Date(T0 + 3_600_000).toISOString(),
                },
              ]
            : [],
      };
      await store.healing.create({
        id,
        team: 't',
        policy: 'p',
        triggerKind: 'exception',
        triggerKey: `exception/${id}`,
        entity: `Node/east/${id}`,
        domain: 'r1',
        mode: 'Act',
        phase,
        rung: 1,
        reason: 'ApprovalRequested',
        message: '',
        data: data as Record<string, unknown>,
        nextAt: new Date(T0).toISOString(),
        createdAt: new Date(T0 + id.charCodeAt(0)).toISOString(),
      });
    }
  });
  afterEach(async () => {
    await store.close();
  });

  it('records who approved, wakes the controller, and refuses what is not waiting or has expired', async () => {
    const approved = await service.decide('t', 'a', 'approved', 'alice');
    expect((approved.data as unknown as HealingRunData).approvals[0]).toMatchObject({
      decision: 'approved',
      decidedBy: 'alice',
    });
    expect(woken).toBe(1);
    await expect(service.decide('t', 'a', 'rejected', 'bob')).rejects.toMatchObject({
      status: 409,
      code: ErrorCodes.healingRunState,
      details: [{ path: '', message: 'NotAwaitingApproval' }],
    });
    await expect(service.decide('t', 'b', 'approved', 'bob')).rejects.toMatchObject({
      code: ErrorCodes.healingRunState,
    });
    now = T0 + 3_600_000;
    await expect(service.decide('t', 'c', 'approved', 'bob')).rejects.toMatchObject({
      code: ErrorCodes.healingRunState,
      message: 'the approval request of healing run c has expired',
    });
    await expect(service.decide('t', 'zz', 'approved', 'bob')).rejects.toMatchObject({ status: 404 });
    expect(woken).toBe(1);
  });

  it('lists newest first in pages with continue tokens', async () => {
    const first = await service.list({ team: 't', limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual(['c', 'b']);
    const second = await service.list({ team: 't', limit: 2, continue: first.continue! });
    expect(second.items.map((r) => r.id)).toEqual(['a']);
    expect(second.continue).toBeUndefined();
    expect(
      (await service.list({ team: 't', limit: 10, phase: HealingPhase.Acting })).items.map((r) => r.id),
    ).toEqual(['b']);
    await expect(service.list({ team: 't', limit: 2, continue: 'nonsense' })).rejects.toMatchObject({
      status: 400,
    });
  });
});
