import type { Clock, EventRecorder, Timer } from '@gantry/controllers';
import type { EscalationPolicySpec, WebhookMessage } from '@gantry/model';
import {
  isFencedWriteRefused,
  type CorrelationRepository,
  type EscalationRow,
  type WriteFence,
} from '@gantry/store';
import {
  UNFENCED,
  type ExceptionPort,
  type ExceptionReader,
  type ExceptionView,
  type LeaderWrite,
} from '../ports.ts';
import { exceptionGroupKey, exceptionMessage } from './message.ts';
import { compileEscalationPolicy, nextStep } from './policy.ts';

/**
 * The notification outbox as escalation uses it (`NotificationService.enqueue`, idempotent on dedupKey).
 * With `fence` (the `health-correlation` term, ADR 0028) the outbox refuses it once that term is over.
 */
export interface NotificationEnqueuer {
  enqueue(
    input: {
      team: string;
      channel: string;
      groupKey: string;
      dedupKey: string;
      message: WebhookMessage;
    },
    options?: { fence?: WriteFence | undefined },
  ): Promise<{ id: string; created: boolean }>;
}

/** A team's EscalationPolicy by name (the resources). */
export interface EscalationPolicySource {
  get(team: string, name: string): Promise<EscalationPolicySpec | undefined>;
}

export interface EscalatorDeps {
  reader: ExceptionReader;
  port: Pick<ExceptionPort, 'recordActivity'>;
  notifications: NotificationEnqueuer;
  state: Pick<
    CorrelationRepository,
    | 'getEscalation'
    | 'startEscalation'
    | 'dueEscalations'
    | 'nextEscalationDueAt'
    | 'moveEscalation'
    | 'stopEscalation'
  >;
  policies: EscalationPolicySource;
  clock: Clock;
  /** The server's external URL, for links in the messages. */
  externalUrl: string;
  onError(error: unknown, what: string): void;
  /** Warning events: exceptions that no EscalationPolicy escalates. */
  events?: EventRecorder;
}

export interface EscalatorOptions {
  /** The policy of an exception that names none: the team's EscalationPolicy of this name. Default `default`. */
  defaultPolicy?: string;
  /** How often exceptions' changes and due steps are read without a wake-up. Default 5 s. */
  pollMs?: number;
  /** How far back a new term looks for exceptions that changed. Default 24 h. */
  lookbackMs?: number;
}

export interface Escalator {
  /**
   * Starts a term (on the lease holder): resumes the due steps in the table, follows exception changes.
   * With `term` (ADR 0028) every state write, timeline entry and notification carries its fence; a refused
   * one stops the term's work and goes to `term.refused`.
   */
  start(term?: LeaderWrite): Promise<void>;
  stop(): Promise<void>;
  /** An exception was opened or reopened (by correlation): its first step is taken at once. */
  exceptionOpened(team: string, exceptionId: string, outcome: 'opened' | 'reopened'): void;
  /** Resolves once the work in progress is done. For tests. */
  idle(): Promise<void>;
}

/** Why a step was not taken, or an escalation ended: reason constants for the timeline and errors. */
export const EscalationReason = {
  Acknowledged: 'Acknowledged',
  NotOpen: 'NotOpen',
  PolicyNotFound: 'EscalationPolicyNotFound',
  StepsTaken: 'StepsTaken',
} as const;

const PAGE = 200;
/** Exceptions read again from a little before the last read: a change may carry an earlier time. */
const FOLLOW_OVERLAP_MS = 2_000;

/**
 * Escalation of exceptions (ADR 0019): step 0's channels when an exception opens, each later step when it
 * is still not acknowledged after the step's delay, durable timers in `health_escalations` read by a
 * level-triggered loop on the injected clock. A step's notifications carry a dedup key per exception,
 * episode, round, step and channel, so the outbox holds each once, whichever server or restart enqueues
 * it; the row moves on only from the position it was read at.
 */
