import { JOBS_CHANNEL, type JobStartMessage } from '@gantry/model';
import type { StoredJobTarget } from '@gantry/store';
import { DEFAULT_RUN_AS } from '../execution.ts';
import {
  ACTIVE_STATES,
  attemptKey,
  clusterOf,
  FAILED_STATES,
  iso,
  madeByChange,
  type RunContext,
} from './run-context.ts';
import { RunReasons, TargetReasons } from './reasons.ts';

export interface DispatchOutcome {
  stage: 'dispatch';
  dispatched: number;
  /** Starts sent again for attempts recorded as dispatched by an earlier term (the agent de-duplicates). */
  resent: number;
  failed: number;
  stopped: boolean;
  /** The fleet gate held the queued targets (ADR 0033): why, and until when if known. */
  held?: { reason: string; message: string; until?: number };
}

/**
 * Sends queued targets their start, batch by batch, at most `concurrency` at a time; stops dispatching
 * after `stopAfterFailures`. Each dispatch is recorded (queued → dispatched, attempt + 1) before the
 * message is sent, so a server that dies in between leaves a record the next leader re-sends under the
 * same attempt, which the agent runs once.
 */
export async function dispatchStage(ctx: RunContext): Promise<DispatchOutcome> {
  const outcome: DispatchOutcome = { stage: 'dispatch', dispatched: 0, resent: 0, failed: 0, stopped: false };
  const { run } = ctx;
  if (run.cancelRequested) return outcome;
  const { jobs } = ctx.deps;

  const failures = ctx.targets.filter((t) => (FAILED_STATES as readonly string[]).includes(t.state)).length;
  if (run.stopAfterFailures !== null && failures >= run.stopAfterFailures) {
    const dropped = await jobs.updateTargets(
      run.id,
      ['queued'],
      {
        state: 'cancelled',
        reason: TargetReasons.stoppedAfterFailures,
        message: `the run stopped after ${failures} failed target(s)`,
        finishedAt: iso(ctx.now),
      },
      ctx.fence,
    );
    if (dropped > 0) await jobs.setReason(run.id, RunReasons.stoppedAfterFailures, ctx.fence);
    outcome.stopped = true;
    return outcome;
  }

  // Attempts recorded as dispatched that this server has not sent in its term: the previous leader may
  // have died between the record and the send.
  // A cluster target's Job is followed by the server that started it: the next leader follows it again
  // (the runner finds the Job by its name).
  for (const target of ctx.targets) {
    const again = target.state === 'dispatched' || (target.kind === 'cluster' && target.state === 'running');
    if (!again || ctx.sent.has(attemptKey(run.id, target.target, target.attempt))) continue;
    if (await send(ctx, target, target.attempt)) outcome.resent++;
  }

  const active = ctx.targets.filter((t) => (ACTIVE_STATES as readonly string[]).includes(t.state));
  let queued = ctx.targets.filter((t) => t.state === 'queued');
  if (run.batchSize !== null) {
    const size = run.batchSize;
    const batch = Math.min(...[...active, ...queued].map((t) => Math.floor(t.ordinal / size)));
    queued = queued.filter((t) => Math.floor(t.ordinal / size) === batch);
  }
  const slots = Math.max(0, run.concurrency - active.length);
  const picked = queued.slice(0, slots);
  if (picked.length === 0) return outcome;
  const held = await gateStage(ctx);
  if (held) {
    outcome.held = held;
    return outcome;
  }
  // The dispatches of one pass are recorded with one statement per attempt number, and the host starts
  // sent together (the transport queues them with a few statements): a 2,000-host run is not 2,000
  // round trips to the database, one after the other.
  let secrets: Record<string, string>;
  try {
    secrets = await revealSecrets(ctx);
  } catch (error) {
    for (const [attempt, group] of byAttempt(picked)) {
      const failed = await jobs.updateTargetsAt(
        run.id,
        attempt,
        group,
        ['queued'],
        {
          state: 'failed',
          attempt: attempt + 1,
          reason: TargetReasons.secretMissing,
          message: error instanceof Error ? error.message : String(error),
          finishedAt: iso(ctx.now),
        },
        ctx.fence,
      );
      outcome.failed += failed.size;
    }
    return outcome;
  }
  const recorded: { target: StoredJobTarget; attempt: number }[] = [];
  for (const [attempt, group] of byAttempt(picked)) {
    const moved = await jobs.updateTargetsAt(
      run.id,
      attempt,
      group,
      ['queued'],
      {
        state: 'dispatched',
        attempt: attempt + 1,
        reason: TargetReasons.dispatched,
        message: '',
        dispatchedAt: iso(ctx.now),
        deadline: ctx.now + ctx.execution.timeoutSeconds * 1000 + ctx.timing.resultGraceMs,
      },
      ctx.fence,
    );
    for (const target of picked)
      if (target.attempt === attempt && moved.has(target.target))
        recorded.push({ target, attempt: attempt + 1 });
  }
  const hosts = recorded.filter(({ target }) => target.kind === 'host');
  for (const { target, attempt } of recorded) {
    if (target.kind === 'host') continue;
    if (await send(ctx, target, attempt, secrets)) outcome.dispatched++;
    else outcome.failed++;
  }
  if (hosts.length > 0) await ctx.confirm();
  for (const { target, attempt } of hosts) ctx.sent.add(attemptKey(run.id, target.target, attempt));
  // A start that waits longer than the lost timeout for its agent is dropped: by then the target is lost.
  const delivered = await ctx.deps.port.sendMany(
    run.team,
    hosts.map(({ target, attempt }) => ({
      host: target.target,
      channel: JOBS_CHANNEL,
      body: startMessage(ctx, target, attempt, secrets),
    })),
    { ttlMs: ctx.timing.lostAfterMs },
  );
  for (const [k, { target, attempt }] of hosts.entries()) {
    if (delivered[k]) outcome.dispatched++;
    else {
      await failUndelivered(ctx, target, attempt, `host ${target.target} is not known to team ${run.team}`);
      outcome.failed++;
    }
  }
  return outcome;
}

