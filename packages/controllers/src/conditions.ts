import type { Condition } from '@gantry/model';

export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;
export type ConditionStatus = (typeof ConditionStatus)[keyof typeof ConditionStatus];

/** What a reconcile stage concluded; `setCondition` adds the transition time. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  /** A reason constant (UpperCamelCase), stable enough to alert on. */
  reason: string;
  /** For humans: what was observed and what to do about it. */
  message: string;
  /** The generation of the object this conclusion was drawn from. */
  observedGeneration?: number;
}

/**
 * Returns `conditions` with `update` applied: an existing condition of the same type is replaced in
 * place, a new one appended. `lastTransitionTime` moves only when the status changes, so it says how long
 * the object has been in its current state, and an unchanged conclusion leaves the status untouched.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((condition) => condition.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime:
      previous && previous.status === update.status
        ? previous.lastTransitionTime
        : new Date(now).toISOString(),
    ...(update.observedGeneration !== undefined ? { observedGeneration: update.observedGeneration } : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === ConditionStatus.True;
}
