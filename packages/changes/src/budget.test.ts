import { describe, expect, it } from 'vitest';
import type { ResourceRepository } from '@gantry/store';
import { allowedUnavailable, ResourceDisruptionBudgets, type DisruptionHolding } from './budget.ts';

const budgets = (...specs: Record<string, unknown>[]) =>
  ({
    list: () =>
      Promise.resolve({
        items: specs.map((spec, index) => ({
          name: `b${index}`,
          json: JSON.stringify({ metadata: { name: `b${index}` }, spec }),
        })),
      }),
  }) as unknown as Pick<ResourceRepository, 'list'>;

const hold = (entity: string, entityKind = 'Node'): DisruptionHolding => ({
  entity,
  entityKind,
  holder: 'change/other',
});

describe('disruption budgets', () => {
  it('rounds a percentage of the domain down, at least 1 unless 0%', () => {
    expect([
      allowedUnavailable('3', 10),
      allowedUnavailable('10%', 25),
      allowedUnavailable('10%', 5),
      allowedUnavailable('0%', 50),
      allowedUnavailable('0', 50),
    ]).toEqual([3, 2, 1, 0, 0]);
  });

  it('counts the holdings of the same domain and kind only', async () => {
    const labels = new Map([
      ['east/a', { 'gantry.dev/cluster': 'east' }],
      ['east/b', { 'gantry.dev/cluster': 'east' }],
      ['west/a', { 'gantry.dev/cluster': 'west' }],
    ]);
    const subject = new ResourceDisruptionBudgets({
      repository: budgets({ maxUnavailable: '1' }),
      labels: () => Promise.resolve(labels),
    });
    const ask = (entity: string, holdings: DisruptionHolding[]) =>
      subject.acquire({ team: 'ops', entityKind: 'Node', entity, holder: 'change/me', holdings });
    expect(await ask('east/b', [hold('west/a')])).toEqual({ ok: true });
    expect(await ask('east/b', [hold('east/a', 'Host')])).toEqual({ ok: true });
    expect(await ask('east/b', [hold('east/b')])).toEqual({ ok: true }); // itself
    expect(await ask('east/b', [hold('east/a')])).toMatchObject({
      ok: false,
      budget: 'b0',
      domain: 'east',
      held: 1,
      max: 1,
      message: 'DisruptionBudget b0: 1 of 2 entities in gantry.dev/cluster=east out already, at most 1 (1)',
    });
  });

  it('holds hosts the inventory gives no labels to in one domain, and honours a selector', async () => {
    const subject = new ResourceDisruptionBudgets({
      repository: budgets(
        { entityKind: 'Host', maxUnavailable: '2' },
        { entityKind: 'Host', maxUnavailable: '0', selector: 'role=db' },
      ),
      labels: () => Promise.resolve(new Map([['db-1', { role: 'db' }]])),
    });
    const ask = (entity: string, holdings: DisruptionHolding[]) =>
      subject.acquire({ team: 'ops', entityKind: 'Host', entity, holder: 'change/me', holdings });
    expect(await ask('web-3', [hold('web-1', 'Host')])).toEqual({ ok: true });
    expect(await ask('web-3', [hold('web-1', 'Host'), hold('web-2', 'Host')])).toMatchObject({
      ok: false,
      budget: 'b0',
      held: 2,
    });
    expect(await ask('db-1', [])).toMatchObject({ ok: false, budget: 'b1', max: 0 });
  });
});
