import type { ChangeGateResult } from '@gantry/model';
import type { StoredJournalEntry } from '@gantry/store';
import type { PlannedBatch } from './plan.ts';

/** The kinds of journal steps (ADR 0026); each has its idempotency key from `JournalKeys`. */
export const StepType = {
  /** Targets resolved and cut into batches, frozen: `{targets, batches}`. */
  Started: 'Started',
  BatchStarted: 'BatchStarted',
  /** Written before the actuator is called: the intent. */
  EntityStarted: 'EntityStarted',
  /** The actuator answered Running: `{handle}`. */
  EntityRunning: 'EntityRunning',
  /** Written after: `{status: Succeeded|Failed, reason?, message}`. */
  EntityDone: 'EntityDone',
  /** Every entity of the batch succeeded; observe until `{observeUntil}` (epoch ms). */
  BatchObserving: 'BatchObserving',
  BatchCompleted: 'BatchCompleted',
  Paused: 'Paused',
  Resumed: 'Resumed',
  Aborted: 'Aborted',
  Succeeded: 'Succeeded',
  /** Could not start: `{reason, message}` (no targets, a plan that does not cover them). */
  Failed: 'Failed',
  /** One gate evaluated for a batch: a `ChangeGateResult` (query as sent, values seen, verdict). */
  GateEvaluated: 'GateEvaluated',
  /** A batch's approval or rejection (from a request): `{actor, reason, decision}`. */
  ApprovalDecided: 'ApprovalDecided',
  /** The Alert policy opened (or joined) an exception for a failure: `{exceptionId, title}`. */
  ExceptionOpened: 'ExceptionOpened',
  /** An exception opened on the change's entities paused it: `{exceptionId, title, actor, reason}`. */
  ExceptionPaused: 'ExceptionPaused',
  /** `{actor, reason, cause, batches}`: the batches to undo, the last first. */
  RollbackStarted: 'RollbackStarted',
  RollbackEntityStarted: 'RollbackEntityStarted',
  RollbackEntityRunning: 'RollbackEntityRunning',
  RollbackEntityDone: 'RollbackEntityDone',
  RollbackObserving: 'RollbackObserving',
  RollbackBatchCompleted: 'RollbackBatchCompleted',
  /** Every batch undone and observed again: the change ended. */
  RolledBack: 'RolledBack',
} as const;
export type StepType = (typeof StepType)[keyof typeof StepType];

export const JournalKeys = {
  start: () => 'start',
  batchStarted: (batch: number) => `batch/${batch}/started`,
  entity: (batch: number, entity: string, attempt: number, step: 'started' | 'running' | 'done') =>
    `batch/${batch}/entity/${entity}/attempt/${attempt}/${step}`,
  batchObserving: (batch: number) => `batch/${batch}/observing`,
  batchCompleted: (batch: number) => `batch/${batch}/completed`,
  request: (id: string) => `request/${id}`,
  failure: (batch: number, entity: string, attempt: number) =>
    `batch/${batch}/entity/${entity}/attempt/${attempt}/policy`,
  /** A gate's evaluation in a round (each resume starts a new round, so a paused gate is evaluated again). */
  gate: (batch: number, gate: string, round: number) => `batch/${batch}/gate/${gate}/round/${round}`,
  /** What the failure policy did about a failed gate; `/alert` the exception the Alert policy opened. */
  gatePolicy: (batch: number, gate: string, round: number) =>
    `batch/${batch}/gate/${gate}/round/${round}/policy`,
  alert: (failureKey: string) => `${failureKey}/alert`,
  approvalPolicy: (batch: number, round: number) => `batch/${batch}/approval/round/${round}/policy`,
  exception: (id: string) => `exception/${id}`,
  rollbackStarted: () => 'rollback/started',
  rollbackEntity: (batch: number, entity: string, round: number, step: 'started' | 'running' | 'done') =>
    `rollback/batch/${batch}/entity/${entity}/round/${round}/${step}`,
  rollbackPolicy: (batch: number, entity: string, round: number) =>
    `rollback/batch/${batch}/entity/${entity}/round/${round}/policy`,
  rollbackObserving: (batch: number) => `rollback/batch/${batch}/observing`,
  rollbackCompleted: (batch: number) => `rollback/batch/${batch}/completed`,
  end: () => 'end',
} as const;

export interface ActorNote {
  actor: string;
  reason: string;
  at: string;
}

export interface EntityState {
  batch: number;
  attempt: number;
  /** Pending: not tried in this attempt. Started: intent journaled, outcome not (in doubt after a crash). */
  state: 'Pending' | 'Started' | 'Running' | 'Succeeded' | 'Failed';
  handle?: string;
  message?: string;
  reason?: string;
}

