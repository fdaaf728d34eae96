/**
 * Self-healing on the wire (docs/adr/0032-self-healing.md, 0037-healing-api-and-console.md): the kinds'
 * specs, healing runs, approvals, the scorecard, statistics and the dry run, as the model declares them,
 * imported as types only.
 */
export type {
  DiagnosisTreeSpec,
  HealingBuiltinTreeList,
  HealingDiagnosis,
  HealingDryRunMatch,
  HealingDryRunRequest,
  HealingDryRunResult,
  HealingPolicySpec,
  HealingRun,
  HealingRunList,
  HealingRunPhase,
  HealingRunSummary,
  HealingScorecard,
  HealingScorecardList,
  HealingStats,
} from '@gantry/model';
