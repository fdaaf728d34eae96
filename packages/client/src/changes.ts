/**
 * Changes on the wire (docs/adr/0026-change-engine.md, 0031-change-console-and-drift.md): the Change and
 * ChangeWindow specs and statuses, the action, journal and stop-the-line bodies and the window calendar,
 * as the model declares them, imported as types only.
 */
export type {
  CalendarInterval,
  ChangeActionName,
  ChangeActionRecord,
  ChangeActionRequest,
  ChangeActorNote,
  ChangeBatchStatus,
  ChangeCalendar,
  ChangeJournal,
  ChangeJournalEntry,
  ChangePhase,
  ChangeSpec,
  ChangeStatus,
  ChangeWindowCalendar,
  ChangeWindowOccurrence,
  ChangeWindowSpec,
  LineStop,
  LineStopList,
} from '@gantry/model';
export {
  CHANGE_ACTUATIONS,
  actuationOf,
  changeSummary,
  type ChangeActuation,
} from '@gantry/model/wire-constants';
