/**
 * Risks and inspection runs on the wire (docs/reference/risks.md), as the model declares them
 * (packages/model/src/api/risks.ts, kinds/inspection.ts), imported as types only.
 */
export type {
  InspectionCheck,
  InspectionCheckOutcome,
  InspectionCheckResult,
  InspectionDiffEntry,
  InspectionFinding,
  InspectionRun,
  InspectionRunDiff,
  InspectionRunPage,
  InspectionRunState,
  InspectionRunWithResults,
  InspectionSpec,
  InspectionStatus,
  InspectionTemplateList,
  Risk,
  RiskEntity,
  RiskList,
  RiskSourceRef,
  RiskState,
} from '@gantry/model';
