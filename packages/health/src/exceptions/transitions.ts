import { ConflictError, ErrorCodes, type ExceptionRecord } from '@gantry/model';
import type { ExceptionState } from '../ports.ts';

/** The actions a person (or Gantry) takes on an exception. */
export type ExceptionAction =
  'acknowledge' | 'mitigate' | 'resolve' | 'reopen' | 'assign' | 'comment' | 'review' | 'merge' | 'merged';

/** From which states each action may be taken. */
const ALLOWED: Record<ExceptionAction, readonly ExceptionState[]> = {
  acknowledge: ['open'],
  mitigate: ['open', 'acknowledged'],
  resolve: ['open', 'acknowledged', 'mitigated'],
  reopen: ['resolved'],
  assign: ['open', 'acknowledged', 'mitigated', 'resolved'],
  comment: ['open', 'acknowledged', 'mitigated', 'resolved'],
  review: ['open', 'acknowledged', 'mitigated', 'resolved'],
  // The survivor of a merge must still be going on; the merged one may be anything but merged.
  merge: ['open', 'acknowledged', 'mitigated'],
  merged: ['open', 'acknowledged', 'mitigated', 'resolved'],
};

function allowed(action: ExceptionAction, state: ExceptionState): boolean {
  return ALLOWED[action].includes(state);
}

/** Throws GANTRY_E_EXCEPTION_STATE (409) when `action` is not allowed in the exception's state. */
export function checkExceptionTransition(
  action: ExceptionAction,
  exception: Pick<ExceptionRecord, 'id' | 'state'>,
): void {
  if (allowed(action, exception.state)) return;
  throw new ConflictError(
    `exception ${exception.id} is ${exception.state}: it cannot be ${PAST[action]} (allowed when ${ALLOWED[action].join(', ')})`,
    ErrorCodes.exceptionState,
    [{ path: '', message: `state is ${exception.state}` }],
  );
}

const PAST: Record<ExceptionAction, string> = {
  acknowledge: 'acknowledged',
  mitigate: 'mitigated',
  resolve: 'resolved',
  reopen: 'reopened',
  assign: 'assigned',
  comment: 'commented on',
  review: 'reviewed',
  merge: 'merged into',
  merged: 'merged',
};