export function createEscalator(deps: EscalatorDeps, options: EscalatorOptions = {}): Escalator {
  const defaultPolicy = options.defaultPolicy ?? 'default';
  const pollMs = options.pollMs ?? 5_000;
  const lookbackMs = options.lookbackMs ?? 86_400_000;
  let running = false;
  let working: Promise<void> | undefined;
  let again = false;
  let poll: Timer | undefined;
  let timer: Timer | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let cursor = 0;
  let opened: { team: string; id: string; reopened: boolean }[] = [];
  /** The lease's term being led: its fence goes with every write. */
  let write: LeaderWrite = UNFENCED;

  const kick = (): Promise<void> => {
    if (!running) return Promise.resolve();
    if (working) {
      again = true;
      return working;
    }
    let failed = false;
    const current = (async () => {
      do {
        again = false;
        await pass();
      } while (again && running);
    })()
      .catch((error: unknown) => {
        failed = true;
        if (isFencedWriteRefused(error)) {
          // Another server leads: this term's work is over (the term counts, logs and ends it).
          running = false;
          write.refused?.(error);
          return;
        }
        // The next poll tries again: a step that keeps failing is not retried in a busy loop.
        deps.onError(error, 'escalating exceptions');
      })
      .finally(() => {
        working = undefined;
        if (!failed)
          void scheduleDue().catch((error: unknown) => deps.onError(error, 'scheduling escalation'));
      });
    working = current;
    return current;
  };

  const schedulePoll = () => {
    if (!running) return;
    poll = deps.clock.setTimeout(() => void kick().finally(schedulePoll), pollMs);
  };

  const scheduleDue = async () => {
    if (!running) return;
    const due = await deps.state.nextEscalationDueAt();
    if (!running || due === undefined || due >= timerAt) return;
    timer?.cancel();
    timerAt = due;
    timer = deps.clock.setTimeout(
      () => {
        timerAt = Number.POSITIVE_INFINITY;
        void kick();
      },
      Math.max(0, due - deps.clock.now()),
    );
  };

  const pass = async () => {
    for (const { team, id, reopened } of opened.splice(0)) {
      const view = await deps.reader.get(team, id);
      if (view) await sync(view, reopened);
    }
    await follow();
    for (;;) {
      const due = await deps.state.dueEscalations(deps.clock.now(), PAGE);
      for (const row of due) await takeStep(row);
      if (due.length < PAGE || !running) break;
    }
  };

  /** Exceptions changed since the last read: starts, stops and new episodes. */
  const follow = async () => {
    for (;;) {
      const readAt = deps.clock.now();
      const views = await deps.reader.changedSince(new Date(cursor), PAGE);
      for (const view of views) await sync(view, false);
      if (views.length < PAGE) {
        cursor = Math.max(cursor, readAt - FOLLOW_OVERLAP_MS);
        return;
      }
      // A full page: go on from the latest time the views show (they carry no change time of their own).
      const last = views.at(-1)!;
      const next = Math.max(
        Date.parse(last.openedAt),
        last.acknowledgedAt ? Date.parse(last.acknowledgedAt) : 0,
      );
      if (next <= cursor) return;
      cursor = next;
    }
  };

  const sync = async (view: ExceptionView, reopened: boolean) => {
    const now = deps.clock.now();
    const row = await deps.state.getEscalation(view.team, view.id);
    if (!waiting(view)) {
      if (
        row &&
        row.state !== 'stopped' &&
        (await deps.state.stopEscalation(view.team, view.id, row.episode, now, write.fence))
      )
        await deps.port.recordActivity(
          view.team,
          view.id,
          {
            type: 'escalation',
            at: new Date(now),
            message: view.acknowledgedAt
              ? 'escalation stopped: acknowledged'
              : `escalation stopped: ${view.state}`,
            details: {
              reason: view.acknowledgedAt ? EscalationReason.Acknowledged : EscalationReason.NotOpen,
              episode: row.episode,
              step: row.step,
            },
          },
          write,
        );
      return;
    }
    // Open and not acknowledged: a first episode, or a new one after a stop (reopened).
    if (row && (row.state === 'active' || (row.state === 'done' && !reopened))) return;
    const policyName = view.escalationPolicy ?? defaultPolicy;
    const spec = await deps.policies.get(view.team, policyName);
    if (!spec) {
      deps.events?.record(
        {
          type: 'Warning',
          reason: EscalationReason.PolicyNotFound,
          message: `an open exception of team ${view.team} names EscalationPolicy ${policyName}, which does not exist: nobody is notified`,
          regarding: { kind: 'EscalationPolicy', name: policyName, team: view.team },
          actor: 'controller/health-escalation',
        },
        write.fence ? write : undefined,
      );
      return;
    }
    const policy = compileEscalationPolicy(spec);
    const startedAt = row ? now : Math.min(now, Date.parse(view.openedAt));
    await deps.state.startEscalation(
      {
        team: view.team,
        exceptionId: view.id,
        policy: policyName,
        episode: (row?.episode ?? 0) + 1,
        episodeStartedAt: startedAt,
        step: 0,
        round: 0,
        state: 'active',
        dueAt: startedAt + (policy.steps[0]?.delayMs ?? 0),
        updatedAt: now,
      },
      write.fence,
    );
  };

  const takeStep = async (row: EscalationRow) => {
    const now = deps.clock.now();
    const view = await deps.reader.get(row.team, row.exceptionId);
    if (!view || !waiting(view)) {
      if (view) await sync(view, false);
      else await deps.state.stopEscalation(row.team, row.exceptionId, row.episode, now, write.fence);
      return;
    }
    const spec = await deps.policies.get(row.team, row.policy);
    const policy = spec ? compileEscalationPolicy(spec) : undefined;
    const step = policy?.steps[row.step];
    if (!policy || !step) {
      await deps.state.moveEscalation(
        row.team,
        row.exceptionId,
        row,
        { ...row, state: 'done', dueAt: null },
        now,
        write.fence,
      );
      await deps.port.recordActivity(
        row.team,
        row.exceptionId,
        {
          type: 'escalation',
          at: new Date(now),
          message: spec
            ? `escalation ended: policy ${row.policy} has no step ${row.step + 1}`
            : `escalation ended: EscalationPolicy ${row.policy} not found`,
          details: { reason: spec ? EscalationReason.StepsTaken : EscalationReason.PolicyNotFound },
        },
        write,
      );
      return;
    }
    const notifications: { channel: string; id: string; created: boolean }[] = [];
    for (const channel of step.channels) {
      const info = { channel, step: row.step, round: row.round, episode: row.episode };
      const result = await deps.notifications.enqueue(
        {
          team: row.team,
          channel,
          groupKey: exceptionGroupKey(row.team, row.exceptionId),
          dedupKey: `${exceptionGroupKey(row.team, row.exceptionId)}/e${row.episode}/r${row.round}/s${row.step}/${channel}`,
          message: exceptionMessage(view, info, deps.externalUrl),
        },
        { fence: write.fence },
      );
      notifications.push({ channel, ...result });
    }
    const first = row.step === 0 && row.round === 0;
    await deps.port.recordActivity(
      row.team,
      row.exceptionId,
      {
        type: first ? 'notification' : 'escalation',
        at: new Date(now),
        message: `${first ? 'notified' : `escalated (step ${row.step + 1}${row.round > 0 ? `, round ${row.round + 1}` : ''}) to`} ${step.channels.join(', ')}`,
        details: {
          policy: row.policy,
          episode: row.episode,
          round: row.round,
          step: row.step,
          notifications: notifications.map(({ channel, id }) => ({ channel, id })),
        },
      },
      write,
    );
    const next = nextStep(policy, row.step, row.round);
    const base = row.dueAt ?? now;
    await deps.state.moveEscalation(
      row.team,
      row.exceptionId,
      row,
      next
        ? { step: next.step, round: next.round, state: 'active', dueAt: base + next.delayMs }
        : { step: row.step, round: row.round, state: 'done', dueAt: null },
      now,
      write.fence,
    );
  };

  return {
    async start(term) {
      if (running) return;
      running = true;
      write = term ?? UNFENCED;
      opened = [];
      cursor = deps.clock.now() - lookbackMs;
      await kick();
      schedulePoll();
    },
    async stop() {
      running = false;
      opened = [];
      poll?.cancel();
      timer?.cancel();
      timerAt = Number.POSITIVE_INFINITY;
      await working;
    },
    exceptionOpened(team, id, outcome) {
      opened.push({ team, id, reopened: outcome === 'reopened' });
      void kick();
    },
    async idle() {
      while (working) await working;
    },
  };
}

/** An exception escalation is for: open and nobody has acknowledged it. */
function waiting(view: ExceptionView): boolean {
  return view.state === 'open' && view.acknowledgedAt === undefined;
}
