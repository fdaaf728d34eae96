import { JOBS_CHANNEL } from '@gantry/model';
import type { StoredJobTarget } from '@gantry/store';
import { ACTIVE_STATES, iso, type RunContext } from './run-context.ts';
import { JobEventReasons, TargetReasons } from './reasons.ts';

export interface LivenessOutcome {
  stage: 'liveness';
  lost: string[];
  timedOut: string[];
}

/**
 * Targets whose agent has been gone past `lostAfterMs` are lost; targets past their deadline (the job's
 * timeout plus a grace) with no result are timed out. The agent's own timeout normally reports first.
 */
export async function livenessStage(ctx: RunContext): Promise<LivenessOutcome> {
  const outcome: LivenessOutcome = { stage: 'liveness', lost: [], timedOut: [] };
  const { jobs, port, recorder } = ctx.deps;
  // A host seen gone for the first time in this term: its timer starts when it is known to have fallen
  // silent (stored), not now, so a new leader carries on the old one's timer instead of doubling it.
  const firstSeen = ctx.targets.filter(
    (t) =>
      t.kind === 'host' &&
      (ACTIVE_STATES as readonly string[]).includes(t.state) &&
      !ctx.goneSince.has(`${ctx.run.team}/${t.target}`) &&
      !port.connected(ctx.run.team, t.target),
  );
  const silent =
    firstSeen.length > 0
      ? await port.silentSince(
          ctx.run.team,
          firstSeen.map((t) => t.target),
        )
      : new Map<string, number>();
  for (const target of ctx.targets) {
    if (!(ACTIVE_STATES as readonly string[]).includes(target.state)) continue;
    const hostKey = `${ctx.run.team}/${target.target}`;
    if (target.kind === 'host') {
      if (port.connected(ctx.run.team, target.target)) {
        ctx.goneSince.delete(hostKey);
      } else {
        const since = ctx.goneSince.get(hostKey) ?? firstGone(ctx.now, target, silent.get(target.target));
        ctx.goneSince.set(hostKey, since);
        if (ctx.now - since >= ctx.timing.lostAfterMs) {
          const lost = await jobs.updateTarget(
            ctx.run.id,
            target.target,
            ACTIVE_STATES,
            {
              state: 'lost',
              reason: TargetReasons.agentGone,
              message: `the agent was away for ${Math.round((ctx.now - since) / 1000)}s`,
              finishedAt: iso(ctx.now),
              deadline: null,
            },
            target.attempt,
            ctx.fence,
          );
          if (lost) {
            outcome.lost.push(target.target);
            await ctx.confirm();
            // Should the agent come back with the attempt still running, it stops it.
            await port.send(ctx.run.team, target.target, JOBS_CHANNEL, {
              type: 'cancel',
              runId: ctx.run.id,
              target: target.target,
              attempt: target.attempt,
            });
            recorder.record({
              type: 'Warning',
              reason: JobEventReasons.targetLost,
              message: `target ${target.target} of job run ${ctx.run.id} is lost: its agent is gone`,
              regarding: { kind: 'JobRun', name: ctx.run.id, team: ctx.run.team },
              actor: 'controller/jobs',
            });
          }
          continue;
        }
      }
    }
    if (target.deadline !== null && ctx.now > target.deadline) {
      const timedOut = await jobs.updateTarget(
        ctx.run.id,
        target.target,
        ACTIVE_STATES,
        {
          state: 'timed-out',
          reason: TargetReasons.noResult,
          message: 'no result came back within the timeout and its grace',
          finishedAt: iso(ctx.now),
          deadline: null,
        },
        target.attempt,
        ctx.fence,
      );
      if (timedOut) outcome.timedOut.push(target.target);
    }
  }
  return outcome;
}

/**
 * When a target's agent counts as gone from: when it had certainly fallen silent, but not before the
 * target was dispatched (the timer is the target's), and now when nothing is stored.
 */
function firstGone(now: number, target: StoredJobTarget, silentSince: number | undefined): number {
  if (silentSince === undefined) return now;
  const dispatched = target.dispatchedAt ? Date.parse(target.dispatchedAt) : Number.NEGATIVE_INFINITY;
  return Math.min(now, Math.max(silentSince, dispatched));
}