/** Queued targets' names by their current attempt number. */
function byAttempt(targets: readonly StoredJobTarget[]): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const target of targets) {
    const group = groups.get(target.attempt) ?? [];
    group.push(target.target);
    groups.set(target.attempt, group);
  }
  return groups;
}

async function revealSecrets(ctx: RunContext): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const reference of ctx.execution.secrets) {
    const data = await ctx.deps.secrets.reveal(ctx.run.team, reference.secret);
    const value = data[reference.key];
    if (value === undefined) throw new Error(`secret ${reference.secret} has no key ${reference.key}`);
    env[reference.env] = value;
  }
  return env;
}

/** Sends the start of `attempt`; false (and the target failed) when the host or cluster is unknown. */
async function send(
  ctx: RunContext,
  target: StoredJobTarget,
  attempt: number,
  secrets?: Record<string, string>,
): Promise<boolean> {
  const { run, execution } = ctx;
  const env = secrets ?? (await revealSecrets(ctx).catch(() => ({})));
  await ctx.confirm();
  ctx.sent.add(attemptKey(run.id, target.target, attempt));
  let delivered: boolean;
  let why = '';
  if (target.kind === 'cluster') {
    const runner = ctx.deps.clusters;
    if (!runner) {
      delivered = false;
      why = 'this server runs no cluster jobs';
    } else {
      delivered = true;
      runner
        .start(
          {
            team: run.team,
            cluster: clusterOf(target.target),
            runId: run.id,
            target: target.target,
            attempt,
            execution,
            parameters: run.parameters,
            secrets: env,
          },
          (message) => ctx.report({ team: run.team, host: target.target }, message),
        )
        .catch((error: unknown) =>
          ctx.report(
            { team: run.team, host: target.target },
            {
              type: 'finished',
              runId: run.id,
              target: target.target,
              attempt,
              reason: 'SpawnFailed',
              exitCode: null,
              signal: null,
              message: error instanceof Error ? error.message : String(error),
              outputBytes: 0,
              truncated: false,
              lastSeq: 0,
              at: iso(ctx.now),
            },
          ),
        );
    }
  } else {
    // A start that waits longer than the lost timeout for its agent is dropped: by then the target is lost.
    delivered = await ctx.deps.port.send(
      run.team,
      target.target,
      JOBS_CHANNEL,
      startMessage(ctx, target, attempt, env),
      { ttlMs: ctx.timing.lostAfterMs },
    );
    why = `host ${target.target} is not known to team ${run.team}`;
  }
  if (delivered) return true;
  await failUndelivered(ctx, target, attempt, why);
  return false;
}

