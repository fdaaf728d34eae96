import { isRecord } from '../api/normalize';
import type { Condition } from '../api/types';

/** `status.conditions` of a resource, or an empty array when it has none (yet). */
export function conditionsOf(status: unknown): Condition[] {
  if (!isRecord(status) || !Array.isArray(status['conditions'])) return [];
  return status['conditions'].filter(
    (condition): condition is Condition => isRecord(condition) && typeof condition['type'] === 'string',
  );
}
