import { describe, expect, it } from 'vitest';
import { findCondition, isConditionTrue, setCondition } from './conditions.ts';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const T1 = T0 + 60_000;

describe('setCondition', () => {
  it('appends a new condition with the transition time', () => {
    const conditions = setCondition(
      undefined,
      {
        type: 'Ready',
        status: 'False',
        reason: 'UnknownUser',
        message: 'no such user: bob',
        observedGeneration: 1,
      },
      T0,
    );
    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'UnknownUser',
        message: 'no such user: bob',
        observedGeneration: 1,
        lastTransitionTime: '2025-01-01T00:00:00.000Z',
      },
    ]);
  });

  it('keeps lastTransitionTime while the status stays, even when reason and message change', () => {
    const before = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, T0);
    const after = setCondition(
      before,
      { type: 'Ready', status: 'False', reason: 'B', message: 'b', observedGeneration: 2 },
      T1,
    );
    expect(after[0]).toMatchObject({
      reason: 'B',
      message: 'b',
      observedGeneration: 2,
      lastTransitionTime: new Date(T0).toISOString(),
    });
  });

  it('moves lastTransitionTime when the status changes', () => {
    const before = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, T0);
    const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'A', message: 'a' }, T1);
    expect(after[0]?.lastTransitionTime).toBe(new Date(T1).toISOString());
  });

  it('replaces in place, leaves other types alone and does not mutate its input', () => {
    const start = setCondition(
      setCondition(undefined, { type: 'A', status: 'True', reason: 'X', message: '' }, T0),
      { type: 'B', status: 'True', reason: 'X', message: '' },
      T0,
    );
    const frozen = structuredClone(start);
    const next = setCondition(start, { type: 'A', status: 'False', reason: 'Y', message: '' }, T1);
    expect(next.map((c) => c.type)).toEqual(['A', 'B']);
    expect(start).toEqual(frozen);
    expect(isConditionTrue(next, 'A')).toBe(false);
    expect(isConditionTrue(next, 'B')).toBe(true);
    expect(findCondition(next, 'C')).toBeUndefined();
  });
});
