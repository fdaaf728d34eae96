// The public surface of Gantry's alert rules; the stages and helpers stay inside the folder, so that the
// other parts of @gantry/alerts (ingest, dispatch, notifications) keep their own names free.
export { MemoryAlertSink, type AlertSink, type RuleAlert } from './alert-sink.ts';
export { AlertRuleCondition, AlertRuleEventReason, AlertRuleReason } from './alert-rule-conditions.ts';
export { registerAlertRuleAdmission } from './alert-rule-admission.ts';
export {
  createAlertRuleController,
  type AlertRuleControllerDeps,
  type AlertRuleControllerOptions,
  type AlertRuleKind,
} from './alert-rule-controller.ts';
export type { RuleSecretReader } from './collect-stage.ts';
export { parseRuleDuration as parsePromDuration } from './duration.ts';
export {
  resolveMetricsSource,
  type MetricsSecretReader,
  type MetricsSourceOutcome,
  type MetricsSourceProblem,
} from './metrics-source.ts';
export { createGantryData, type GantryData, type RuleSubject } from './gantry-data.ts';
export {
  callPrometheusApi,
  createPrometheusQuerier,
  type PrometheusApiOutcome,
  type PrometheusFailureReason,
  type PrometheusQuerier,
  type PromQueryOutcome,
  type PromSample,
  type ResolvedMetricsSource,
} from './prometheus-client.ts';
export type { SeriesPhase, SeriesState } from './series-state.ts';
