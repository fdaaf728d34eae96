import type { ALERT_SEVERITIES } from '@gantry/model';
import { type AlertRuleCelSubject, type AlertRuleSpec, type ErrorDetail } from '@gantry/model';
import type { CelEngine, CelProgram } from '@gantry/delivery';
import { parseRuleDuration } from './duration.ts';
import { compileRuleTemplates, type RuleTemplates } from './templates.ts';

/** Which kind a rule is: a team's own, or an administrator's evaluated for every team. */
export type RuleScope = { kind: 'AlertRule'; team: string } | { kind: 'GlobalAlertRule' };

export type RuleQuery =
  | { kind: 'promql'; expr: string; source: { team: string; name: string } }
  | { kind: 'cel'; over: AlertRuleCelSubject; condition: CelProgram; value?: CelProgram };

/** A rule's spec checked and compiled once per generation: what every evaluation uses. */
export interface CompiledRule {
  query: RuleQuery;
  labels: RuleTemplates;
  annotations: RuleTemplates;
  intervalMs: number;
  forMs: number;
  keepFiringForMs: number;
  severity: (typeof ALERT_SEVERITIES)[number];
  maxSeries: number;
}

export type RuleCompile = { ok: true; rule: CompiledRule } | { ok: false; errors: ErrorDetail[] };

/** Labels an alert rule cannot set: Gantry sets them. */
const RESERVED_LABELS = ['alertname'];

/** The shortest interval: a rule is a query against a server, not a busy loop. */
export const MIN_RULE_INTERVAL_MS = 1000;

/**
 * Checks what the schema cannot and compiles the rule: exactly one of `promql` and `cel`, the CEL
 * condition and value, every label and annotation template, the durations, the source reference.
 * PromQL itself is not parsed here (Gantry has no PromQL parser); Prometheus's refusal shows on the
 * rule as `Evaluating=False QueryFailed` at the first evaluation.
 */
export function compileRule(engine: CelEngine, spec: AlertRuleSpec, scope: RuleScope): RuleCompile {
  const errors: ErrorDetail[] = [];
  let query: RuleQuery | undefined;
  if ((spec.promql === undefined) === (spec.cel === undefined)) {
    errors.push({ path: '/spec', message: 'set exactly one of promql and cel' });
  } else if (spec.promql) {
    const { expr, source } = spec.promql;
    if (expr.trim() === '') errors.push({ path: '/spec/promql/expr', message: 'must not be blank' });
    let sourceTeam: string | undefined;
    if (scope.kind === 'AlertRule') {
      if (source.team !== undefined && source.team !== scope.team)
        errors.push({
          path: '/spec/promql/source/team',
          message: "an AlertRule uses its own team's metrics sources; leave team out",
        });
      sourceTeam = scope.team;
    } else if (source.team === undefined) {
      errors.push({
        path: '/spec/promql/source/team',
        message: 'a GlobalAlertRule names the team of its MetricsSource',
      });
    } else sourceTeam = source.team;
    if (sourceTeam !== undefined)
      query = { kind: 'promql', expr, source: { team: sourceTeam, name: source.name } };
  } else if (spec.cel) {
    const condition = engine.compile(spec.cel.condition);
    if (!condition.ok) errors.push({ path: '/spec/cel/condition', message: condition.message });
    let value: CelProgram | undefined;
    if (spec.cel.value !== undefined) {
      const compiled = engine.compile(spec.cel.value);
      if (!compiled.ok) errors.push({ path: '/spec/cel/value', message: compiled.message });
      else value = compiled.program;
    }
    if (condition.ok)
      query = { kind: 'cel', over: spec.cel.over, condition: condition.program, ...(value ? { value } : {}) };
  }

  for (const name of RESERVED_LABELS)
    if (spec.labels?.[name] !== undefined)
      errors.push({ path: `/spec/labels/${name}`, message: `${name} is set by Gantry (the rule's name)` });
  if (scope.kind === 'AlertRule' && spec.labels?.team !== undefined)
    errors.push({ path: '/spec/labels/team', message: "an AlertRule's alerts belong to its team" });
  const labels = compileRuleTemplates(engine, spec.labels, '/spec/labels');
  if (!labels.ok) errors.push(...labels.errors);
  const annotations = compileRuleTemplates(engine, spec.annotations, '/spec/annotations');
  if (!annotations.ok) errors.push(...annotations.errors);

  const intervalMs = parseRuleDuration(spec.interval);
  if (intervalMs < MIN_RULE_INTERVAL_MS)
    errors.push({ path: '/spec/interval', message: 'must be at least 1s' });

  if (errors.length > 0 || !query || !labels.ok || !annotations.ok) return { ok: false, errors };
  return {
    ok: true,
    rule: {
      query,
      labels: labels.templates,
      annotations: annotations.templates,
      intervalMs,
      forMs: parseRuleDuration(spec.for),
      keepFiringForMs: parseRuleDuration(spec.keepFiringFor),
      severity: spec.severity,
      maxSeries: spec.maxSeries,
    },
  };
}
