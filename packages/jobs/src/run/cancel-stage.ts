import { JOBS_CHANNEL } from '@gantry/model';
import { ACTIVE_STATES, clusterOf, iso, type RunContext } from './run-context.ts';
import { TargetReasons } from './reasons.ts';

export interface CancelOutcome {
  stage: 'cancel';
  /** Queued targets that will now never run. */
  dropped: number;
  /** Cancels sent to running attempts. */
  signalled: number;
}

/** A run asked to stop: queued targets are cancelled, running ones get a cancel (their agent reports the end). */
export async function cancelStage(ctx: RunContext): Promise<CancelOutcome> {
  const outcome: CancelOutcome = { stage: 'cancel', dropped: 0, signalled: 0 };
  if (!ctx.run.cancelRequested) return outcome;
  const { jobs, port, clusters } = ctx.deps;
  outcome.dropped = await jobs.updateTargets(
    ctx.run.id,
    ['queued'],
    {
      state: 'cancelled',
      reason: TargetReasons.cancelled,
      message: 'the run was cancelled before this target started',
      finishedAt: iso(ctx.now),
    },
    ctx.fence,
  );
  for (const target of ctx.targets) {
    if (!(ACTIVE_STATES as readonly string[]).includes(target.state)) continue;
    if (target.reason === TargetReasons.cancelRequested) continue;
    const marked = await jobs.updateTarget(
      ctx.run.id,
      target.target,
      ACTIVE_STATES,
      { reason: TargetReasons.cancelRequested },
      target.attempt,
      ctx.fence,
    );
    if (!marked) continue;
    await ctx.confirm();
    const ids = { runId: ctx.run.id, target: target.target, attempt: target.attempt };
    if (target.kind === 'cluster')
      await clusters?.cancel({ team: ctx.run.team, cluster: clusterOf(target.target), ...ids });
    else await port.send(ctx.run.team, target.target, JOBS_CHANNEL, { type: 'cancel', ...ids });
    outcome.signalled++;
  }
  return outcome;
}
