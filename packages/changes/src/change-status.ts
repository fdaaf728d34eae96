import { setCondition, type ConditionUpdate } from '@gantry/controllers';
import type {
  ChangeApproval,
  ChangeBatchStatus,
  ChangeRollback,
  ChangeStatus,
  Condition,
} from '@gantry/model';
import { ChangeCondition, ChangeReason } from './change-reasons.ts';
import type { Block, ChangeObject } from './gates.ts';
import { currentBatch, currentRollbackBatch, type BatchState, type ChangeState } from './journal.ts';

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
      : state.rollback
        ? 'RollingBack'
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
    status:
      phase === 'Progressing' || phase === 'Observing' || phase === 'Pending' || phase === 'RollingBack'
        ? 'True'
        : 'False',
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
    const batchState: BatchState = state.batchStates[batch.index] ?? { gates: [] };
    // Counted in one pass, with no object per entity: a status is projected at every look at a change.
    let applied = 0;
    const failed: { entity: string; message: string }[] = [];
    for (const name of batch.entities) {
      const entity = state.entities.get(name)!;
      if (entity.state === 'Succeeded') applied += 1;
      else if (entity.state === 'Failed')
        failed.push({ entity: name, message: entity.message ?? entity.reason ?? 'failed' });
    }
    const approval: ChangeApproval | undefined = batchState.approval
      ? {
          state: batchState.approval.decision,
          actor: batchState.approval.actor,
          reason: batchState.approval.reason,
          at: batchState.approval.at,
        }
      : batch.approval
        ? { state: 'Waiting' }
        : undefined;
    return {
      index: batch.index,
      phase: batchState.completedAt
        ? 'Completed'
        : batchState.observeUntil !== undefined
          ? 'Observing'
          : batchState.startedAt
            ? 'Applying'
            : batch.index === index && approval?.state === 'Waiting' && !state.ended
              ? 'AwaitingApproval'
              : 'Pending',
      entities: batch.entities,
      applied,
      failed,
      bake: batch.bake,
      ...(batchState.startedAt ? { startedAt: batchState.startedAt } : {}),
      ...(batchState.observeUntil !== undefined ? { observeUntil: iso(batchState.observeUntil) } : {}),
      ...(batchState.completedAt ? { completedAt: batchState.completedAt } : {}),
      ...(batchState.gates.length > 0 ? { gates: batchState.gates } : {}),
      ...(approval ? { approval } : {}),
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
    ...(state.rollback ? { rollback: rollbackStatus(state) } : {}),
    ...(state.exceptions.length > 0 ? { exceptions: state.exceptions } : {}),
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
    case 'RolledBack':
      return {
        reason: ChangeReason.RolledBack,
        message: `rolled back (${state.rollback?.cause}): ${state.rollback?.reason}`,
      };
    case 'RollingBack': {
      const item = currentRollbackBatch(state);
      return {
        reason: block?.reason ?? ChangeReason.RollingBack,
        message: `rolling back (${state.rollback?.cause}: ${state.rollback?.reason}); ${
          item ? `undoing batch ${item.index}` : 'every batch undone'
        }${block ? `; held: ${block.message}` : ''}`,
      };
    }
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

function rollbackStatus(state: ChangeState): ChangeRollback {
  const rollback = state.rollback!;
  const current = currentRollbackBatch(state);
  return {
    phase: state.ended?.type === 'RolledBack' ? 'RolledBack' : 'RollingBack',
    cause: rollback.cause,
    actor: rollback.actor,
    reason: rollback.reason,
    startedAt: rollback.startedAt,
    ...(state.ended?.type === 'RolledBack' ? { completedAt: state.ended.at } : {}),
    batches: rollback.order.map((item) => {
      const progress = rollback.batches.get(item.index) ?? {};
      const entities = item.entities.map((name) => ({ name, ...rollback.entities.get(name)! }));
      return {
        index: item.index,
        phase: progress.completedAt
          ? 'Completed'
          : progress.observeUntil !== undefined
            ? 'Observing'
            : current?.index === item.index
              ? 'Undoing'
              : 'Pending',
        entities: item.entities,
        undone: entities.filter((entity) => entity.state === 'Succeeded').length,
        failed: entities
          .filter((entity) => entity.state === 'Failed')
          .map((entity) => ({ entity: entity.name, message: entity.message ?? 'failed' })),
        ...(progress.observeUntil !== undefined ? { observeUntil: iso(progress.observeUntil) } : {}),
        ...(progress.completedAt ? { completedAt: progress.completedAt } : {}),
      };
    }),
  };
}
