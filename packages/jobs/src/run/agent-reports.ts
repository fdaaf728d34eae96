import {
  compileValidator,
  createAjv,
  JobAgentMessage,
  type JobFinishedMessage,
  type JobTargetState,
} from '@gantry/model';
import type { JobRepository } from '@gantry/store';
import type { JobExecution } from '../execution.ts';
import { ACTIVE_STATES } from './run-context.ts';
import { TargetReasons } from './reasons.ts';

const validateReport = compileValidator<JobAgentMessage>(createAjv(), JobAgentMessage);

/** What handling one report did; `ignored` says why nothing changed. */
export type ReportOutcome =
  | { handled: 'accepted' | 'output' | 'finished'; runId: string; ended: boolean }
  | {
      handled: 'ignored';
      why: 'Malformed' | 'UnknownRun' | 'WrongSender' | 'Stale' | 'OverCap' | 'Duplicate';
    };

export interface RunFacts {
  team: string;
  execution: JobExecution;
  cancelRequested: boolean;
}

/**
 * Applies what agents (and cluster runners) report. Every change is a conditional update keyed on the
 * target's state and attempt, so a report delivered twice, late, or to another server changes nothing.
 */
export async function handleReport(
  jobs: JobRepository,
  facts: (runId: string) => Promise<RunFacts | undefined>,
  from: { team: string; host: string },
  body: unknown,
  now: number,
): Promise<ReportOutcome> {
  const checked = validateReport(body);
  if (!checked.ok) return { handled: 'ignored', why: 'Malformed' };
  const message = checked.value;
  const run = await facts(message.runId);
  if (!run) return { handled: 'ignored', why: 'UnknownRun' };
  // An agent speaks for its own host only.
  if (from.team !== run.team || from.host !== message.target)
    return { handled: 'ignored', why: 'WrongSender' };

  switch (message.type) {
    case 'accepted': {
      const started = await jobs.updateTarget(
        message.runId,
        message.target,
        ['dispatched'],
        { state: 'running', reason: TargetReasons.started, startedAt: new Date(now).toISOString() },
        message.attempt,
      );
      return started
        ? { handled: 'accepted', runId: message.runId, ended: false }
        : { handled: 'ignored', why: 'Duplicate' };
    }
    case 'output': {
      // The agent cuts at the cap; this is the backstop against one that does not (per attempt, with room
      // for the marker line).
      const stored = await jobs.appendOutputCapped(
        {
          runId: message.runId,
          target: message.target,
          attempt: message.attempt,
          seq: message.seq,
          stream: message.stream,
          data: message.data,
          at: new Date(now).toISOString(),
        },
        (run.execution.maxOutputBytes + 1024) * message.attempt,
      );
      if (stored === 'stored') return { handled: 'output', runId: message.runId, ended: false };
      return { handled: 'ignored', why: stored === 'duplicate' ? 'Duplicate' : 'OverCap' };
    }
    case 'finished': {
      const ended = await jobs.updateTarget(
        message.runId,
        message.target,
        ACTIVE_STATES,
        finishedPatch(message, run, new Date(now).toISOString()),
        message.attempt,
      );
      return ended
        ? { handled: 'finished', runId: message.runId, ended: true }
        : { handled: 'ignored', why: 'Stale' };
    }
  }
}

const RETRYABLE: readonly JobFinishedMessage['reason'][] = ['Exited', 'Signalled', 'SpawnFailed'];

/** Times are the server's: a host's clock may be off (the agent's `at` is not trusted for records). */
function finishedPatch(message: JobFinishedMessage, run: RunFacts, at: string) {
  const [state, reason]: [JobTargetState, string] = (() => {
    switch (message.reason) {
      case 'Exited':
        return message.exitCode === 0
          ? ['succeeded', TargetReasons.exited]
          : ['failed', TargetReasons.failedExit];
      case 'Signalled':
        return ['failed', TargetReasons.signalled];
      case 'SpawnFailed':
        return ['failed', TargetReasons.spawnFailed];
      case 'Refused':
        return ['failed', TargetReasons.refused];
      case 'TimedOut':
        return ['timed-out', TargetReasons.timedOut];
      case 'Cancelled':
        return ['cancelled', TargetReasons.cancelled];
    }
  })();
  const result = {
    exitCode: message.exitCode,
    signal: message.signal,
    message: message.message,
    truncated: message.truncated,
    deadline: null,
  };
  if (
    state === 'failed' &&
    RETRYABLE.includes(message.reason) &&
    message.attempt <= run.execution.retries &&
    !run.cancelRequested
  ) {
    return { ...result, state: 'queued' as const, reason: TargetReasons.retryQueued };
  }
  return { ...result, state, reason, finishedAt: at };
}
