import type { ResourceRepository } from '@gantry/store';
import { celToJson } from '@gantry/delivery';
import { AlertRuleReason } from './alert-rule-conditions.ts';
import type { CompiledRule, RuleScope } from './compile-rule.ts';
import type { GantryData } from './gantry-data.ts';
import { resolveMetricsSource, type MetricsSecretReader } from './metrics-source.ts';
import type { PrometheusQuerier } from './prometheus-client.ts';
import type { RuleSample } from './series-state.ts';

/** Reads secrets' values; the evaluator's only use of the secret store. */
export type RuleSecretReader = MetricsSecretReader;

export interface CollectDeps {
  resources: Pick<ResourceRepository, 'get'>;
  secrets: RuleSecretReader;
  prometheus: PrometheusQuerier;
  data: GantryData;
}

export type CollectFailureReason =
  | typeof AlertRuleReason.QueryFailed
  | typeof AlertRuleReason.SourceUnreachable
  | typeof AlertRuleReason.SourceUnauthorized
  | typeof AlertRuleReason.SourceNotFound
  | typeof AlertRuleReason.SecretMissing
  | typeof AlertRuleReason.ConditionFailed;

/** Stage 1's outcome: the rule's alerts as of now (labels and annotations rendered), or why not. */
export type CollectOutcome =
  | {
      ok: true;
      samples: RuleSample[];
      /** Series beyond `maxSeries`, dropped. */
      dropped: number;
      /** GlobalAlertRule series without a `team` label, dropped: no team to post them to. */
      unrouted: number;
    }
  | { ok: false; reason: CollectFailureReason; message: string };

type RawOutcome =
  | { ok: true; samples: { labels: Record<string, string>; value: number }[] }
  | { ok: false; reason: CollectFailureReason; message: string };

/**
 * Stage 1, collect: runs the rule's query (PromQL against its source, or the CEL condition over Gantry's
 * objects), then builds each alert's labels (the sample's, the rule's templated ones, `alertname`,
 * `severity`, and `team` for a team's rule) and annotations, capped at `maxSeries` by label set order.
 */
export async function collectSamples(
  deps: CollectDeps,
  rule: CompiledRule,
  scope: RuleScope,
  name: string,
  now: number,
): Promise<CollectOutcome> {
  const raw =
    rule.query.kind === 'promql'
      ? await queryPrometheus(deps, rule, now)
      : await evaluateCel(deps, rule, scope, now);
  if (!raw.ok) return raw;
  let unrouted = 0;
  const samples: RuleSample[] = [];
  for (const sample of raw.samples) {
    const labels: Record<string, string> = { ...sample.labels };
    Object.assign(labels, rule.labels.render({ labels: sample.labels, value: sample.value }));
    labels.alertname = name;
    labels.severity ??= rule.severity;
    if (scope.kind === 'AlertRule') labels.team = scope.team;
    else if (!labels.team) {
      unrouted += 1;
      continue;
    }
    for (const [key, value] of Object.entries(labels)) if (value === '') delete labels[key];
    const annotations = rule.annotations.render({ labels, value: sample.value });
    samples.push({ labels, annotations, value: sample.value });
  }
  samples.sort((a, b) => compareLabels(a.labels, b.labels));
  const dropped = Math.max(0, samples.length - rule.maxSeries);
  return { ok: true, samples: samples.slice(0, rule.maxSeries), dropped, unrouted };
}

function compareLabels(a: Record<string, string>, b: Record<string, string>): number {
  const text = (labels: Record<string, string>) =>
    Object.keys(labels)
      .sort()
      .map((key) => `${key}\u0000${labels[key]}`)
      .join('\u0001');
  const left = text(a);
  const right = text(b);
  return left < right ? -1 : left > right ? 1 : 0;
}

async function queryPrometheus(deps: CollectDeps, rule: CompiledRule, now: number): Promise<RawOutcome> {
  if (rule.query.kind !== 'promql') throw new Error('not a PromQL rule');
  const { source: ref, expr } = rule.query;
  const resolved = await resolveMetricsSource(deps.resources, deps.secrets, ref.team, ref.name);
  if (!resolved.ok) return resolved;
  return deps.prometheus.query(resolved.source, expr, now);
}

async function evaluateCel(
  deps: CollectDeps,
  rule: CompiledRule,
  scope: RuleScope,
  now: number,
): Promise<RawOutcome> {
  if (rule.query.kind !== 'cel') throw new Error('not a CEL rule');
  const { over, condition, value } = rule.query;
  const subjects = await deps.data.subjects(over, scope.kind === 'AlertRule' ? scope.team : undefined, now);
  const variable = over.slice(0, -1); // clusters → cluster, nodes → node, applications → application
  const samples: { labels: Record<string, string>; value: number }[] = [];
  for (const subject of subjects) {
    const bindings = { [variable]: subject.binding, now: new Date(now).toISOString() };
    const held = condition.evaluate(bindings);
    if (!held.ok) return failedOn(subject.labels, `condition: ${held.message}`);
    if (held.value !== true) {
      if (typeof held.value !== 'boolean')
        return failedOn(subject.labels, `condition gives ${describeCelType(held.value)}, not a bool`);
      continue;
    }
    let number = 1;
    if (value) {
      const result = value.evaluate(bindings);
      const json = result.ok ? celToJson(result.value) : undefined;
      if (!result.ok) return failedOn(subject.labels, `value: ${result.message}`);
      if (!json?.ok || typeof json.value !== 'number')
        return failedOn(subject.labels, 'value is not a number');
      number = json.value;
    }
    samples.push({ labels: subject.labels, value: number });
  }
  return { ok: true, samples };
}

function failedOn(labels: Record<string, string>, message: string): RawOutcome {
  const what = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  return { ok: false, reason: AlertRuleReason.ConditionFailed, message: `on {${what}}: ${message}` };
}

function describeCelType(value: Parameters<typeof celToJson>[0]): string {
  const json = celToJson(value);
  if (!json.ok) return 'a value without a JSON form';
  if (json.value === null) return 'null';
  if (Array.isArray(json.value)) return 'a list';
  return typeof json.value === 'object' ? 'a map' : `a ${typeof json.value}`;
}
