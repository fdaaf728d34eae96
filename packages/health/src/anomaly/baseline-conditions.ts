/** The condition a Baseline's status carries. */
export const BaselineCondition = {
  /** Whether the last evaluation ran to its end: range read, series checked, risks reported. */
  Evaluating: 'Evaluating',
} as const;

/** Reasons of `Evaluating` (docs/reference/kinds/baseline.md lists them); warning events use the same. */
export const BaselineReason = {
  /** True: new points were read and checked, and the deviating series reported as risks. */
  Evaluated: 'Evaluated',
  /** Prometheus refused or could not run the range query (bad PromQL, an execution error). */
  QueryFailed: 'QueryFailed',
  /** No answer, a timeout, a 5xx or a body that is not Prometheus's API. */
  SourceUnreachable: 'SourceUnreachable',
  /** Prometheus answered 401 or 403: the credentials are wrong. */
  SourceUnauthorized: 'SourceUnauthorized',
  /** The MetricsSource the Baseline names does not exist in its team. */
  SourceNotFound: 'SourceNotFound',
  /** The secret (or its key) the MetricsSource names does not exist. */
  SecretMissing: 'SecretMissing',
  /** More series than `maxSeries`: the first ones by label set were kept, the rest dropped. */
  TooManySeries: 'TooManySeries',
  /** The stored spec fails a check (written before a stricter one); the message says where. */
  InvalidSpec: 'InvalidSpec',
  /** The risk sink refused the observations; every series is reported again next evaluation. */
  SinkFailed: 'SinkFailed',
} as const;
export type BaselineReason = (typeof BaselineReason)[keyof typeof BaselineReason];

/** Events recorded on the Baseline besides the failure reasons above (recorded as warnings). */
export const BaselineEventReason = {
  /** The Baseline evaluates again after failing. */
  EvaluationRecovered: 'EvaluationRecovered',
} as const;
