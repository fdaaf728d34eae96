import type { EventRecorder } from '@gantry/controllers';
import { actuationOf, type ChangeStatus } from '@gantry/model';
import type { StoredJournalEntry } from '@gantry/store';
import type { ChangeActuators } from './actuator.ts';
import { CHANGE_CONTROLLER_ACTOR, ChangeEventReason } from './change-reasons.ts';
import { blockedCondition } from './change-status.ts';
import type { ChangeObject } from './gates.ts';
import { StepType, type ChangeState } from './journal.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The Gantry event of a journaled step: regarding the Change, or for an entity's outcome the entity itself. */
export function recordStep(
  recorder: EventRecorder,
  actuators: ChangeActuators,
  change: ChangeObject,
  state: ChangeState,
  entry: StoredJournalEntry,
): void {
  const team = change.metadata.team ?? '';
  const name = change.metadata.name;
  const regarding = { kind: 'Change', name, team };
  const record = (
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    actor = CHANGE_CONTROLLER_ACTOR,
  ) => recorder.record({ type, reason, message, regarding, actor });
  const data = entry.data;
  const batch = entry.batch !== undefined ? state.batches[entry.batch] : undefined;
  switch (entry.type as StepType) {
    case StepType.Started:
      record(
        'Normal',
        ChangeEventReason.ChangeStarted,
        `${state.targets?.length ?? 0} target(s) in ${state.batches.length} batch(es)`,
      );
      break;
    case StepType.Failed:
      record('Warning', ChangeEventReason.ChangeFailed, `${String(data.reason)}: ${String(data.message)}`);
      break;
    case StepType.BatchStarted:
      record(
        'Normal',
        ChangeEventReason.BatchStarted,
        `batch ${entry.batch}: ${batch?.entities.length ?? 0} entit(ies)`,
      );
      break;
    case StepType.EntityDone: {
      const actuator = actuators[actuationOf(change.spec) ?? 'nodeOperation'];
      const subject = actuator?.subject(team, entry.entity ?? '') ?? regarding;
      const ok = data.status === 'Succeeded';
      recorder.record({
        type: ok ? 'Normal' : 'Warning',
        reason: ok ? ChangeEventReason.EntityChanged : ChangeEventReason.EntityChangeFailed,
        message: `change ${name} batch ${entry.batch}: ${String(data.message || data.status)}`,
        regarding: subject,
        actor: CHANGE_CONTROLLER_ACTOR,
      });
      break;
    }
    case StepType.BatchObserving:
      record(
        'Normal',
        ChangeEventReason.BatchObserving,
        `batch ${entry.batch} applied; observing for ${String(data.bake)} until ${iso(Number(data.observeUntil))}`,
      );
      break;
    case StepType.BatchCompleted:
      record('Normal', ChangeEventReason.BatchCompleted, `batch ${entry.batch} completed`);
      break;
    case StepType.Paused:
      record('Warning', ChangeEventReason.ChangePaused, String(data.reason), String(data.actor));
      break;
    case StepType.Resumed:
      record('Normal', ChangeEventReason.ChangeResumed, String(data.reason), String(data.actor));
      break;
    case StepType.Aborted:
      record('Warning', ChangeEventReason.ChangeAborted, String(data.reason), String(data.actor));
      break;
    case StepType.Succeeded:
      record('Normal', ChangeEventReason.ChangeSucceeded, `${state.targets?.length ?? 0} target(s) changed`);
      break;
    case StepType.GateEvaluated: {
      const passed = data.verdict === 'Passed' || data.verdict === 'Ignored';
      record(
        passed ? 'Normal' : 'Warning',
        passed ? ChangeEventReason.GatePassed : ChangeEventReason.GateFailed,
        `batch ${entry.batch} gate ${String(data.gate)} ${String(data.verdict)}: ${String(data.message)}`,
      );
      break;
    }
    case StepType.ApprovalDecided: {
      const approved = data.decision === 'Approved';
      record(
        approved ? 'Normal' : 'Warning',
        approved ? ChangeEventReason.BatchApproved : ChangeEventReason.BatchRejected,
        `batch ${entry.batch}: ${String(data.reason)}`,
        String(data.actor),
      );
      break;
    }
    case StepType.ExceptionOpened:
      record(
        'Warning',
        ChangeEventReason.ChangeExceptionOpened,
        `exception ${String(data.exceptionId)}: ${String(data.title)}`,
      );
      break;
    case StepType.ExceptionPaused:
      record('Warning', ChangeEventReason.ChangePausedByException, String(data.reason), String(data.actor));
      break;
    case StepType.RollbackStarted:
      record('Warning', ChangeEventReason.RollbackStarted, String(data.reason), String(data.actor));
      break;
    case StepType.RollbackEntityDone: {
      const actuator = actuators[actuationOf(change.spec) ?? 'nodeOperation'];
      const ok = data.status === 'Succeeded';
      recorder.record({
        type: ok ? 'Normal' : 'Warning',
        reason: ok ? ChangeEventReason.EntityUndone : ChangeEventReason.EntityChangeFailed,
        message: `change ${name} rollback of batch ${entry.batch}: ${String(data.message || data.status)}`,
        regarding: actuator?.subject(team, entry.entity ?? '') ?? regarding,
        actor: CHANGE_CONTROLLER_ACTOR,
      });
      break;
    }
    case StepType.RollbackBatchCompleted:
      record('Normal', ChangeEventReason.RollbackBatchCompleted, `batch ${entry.batch} undone and observed`);
      break;
    case StepType.RolledBack:
      record('Warning', ChangeEventReason.ChangeRolledBack, 'every batch done so far was undone');
      break;
    default:
      break;
  }
}

/** `ChangeBlocked` when something starts holding the change, or something else does. */
export function recordBlocked(recorder: EventRecorder, change: ChangeObject, status: ChangeStatus): void {
  const team = change.metadata.team ?? '';
  const name = change.metadata.name;
  const now = blockedCondition(status);
  const before = blockedCondition(change.status);
  if (!now || (before && before.reason === now.reason)) return;
  recorder.record({
    type: 'Normal',
    reason: ChangeEventReason.ChangeBlocked,
    message: `${now.reason}: ${now.message}`,
    regarding: { kind: 'Change', name, team },
    actor: CHANGE_CONTROLLER_ACTOR,
  });
}
