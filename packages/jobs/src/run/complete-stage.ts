import type { JobRunState } from '@gantry/model';
import { iso, type RunContext } from './run-context.ts';
import { JobEventReasons, RunReasons } from './reasons.ts';

export interface CompleteOutcome {
  stage: 'complete';
  finished: JobRunState | undefined;
}

/** A run whose targets have all ended ends too: Cancelled, Succeeded, or Failed. */
export async function completeStage(ctx: RunContext): Promise<CompleteOutcome> {
  if (await ctx.deps.jobs.hasUnfinishedTargets(ctx.run.id)) return { stage: 'complete', finished: undefined };
  const all = await ctx.deps.jobs.targets(ctx.run.id);
  const stopped = all.some((t) => t.reason === 'StoppedAfterFailures');
  const [state, reason, event]: [JobRunState, string, string] = ctx.run.cancelRequested
    ? ['Cancelled', RunReasons.cancelled, JobEventReasons.runCancelled]
    : all.every((t) => t.state === 'succeeded')
      ? ['Succeeded', RunReasons.allSucceeded, JobEventReasons.runSucceeded]
      : [
          'Failed',
          stopped ? RunReasons.stoppedAfterFailures : RunReasons.targetsFailed,
          JobEventReasons.runFailed,
        ];
  if (!(await ctx.deps.jobs.finish(ctx.run.id, state, reason, iso(ctx.now), ctx.fence))) {
    return { stage: 'complete', finished: undefined };
  }
  const counts: Record<string, number> = {};
  for (const t of all) counts[t.state] = (counts[t.state] ?? 0) + 1;
  ctx.deps.recorder.record({
    type: state === 'Succeeded' ? 'Normal' : 'Warning',
    reason: event,
    message: `job run ${ctx.run.id} (${ctx.run.template || 'ad-hoc script'}) ended ${state}: ${Object.entries(
      counts,
    )
      .map(([s, n]) => `${n} ${s}`)
      .join(', ')}`,
    regarding: { kind: 'JobRun', name: ctx.run.id, team: ctx.run.team },
    actor: 'controller/jobs',
  });
  return { stage: 'complete', finished: state };
}
