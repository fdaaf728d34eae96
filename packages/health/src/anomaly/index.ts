// Anomaly detection (ADR 0021): Baselines over metric series, their detectors, and the evaluator that
// reports sustained deviations as risks.
export type { Band, BandEstimator } from './band.ts';
export { EwmaBand } from './ewma-band.ts';
export { MadBand, MAD_TO_SIGMA } from './mad-band.ts';
export { SeasonalBand, type SeasonalBandOptions } from './seasonal-band.ts';
export {
  defaultDetectorOptions,
  SENSITIVITY_DEVIATIONS,
  type BaselineAlgorithm,
  type DetectorOptions,
  type DeviationDirection,
  type Sensitivity,
} from './detector-options.ts';
export { SeriesMonitor, Verdict, type CheckedPoint } from './series-monitor.ts';
export { BaselineCondition, BaselineEventReason, BaselineReason } from './baseline-conditions.ts';
export { registerBaselineAdmission } from './baseline-admission.ts';
export { resolveBaseline, scoreOf, type ResolvedBaseline } from './baseline-spec.ts';
export {
  BASELINE_LEASE,
  BaselineEvaluator,
  type BaselineEvaluatorDeps,
  type BaselineEvaluatorOptions,
} from './baseline-evaluator.ts';
export {
  createPrometheusRangeQuerier,
  seriesKey,
  type PrometheusRangeQuerier,
  type RangeOutcome,
  type RangeSeries,
} from './prometheus-range.ts';
export type { MetricsSecretReader as BaselineSecretReader } from '@gantry/alerts';
export {
  createBaselineSeriesReader,
  type BaselineSeriesReader,
  type BaselineSeriesReaderDeps,
} from './series-view.ts';
export { MemoryRiskSink, type HeldRisk } from './memory-risk-sink.ts';