/** What an agent gets to start `attempt` of a host target. */
function startMessage(
  ctx: RunContext,
  target: StoredJobTarget,
  attempt: number,
  secrets: Record<string, string>,
): JobStartMessage {
  const { run, execution } = ctx;
  return {
    type: 'start',
    runId: run.id,
    target: target.target,
    attempt,
    ...(execution.script ? { script: execution.script } : {}),
    ...(execution.action ? { action: execution.action } : {}),
    parameters: run.parameters,
    secrets,
    runAs: execution.runAs ?? DEFAULT_RUN_AS,
    timeoutSeconds: execution.timeoutSeconds,
    maxOutputBytes: execution.maxOutputBytes,
    ...(execution.limits ? { limits: execution.limits } : {}),
  };
}

/** The start could not be handed to anyone: the target fails (the host or cluster is unknown). */
async function failUndelivered(
  ctx: RunContext,
  target: StoredJobTarget,
  attempt: number,
  why: string,
): Promise<void> {
  await ctx.deps.jobs.updateTarget(
    ctx.run.id,
    target.target,
    ['dispatched'],
    {
      state: 'failed',
      reason: TargetReasons.hostUnknown,
      message: why,
      finishedAt: iso(ctx.now),
      deadline: null,
    },
    attempt,
    ctx.fence,
  );
}

/**
 * The fleet gate's look before dispatching (ADR 0033): while it is closed for jobs, a run made by hand or
 * by a Schedule keeps its queued targets queued, each saying why and until when (written when that
 * changes); when it opens, the run's reason goes back to dispatching and the targets go out.
 */
async function gateStage(ctx: RunContext): Promise<DispatchOutcome['held']> {
  const { run } = ctx;
  const gate = ctx.deps.gate;
  if (!gate || madeByChange(run)) return undefined;
  const verdict = await gate.check(run.team, 'jobs', ctx.now);
  const heldReasons: string[] = [RunReasons.windowClosed, RunReasons.lineStopped];
  if (verdict.open) {
    if (heldReasons.includes(run.reason)) await ctx.deps.jobs.setReason(run.id, RunReasons.dispatching);
    return undefined;
  }
  const line = verdict.reason === 'LineStopped';
  const reason = line ? TargetReasons.lineStopped : TargetReasons.windowClosed;
  const message = `queued${verdict.until !== undefined ? ` until ${iso(verdict.until)}` : ''}: ${verdict.message}`;
  if (ctx.targets.some((t) => t.state === 'queued' && (t.reason !== reason || t.message !== message)))
    await ctx.deps.jobs.updateTargets(run.id, ['queued'], { reason, message });
  const runReason = line ? RunReasons.lineStopped : RunReasons.windowClosed;
  if (run.reason !== runReason) await ctx.deps.jobs.setReason(run.id, runReason);
  return { reason, message, ...(verdict.until !== undefined ? { until: verdict.until } : {}) };
}