export interface BatchState {
  startedAt?: string;
  observeUntil?: number;
  /** When the observation began (the BatchObserving step), for the gates' query range. */
  observingFrom?: number;
  completedAt?: string;
  gates: ChangeGateResult[];
  approval?: { decision: 'Approved' | 'Rejected'; actor: string; reason: string; at: string };
}

export interface RollbackEntityState {
  round: number;
  state: 'Pending' | 'Started' | 'Running' | 'Succeeded' | 'Failed';
  handle?: string;
  message?: string;
}

export interface RollbackState {
  actor: string;
  reason: string;
  cause: string;
  startedAt: string;
  /** Batch indices to undo, in order (the last batch first), and the entities of each. */
  order: { index: number; entities: string[] }[];
  entities: Map<string, RollbackEntityState>;
  batches: Map<number, { observeUntil?: number; completedAt?: string }>;
}

export interface LinkedException {
  id: string;
  link: 'PausedBy' | 'OpenedBy';
  at: string;
  batch?: number;
  title?: string;
}

/** A change as its journal says it is: a fold of the steps in order, nothing else. */
export interface ChangeState {
  nextSeq: number;
  keys: Set<string>;
  startedAt?: string;
  targets?: string[];
  batches: PlannedBatch[];
  batchStates: BatchState[];
  entities: Map<string, EntityState>;
  paused?: ActorNote;
  aborted?: ActorNote;
  ended?: {
    type: 'Succeeded' | 'Failed' | 'Aborted' | 'RolledBack';
    at: string;
    reason?: string;
    message?: string;
  };
  failure?: { reason: string; message: string };
  /** Resumes so far: each starts a new round of gate evaluations and rollback attempts. */
  round: number;
  /** When the last resume was journaled (ms): the health gate looks for signals after it. */
  resumedAt?: number;
  rollback?: RollbackState;
  exceptions: LinkedException[];
  entries: number;
}

export function emptyState(): ChangeState {
  return {
    nextSeq: 0,
    keys: new Set(),
    batches: [],
    batchStates: [],
    entities: new Map(),
    round: 0,
    exceptions: [],
    entries: 0,
  };
}

function note(entry: StoredJournalEntry): ActorNote {
  return { actor: String(entry.data.actor ?? ''), reason: String(entry.data.reason ?? ''), at: entry.at };
}

