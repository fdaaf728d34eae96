import type { ConditionUpdate } from '@gantry/controllers';
import type { ApplicationStatus, Condition } from '@gantry/model';
import { ApplicationCondition, ApplicationReason } from './application-conditions.ts';
import type { HealthOutcome } from './health-stage.ts';
import type { RevisionOutcome } from './revision-stage.ts';
import { isFailure, type TargetOutcome } from './target-outcome.ts';

/** Stage 5, status: Ready follows the other conditions, carrying the first failing one's reason. */
export function readyCondition(
  conditions: readonly Condition[],
  revision: number,
): Omit<ConditionUpdate, 'observedGeneration'> {
  const notReady = conditions.find((c) => c.type !== ApplicationCondition.Ready && c.status !== 'True');
  if (notReady)
    return {
      type: ApplicationCondition.Ready,
      status: 'False',
      reason: notReady.reason,
      message: notReady.message,
    };
  return {
    type: ApplicationCondition.Ready,
    status: 'True',
    reason: ApplicationReason.Ready,
    message: `revision ${revision} applied and healthy`,
  };
}

/** Whether every target has the revision: the condition for `status.revision` to move. */
export function allApplied(outcomes: readonly TargetOutcome[]): boolean {
  return outcomes.every((o) => o.phase === 'Applied');
}

/** The status the stages concluded: conditions, revisions, health, targets and the matrix. */
export function applicationStatus(input: {
  generation: number;
  conditions: Condition[];
  revision: RevisionOutcome;
  /** The revision status reported before, kept while not every target has the new one. */
  previousRevision: number | undefined;
  outcomes: readonly TargetOutcome[];
  health: HealthOutcome;
  /** The revision each target got, when a rollout holds some at another (ADR 0036). */
  revisionOf?: (cluster: string) => number;
}): ApplicationStatus {
  const newest = input.revision.revision.spec.revision;
  const revisionOf = input.revisionOf ?? (() => newest);
  // The fleet's revision: the one every target runs, once all have it (mid-rollout, the one before).
  const revisions = new Set(input.outcomes.map((o) => revisionOf(o.target.cluster)));
  const common = revisions.size === 1 ? [...revisions][0]! : revisions.size === 0 ? newest : undefined;
  return {
    observedGeneration: input.generation,
    conditions: input.conditions,
    revision:
      allApplied(input.outcomes) && common !== undefined ? common : (input.previousRevision ?? newest),
    latestRevision: input.revision.latest,
    health: input.health.health,
    targets: input.outcomes.map((o) => ({
      cluster: o.target.cluster,
      namespace: o.target.namespace,
      ...(o.target.environment ? { environment: o.target.environment } : {}),
      phase: o.phase,
      ...(o.message ? { message: o.message.slice(0, 4000) } : {}),
      revision: revisionOf(o.target.cluster),
    })),
    components: input.health.cells.map((c) => ({
      name: c.name,
      cluster: c.cluster,
      health: c.health,
      ...(c.message ? { message: c.message.slice(0, 1000) } : {}),
      ...(c.workload ? { workload: c.workload } : {}),
    })),
  };
}

/** When to look again: soon after a failure, while not healthy, else at the next drift resync. */
export function requeueAfter(
  outcomes: readonly TargetOutcome[],
  health: HealthOutcome,
  timing: { failedRetryMs: number; progressPollMs: number; driftResyncMs: number },
): number {
  if (outcomes.some(isFailure)) return timing.failedRetryMs;
  if (health.health !== 'Healthy') return timing.progressPollMs;
  return timing.driftResyncMs;
}
