import { setCondition, type ConditionUpdate } from '@gantry/controllers';
import type { ChangeBatchStatus, ChangeStatus, Condition } from '@gantry/model';
import { ChangeCondition, ChangeReason } from './change-reasons.ts';
import type { Block, ChangeObject } from './gates.ts';
import { currentBatch, type ChangeState } from './journal.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The Blocked condition when it is True. */
export function blockedCondition(status: ChangeStatus | undefined): Condition | undefined {
  return status?.conditions?.find(
    (condition) => condition.type === ChangeCondition.Blocked && condition.status === 'True',
  );
}

/**
 * The status stage: the journal's fold (and what holds the change now) as the Change's status — phase,
 * message, batches as a timeline, who paused or aborted it, and the Progressing and Blocked conditions.
 * Never read back as truth: the journal is.
 */
export function projectStatus(
  change: ChangeObject,
  state: ChangeState,
  blocked: Block | undefined,
  now: number,
): ChangeStatus {
  const index = currentBatch(state);
  const observing = index !== undefined && state.batchStates[index]?.observeUntil !== undefined;
  const block = state.ended || state.paused ? undefined : blocked;
  const phase: ChangeStatus['phase'] = state.ended
    ? state.ended.type
    : state.paused
      ? 'Paused'
      : block
        ? 'Waiting'
        : !state.startedAt
          ? 'Pending'
          : observing
            ? 'Observing'
            : 'Progressing';
  const { reason, message } = explain(state, phase, index, block);
  const generation = change.metadata.generation;
  const previous = change.status?.conditions;
  let conditions: Condition[] | undefined = previous;
  const set = (update: Omit<ConditionUpdate, 'observedGeneration'>) =>
    (conditions = setCondition(conditions, { ...update, observedGeneration: generation }, now));
  set({
    type: ChangeCondition.Progressing,
    status: phase === 'Progressing' || phase === 'Observing' || phase === 'Pending' ? 'True' : 'False',
    reason,
    message,
  });
  set({
    type: ChangeCondition.Blocked,
    status: block ? 'True' : 'False',
    reason: block ? block.reason : ChangeReason.NotBlocked,
    message: block ? block.message : 'nothing holds the change',
  });
  const batches: ChangeBatchStatus[] = state.batches.map((batch) => {
    const batchState = state.batchStates[batch.index] ?? {};
    const entities = batch.entities.map((name) => ({ name, ...state.entities.get(name)! }));
    return {
      index: batch.index,
      phase: batchState.completedAt
        ? 'Completed'
        : batchState.observeUntil !== undefined
          ? 'Observing'
          : batchState.startedAt
            ? 'Applying'
            : 'Pending',
      entities: batch.entities,
      applied: entities.filter((entity) => entity.state === 'Succeeded').length,
      failed: entities
        .filter((entity) => entity.state === 'Failed')
        .map((entity) => ({ entity: entity.name, message: entity.message ?? entity.reason ?? 'failed' })),
      bake: batch.bake,
      ...(batchState.startedAt ? { startedAt: batchState.startedAt } : {}),
      ...(batchState.observeUntil !== undefined ? { observeUntil: iso(batchState.observeUntil) } : {}),
      ...(batchState.completedAt ? { completedAt: batchState.completedAt } : {}),
    };
  });
  return {
    observedGeneration: generation,
    phase,
    message,
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.ended ? { completedAt: state.ended.at } : {}),
    ...(state.targets ? { targetCount: state.targets.length } : {}),
    ...(index !== undefined && state.startedAt ? { currentBatch: index } : {}),
    ...(state.startedAt ? { batches } : {}),
    ...(block?.until !== undefined ? { waitingUntil: iso(block.until) } : {}),
    ...(state.paused ? { paused: state.paused } : {}),
    ...(state.aborted ? { aborted: state.aborted } : {}),
    journalEntries: state.entries,
    ...(conditions ? { conditions } : {}),
  };
}

function explain(
  state: ChangeState,
  phase: NonNullable<ChangeStatus['phase']>,
  index: number | undefined,
  block: Block | undefined,
): { reason: ChangeReason; message: string } {
  const count = state.batches.length;
  switch (phase) {
    case 'Succeeded':
      return {
        reason: ChangeReason.Succeeded,
        message: `all ${state.targets?.length ?? 0} target(s) changed in ${count} batch(es)`,
      };
    case 'Aborted':
      return {
        reason: ChangeReason.Aborted,
        message: `aborted by ${state.aborted?.actor}: ${state.aborted?.reason}`,
      };
    case 'Failed':
      return {
        reason: (state.ended?.reason as ChangeReason | undefined) ?? ChangeReason.NoTargets,
        message: state.ended?.message ?? 'failed',
      };
    case 'Paused':
      return {
        reason: ChangeReason.Paused,
        message: `paused by ${state.paused?.actor}: ${state.paused?.reason}`,
      };
    case 'Waiting':
      return { reason: block!.reason, message: block!.message };
    case 'Pending':
      return { reason: ChangeReason.Pending, message: 'not started' };
    case 'Observing': {
      const until = state.batchStates[index!]?.observeUntil ?? 0;
      return {
        reason: ChangeReason.Observing,
        message: `batch ${index! + 1} of ${count} observed until ${iso(until)}`,
      };
    }
    default:
      return { reason: ChangeReason.Applying, message: `applying batch ${(index ?? 0) + 1} of ${count}` };
  }
}