/** Folds `entries` (in order, after what `state` has seen) into `state`, in place. */
export function fold(state: ChangeState, entries: readonly StoredJournalEntry[]): ChangeState {
  for (const entry of entries) {
    state.nextSeq = entry.seq + 1;
    state.keys.add(entry.key);
    state.entries += 1;
    const batch = entry.batch ?? -1;
    const entity = entry.entity ?? '';
    switch (entry.type as StepType) {
      case StepType.Started: {
        const data = entry.data as { targets: string[]; batches: PlannedBatch[] };
        state.startedAt = entry.at;
        state.targets = data.targets;
        state.batches = data.batches;
        state.batchStates = data.batches.map(() => ({ gates: [] }));
        for (const planned of data.batches)
          for (const name of planned.entities)
            state.entities.set(name, { batch: planned.index, attempt: 1, state: 'Pending' });
        break;
      }
      case StepType.BatchStarted:
        if (state.batchStates[batch]) state.batchStates[batch].startedAt = entry.at;
        break;
      case StepType.EntityStarted:
      case StepType.EntityRunning:
      case StepType.EntityDone: {
        const current = state.entities.get(entity);
        if (!current) break;
        const attempt = Number(entry.data.attempt ?? current.attempt);
        if (entry.type === StepType.EntityStarted) {
          state.entities.set(entity, { batch: current.batch, attempt, state: 'Started' });
        } else if (entry.type === StepType.EntityRunning) {
          state.entities.set(entity, {
            ...current,
            attempt,
            state: 'Running',
            handle: String(entry.data.handle),
          });
        } else {
          const succeeded = entry.data.status === 'Succeeded';
          state.entities.set(entity, {
            batch: current.batch,
            attempt,
            state: succeeded ? 'Succeeded' : 'Failed',
            ...(entry.data.message !== undefined ? { message: String(entry.data.message) } : {}),
            ...(entry.data.reason !== undefined ? { reason: String(entry.data.reason) } : {}),
          });
        }
        break;
      }
      case StepType.BatchObserving:
        if (state.batchStates[batch]) {
          state.batchStates[batch].observeUntil = Number(entry.data.observeUntil);
          state.batchStates[batch].observingFrom = Date.parse(entry.at);
        }
        break;
      case StepType.GateEvaluated:
        state.batchStates[batch]?.gates.push(entry.data as unknown as ChangeGateResult);
        break;
      case StepType.ApprovalDecided:
        if (state.batchStates[batch])
          state.batchStates[batch].approval = {
            decision: entry.data.decision === 'Rejected' ? 'Rejected' : 'Approved',
            ...note(entry),
          };
        break;
      case StepType.ExceptionOpened:
      case StepType.ExceptionPaused: {
        const paused = entry.type === StepType.ExceptionPaused;
        state.exceptions.push({
          id: String(entry.data.exceptionId),
          link: paused ? 'PausedBy' : 'OpenedBy',
          at: entry.at,
          ...(entry.batch !== undefined ? { batch: entry.batch } : {}),
          ...(entry.data.title !== undefined ? { title: String(entry.data.title) } : {}),
        });
        if (paused) state.paused = note(entry);
        break;
      }
      case StepType.RollbackStarted: {
        const order = entry.data.batches as { index: number; entities: string[] }[];
        state.paused = undefined;
        state.rollback = {
          ...note(entry),
          cause: String(entry.data.cause ?? ''),
          startedAt: entry.at,
          order,
          entities: new Map(
            order.flatMap((item) =>
              item.entities.map((name) => [name, { round: state.round, state: 'Pending' as const }]),
            ),
          ),
          batches: new Map(order.map((item) => [item.index, {}])),
        };
        break;
      }
      case StepType.RollbackEntityStarted:
      case StepType.RollbackEntityRunning:
      case StepType.RollbackEntityDone: {
        const current = state.rollback?.entities.get(entity);
        if (!state.rollback || !current) break;
        const round = Number(entry.data.round ?? current.round);
        state.rollback.entities.set(
          entity,
          entry.type === StepType.RollbackEntityStarted
            ? { round, state: 'Started' }
            : entry.type === StepType.RollbackEntityRunning
              ? { round, state: 'Running', handle: String(entry.data.handle) }
              : {
                  round,
                  state: entry.data.status === 'Succeeded' ? 'Succeeded' : 'Failed',
                  ...(entry.data.message !== undefined ? { message: String(entry.data.message) } : {}),
                },
        );
        break;
      }
      case StepType.RollbackObserving: {
        const item = state.rollback?.batches.get(batch);
        if (item) item.observeUntil = Number(entry.data.observeUntil);
        break;
      }
      case StepType.RollbackBatchCompleted: {
        const item = state.rollback?.batches.get(batch);
        if (item) item.completedAt = entry.at;
        break;
      }
      case StepType.RolledBack:
        state.ended = { type: 'RolledBack', at: entry.at };
        break;
      case StepType.BatchCompleted:
        if (state.batchStates[batch]) state.batchStates[batch].completedAt = entry.at;
        break;
      case StepType.Paused:
        state.paused = note(entry);
        break;
      case StepType.Resumed: {
        state.paused = undefined;
        state.round += 1;
        state.resumedAt = Date.parse(entry.at);
        // A batch paused at its gates is observed again, from now, and its gates read the new window.
        const index = currentBatch(state);
        const observed = index !== undefined ? state.batchStates[index] : undefined;
        if (observed?.observeUntil !== undefined) {
          observed.observingFrom = state.resumedAt;
          observed.observeUntil = state.resumedAt + (state.batches[index!]?.bakeMs ?? 0);
        }
        // A rejected batch waits for an approval again.
        if (observed?.approval?.decision === 'Rejected') observed.approval = undefined;
        if (state.rollback)
          for (const [name, current] of state.rollback.entities)
            if (current.state === 'Failed')
              state.rollback.entities.set(name, { round: state.round, state: 'Pending' });
        // Entities that failed are tried again, as a new attempt with keys of its own.
        for (const [name, current] of state.entities)
          if (current.state === 'Failed')
            state.entities.set(name, {
              batch: current.batch,
              attempt: current.attempt + 1,
              state: 'Pending',
            });
        break;
      }
      case StepType.Aborted:
        state.aborted = note(entry);
        state.paused = undefined;
        state.ended = { type: 'Aborted', at: entry.at, reason: note(entry).reason };
        break;
      case StepType.Succeeded:
        state.ended = { type: 'Succeeded', at: entry.at };
        break;
      case StepType.Failed:
        state.ended = {
          type: 'Failed',
          at: entry.at,
          reason: String(entry.data.reason ?? ''),
          message: String(entry.data.message ?? ''),
        };
        break;
    }
  }
  return state;
}

/** The batch the rollback is at: the first in its order not completed; undefined when all are. */
export function currentRollbackBatch(state: ChangeState): { index: number; entities: string[] } | undefined {
  return state.rollback?.order.find((item) => !state.rollback!.batches.get(item.index)?.completedAt);
}

/** The first batch not completed, or undefined when all are. */
export function currentBatch(state: ChangeState): number | undefined {
  const index = state.batchStates.findIndex((batch) => batch.completedAt === undefined);
  return index < 0 ? undefined : index;
}
