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
  completedAt?: string;
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
  ended?: { type: 'Succeeded' | 'Failed' | 'Aborted'; at: string; reason?: string; message?: string };
  failure?: { reason: string; message: string };
  entries: number;
}

export function emptyState(): ChangeState {
  return { nextSeq: 0, keys: new Set(), batches: [], batchStates: [], entities: new Map(), entries: 0 };
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
        state.batchStates = data.batches.map(() => ({}));
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
        if (state.batchStates[batch]) state.batchStates[batch].observeUntil = Number(entry.data.observeUntil);
        break;
      case StepType.BatchCompleted:
        if (state.batchStates[batch]) state.batchStates[batch].completedAt = entry.at;
        break;
      case StepType.Paused:
        state.paused = note(entry);
        break;
      case StepType.Resumed:
        state.paused = undefined;
        // Entities that failed are tried again, as a new attempt with keys of its own.
        for (const [name, current] of state.entities)
          if (current.state === 'Failed')
            state.entities.set(name, {
              batch: current.batch,
              attempt: current.attempt + 1,
              state: 'Pending',
            });
        break;
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

/** The first batch not completed, or undefined when all are. */
export function currentBatch(state: ChangeState): number | undefined {
  const index = state.batchStates.findIndex((batch) => batch.completedAt === undefined);
  return index < 0 ? undefined : index;
}
