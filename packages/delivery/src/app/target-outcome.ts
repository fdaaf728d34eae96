import type { Target } from '../targets.ts';
import type { ComponentHealth } from './component-health.ts';

/** Why a target ended where it did: the deploy stage's typed result, never read back from a message. */
export const TargetReason = {
  /** Everything rendered and applied (the message may report prune problems). */
  Applied: 'Applied',
  /** Some components wait for what they depend on to be healthy. */
  WaitingForDependencies: 'WaitingForDependencies',
  /** A component or trait did not render: nothing was sent to the target. */
  RenderFailed: 'RenderFailed',
  /** The target namespace is being deleted: objects sent there would be refused. */
  NamespaceTerminating: 'NamespaceTerminating',
  /** The API server refused an object (invalid, owned by another application or manager, forbidden). */
  ApplyFailed: 'ApplyFailed',
  /** The cluster's API server could not be reached, or its client could not be built. */
  ClusterUnreachable: 'ClusterUnreachable',
} as const;
export type TargetReason = (typeof TargetReason)[keyof typeof TargetReason];

/** The phase status shows for each reason. */
export const TARGET_PHASE = {
  Applied: 'Applied',
  WaitingForDependencies: 'Waiting',
  RenderFailed: 'Failed',
  NamespaceTerminating: 'Failed',
  ApplyFailed: 'Failed',
  ClusterUnreachable: 'Unreachable',
} as const satisfies Record<TargetReason, string>;
export type TargetPhase = (typeof TARGET_PHASE)[TargetReason];

interface OutcomeOf<R extends TargetReason> {
  reason: R;
  phase: (typeof TARGET_PHASE)[R];
  target: Target;
  message?: string;
  cells: ComponentHealth[];
  /** Objects sent to the API server in this pass (unchanged ones are not sent). */
  sent: number;
  pruned: number;
}

/** What delivering a revision to one target came to, discriminated by `reason`. */
export type TargetOutcome = { [R in TargetReason]: OutcomeOf<R> }[TargetReason];

export function targetOutcome<R extends TargetReason>(
  reason: R,
  target: Target,
  message: string | undefined,
  cells: ComponentHealth[],
  counts: { sent?: number; pruned?: number } = {},
): TargetOutcome {
  return {
    reason,
    phase: TARGET_PHASE[reason],
    target,
    ...(message ? { message } : {}),
    cells,
    sent: counts.sent ?? 0,
    pruned: counts.pruned ?? 0,
  } as OutcomeOf<R> as TargetOutcome;
}

/** The outcomes that leave a target short of its revision (Waiting is not a failure). */
export function isFailure(outcome: TargetOutcome): boolean {
  return outcome.phase === 'Failed' || outcome.phase === 'Unreachable';
}
