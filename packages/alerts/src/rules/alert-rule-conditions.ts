/** The condition an alert rule's status carries. */
export const AlertRuleCondition = {
  /** Whether the last evaluation ran to its end: query or condition, templates, alerts posted. */
  Evaluating: 'Evaluating',
} as const;

/** Reasons of `Evaluating` (docs/reference/kinds/alertrule.md lists them); warning events use the same. */
export const AlertRuleReason = {
  /** True: the rule was evaluated and its alerts posted. */
  Evaluated: 'Evaluated',
  /** Prometheus refused or could not run the query (bad PromQL, a range vector, an execution error). */
  QueryFailed: 'QueryFailed',
  /** No answer, a timeout, a 5xx or a body that is not Prometheus's API. */
  SourceUnreachable: 'SourceUnreachable',
  /** Prometheus answered 401 or 403: the credentials are wrong. */
  SourceUnauthorized: 'SourceUnauthorized',
  /** The MetricsSource the rule names does not exist. */
  SourceNotFound: 'SourceNotFound',
  /** The secret (or its key) the MetricsSource names does not exist. */
  SecretMissing: 'SecretMissing',
  /** The CEL condition or value failed on an object (e.g. a field missing without `has()`). */
  ConditionFailed: 'ConditionFailed',
  /** More series than `maxSeries`: the first ones by label set were kept, the rest dropped. */
  TooManySeries: 'TooManySeries',
  /** The stored spec does not compile (written before a stricter check); the message says where. */
  InvalidRule: 'InvalidRule',
  /** The alert sink refused the alerts; they are posted again on the next evaluation. */
  PostFailed: 'PostFailed',
} as const;
export type AlertRuleReason = (typeof AlertRuleReason)[keyof typeof AlertRuleReason];

/** Events recorded on the rule (besides the failure reasons above, recorded as warnings). */
export const AlertRuleEventReason = {
  /** The rule evaluates again after failing. */
  EvaluationRecovered: 'EvaluationRecovered',
} as const;
