import {
  lazyValidator,
  createAjv,
  JobAgentMessage,
  type JobAcceptedMessage,
  type JobFinishedMessage,
  type JobOutputMessage,
  type JobTargetState,
} from '@gantry/model';
import type { JobRepository } from '@gantry/store';
import type { JobExecution } from '../execution.ts';
import { ACTIVE_STATES } from './run-context.ts';
import { TargetReasons } from './reasons.ts';

const validateReport = lazyValidator<JobAgentMessage>(createAjv(), JobAgentMessage);

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

/** A report and who sent it (the transport's authenticated host). */
export interface JobReport {
  from: { team: string; host: string };
  body: unknown;
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
  const [outcome] = await handleReports(jobs, facts, [{ from, body }], now);
  return outcome!;
}

interface Checked<M extends JobAgentMessage> {
  index: number;
  message: M;
  run: RunFacts;
}

/**
 * Applies a batch of reports (one group commit) with a few set-wise statements: the `accepted` ones
 * first, then the output, then the `finished` ones, each kind grouped by run and attempt. For any one
 * target that is the order its agent sends them in (accepted, output, finished of an attempt; the next
 * attempt is dispatched only after this one's end is stored), and repeats and stale reports are no-ops
 * in any order, so the outcome is the one of applying them one by one. Answers one outcome per report,
 * in order. Runs in the transaction `jobs` is bound to, or its own.
 */
export async function handleReports(
  repository: JobRepository,
  facts: (runId: string) => Promise<RunFacts | undefined>,
  reports: readonly JobReport[],
  now: number,
): Promise<ReportOutcome[]> {
  const outcomes: ReportOutcome[] = [];
  const accepted: Checked<JobAcceptedMessage>[] = [];
  const output: Checked<JobOutputMessage>[] = [];
  const finished: Checked<JobFinishedMessage>[] = [];
  for (const [index, { from, body }] of reports.entries()) {
    const checked = validateReport(body);
    if (!checked.ok) {
      outcomes.push({ handled: 'ignored', why: 'Malformed' });
      continue;
    }
    const message = checked.value;
    const run = await facts(message.runId);
    if (!run) {
      outcomes.push({ handled: 'ignored', why: 'UnknownRun' });
      continue;
    }
    // An agent speaks for its own host only.
    if (from.team !== run.team || from.host !== message.target) {
      outcomes.push({ handled: 'ignored', why: 'WrongSender' });
      continue;
    }
    outcomes.push({ handled: 'ignored', why: 'Duplicate' });
    if (message.type === 'accepted') accepted.push({ index, message, run });
    else if (message.type === 'output') output.push({ index, message, run });
    else finished.push({ index, message, run });
  }
  if (accepted.length + output.length + finished.length === 0) return outcomes;
  const at = new Date(now).toISOString();

  await repository.inTransaction(async (jobs) => {
    for (const group of groupBy(accepted, (item) => `${item.message.runId}\u0000${item.message.attempt}`)) {
      const { runId, attempt } = group[0]!.message;
      const started = await jobs.updateTargetsAt(
        runId,
        attempt,
        group.map((item) => item.message.target),
        ['dispatched'],
        { state: 'running', reason: TargetReasons.started, startedAt: at },
      );
      for (const item of group)
        if (started.delete(item.message.target))
          outcomes[item.index] = { handled: 'accepted', runId, ended: false };
    }

    for (const group of groupBy(output, (item) => item.message.runId)) {
      const { runId } = group[0]!.message;
      // The agent cuts at the cap; this is the backstop against one that does not (per attempt, with
      // room for the marker line).
      const fates = await jobs.appendOutputBatch(
        runId,
        group.map(({ message, run }) => ({
          runId,
          target: message.target,
          attempt: message.attempt,
          seq: message.seq,
          stream: message.stream,
          data: message.data,
          at,
          capBytes: (run.execution.maxOutputBytes + 1024) * message.attempt,
        })),
      );
      group.forEach((item, k) => {
        const fate = fates[k]!;
        outcomes[item.index] =
          fate === 'stored'
            ? { handled: 'output', runId, ended: false }
            : { handled: 'ignored', why: fate === 'duplicate' ? 'Duplicate' : 'OverCap' };
      });
    }

    // Same run, attempt and end: one statement (a fleet's results are mostly alike).
    const ends = finished.map((item) => ({ item, patch: finishedPatch(item.message, item.run, at) }));
    for (const group of groupBy(
      ends,
      ({ item, patch }) => `${item.message.runId}\u0000${item.message.attempt}\u0000${JSON.stringify(patch)}`,
    )) {
      const { runId, attempt } = group[0]!.item.message;
      const ended = await jobs.updateTargetsAt(
        runId,
        attempt,
        group.map(({ item }) => item.message.target),
        ACTIVE_STATES,
        group[0]!.patch,
      );
      for (const { item } of group)
        outcomes[item.index] = ended.delete(item.message.target)
          ? { handled: 'finished', runId, ended: true }
          : { handled: 'ignored', why: 'Stale' };
    }
  });
  return outcomes;
}

/** Groups in first-seen order, each group in the order given. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
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
