import {
  INSPECTION_SUBJECTS,
  type InspectionCheckResult,
  type InspectionFinding,
  type InspectionSubject,
  type RiskEntity,
} from '@gantry/model';
import { AlertRuleReason, type PrometheusQuerier } from '@gantry/alerts';
import { celToJson, type CelBindings, type CelProgram } from '@gantry/delivery';
import type { CompiledCheck } from './compile-inspection.ts';
import type { MetricsSourceResolver } from './metrics-sources.ts';
import { CheckReason } from './reasons.ts';
import { SUBJECT_VARIABLE, type TeamSnapshot } from './team-snapshot.ts';

/**
 * What one run gives its checks: the team's objects and their CEL bindings (shared by the runs of one
 * scheduler tick, ADR 0024), Prometheus, and the time the run judges at (`snapshot.now`).
 */
export interface CheckContext {
  team: string;
  snapshot: Pick<TeamSnapshot, 'now' | 'nowIso' | 'subjects' | 'bindings' | 'aggregate'>;
  prometheus: PrometheusQuerier;
  sources: MetricsSourceResolver;
}

type Failure = { reason: CheckReason; message: string };
type Found = { ok: true; findings: InspectionFinding[]; empty?: boolean } | ({ ok: false } & Failure);

const PROM_REASONS: Record<string, CheckReason> = {
  [AlertRuleReason.QueryFailed]: CheckReason.QueryFailed,
  [AlertRuleReason.SourceUnreachable]: CheckReason.SourceUnreachable,
  [AlertRuleReason.SourceUnauthorized]: CheckReason.SourceUnauthorized,
};

/**
 * Runs one check. Never throws for what the world did (a Prometheus down, a query refused, a condition
 * that does not give a bool): those are a `failed` result with a reason. An empty PromQL answer is
 * `noData` unless the check says empty means no risk.
 */
export async function runCheck(check: CompiledCheck, context: CheckContext): Promise<InspectionCheckResult> {
  const started = performance.now();
  let found: Found;
  try {
    found = await find(check, context);
  } catch (error) {
    // The store could not be read: nothing is known, so nothing is recorded.
    found = {
      ok: false,
      reason: CheckReason.DataUnavailable,
      message: error instanceof Error ? error.message : String(error),
    };
  }
  const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  const base = { check: check.name, type: check.type, durationMs };
  if (!found.ok)
    return {
      ...base,
      outcome: 'failed',
      reason: found.reason,
      message: found.message,
      findings: [],
      dropped: 0,
    };
  if (found.empty && check.type === 'promql' && check.whenEmpty === 'noData')
    return {
      ...base,
      outcome: 'noData',
      reason: CheckReason.NoData,
      message: 'the query returned no series: nothing to judge, no risk recorded or closed',
      findings: [],
      dropped: 0,
    };
  const sorted = found.findings.sort(
    (a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
  const findings = sorted.slice(0, check.maxRisks);
  const dropped = sorted.length - findings.length;
  return {
    ...base,
    outcome: findings.length > 0 ? 'risks' : 'ok',
    reason: findings.length > 0 ? CheckReason.RisksFound : CheckReason.Ok,
    message:
      findings.length > 0
        ? `${sorted.length} risk${sorted.length === 1 ? '' : 's'} found${dropped > 0 ? `, ${dropped} beyond maxRisks dropped` : ''}`
        : 'no risk found',
    findings,
    dropped,
  };
}

async function find(check: CompiledCheck, context: CheckContext): Promise<Found> {
  const { snapshot } = context;
  const nowIso = snapshot.nowIso;
  switch (check.type) {
    case 'promql': {
      const resolved = await context.sources.resolve(context.team, check.source);
      if (!resolved.ok) return resolved;
      // Evaluated at the run's time, whenever the query is sent: the answer describes that instant.
      const answer = await context.prometheus.query(resolved.source, check.query, snapshot.now);
      if (!answer.ok)
        return {
          ok: false,
          reason: PROM_REASONS[answer.reason] ?? CheckReason.QueryFailed,
          message: answer.message,
        };
      const findings: InspectionFinding[] = [];
      for (const [index, sample] of answer.samples.entries()) {
        if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
        const bindings = { value: sample.value, labels: sample.labels, now: nowIso };
        const judged = judge(check, bindings, describeLabels(sample.labels));
        if (!judged.ok) return judged;
        if (!judged.holds) continue;
        const key = describeLabels(sample.labels);
        findings.push({
          key,
          title: check.title?.render(bindings) ?? `${check.name}: ${key} (value ${sample.value})`,
          score: judged.score,
          entities: entitiesFromLabels(sample.labels),
          details: { value: sample.value, labels: sample.labels, query: check.query },
        });
      }
      return { ok: true, findings, empty: answer.samples.length === 0 };
    }
    case 'inventory': {
      const variable = SUBJECT_VARIABLE[check.over];
      const findings: InspectionFinding[] = [];
      const subjects = await snapshot.subjects(check.over);
      for (const [index, subject] of subjects.entries()) {
        // Other runs' timers (the scheduler's next slot) fire between chunks of a long list.
        if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
        const bindings = snapshot.bindings(check.over, subject);
        const judged = judge(check, bindings, subject.key);
        if (!judged.ok) return judged;
        if (!judged.holds) continue;
        findings.push({
          key: subject.key,
          title: check.title?.render(bindings) ?? `${check.name}: ${subject.label}`,
          score: judged.score,
          entities: subject.entities,
          details: { [variable]: subject.binding },
        });
      }
      return { ok: true, findings };
    }
    case 'cel': {
      const sources = [
        check.condition.source,
        check.scoreExpression?.source ?? '',
        check.titleSource ?? '',
      ].join(' ');
      // Only the lists the expressions name are read: a word that is not in the text cannot be referenced.
      const lists = SUBJECTS.filter((over) => new RegExp(`\\b${over}\\b`).test(sources));
      const bindings = await snapshot.aggregate(lists);
      const judged = judge(check, bindings, 'the aggregate');
      if (!judged.ok) return judged;
      if (!judged.holds) return { ok: true, findings: [] };
      return {
        ok: true,
        findings: [
          {
            key: check.name,
            title: check.title?.render(bindings) ?? `${check.name}: the condition holds`,
            score: judged.score,
            entities: [{ kind: 'Team', name: context.team }],
            details: { condition: check.condition.source },
          },
        ],
      };
    }
  }
}

/** Objects judged between two yields to the event loop. */
const YIELD_EVERY = 100;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

const SUBJECTS: readonly InspectionSubject[] = INSPECTION_SUBJECTS;

type Judged = { ok: true; holds: boolean; score: number } | ({ ok: false } & Failure);

function judge(check: CompiledCheck, bindings: CelBindings, on: string): Judged {
  const held = evaluate(check.condition, bindings);
  if (!held.ok) return fail(on, `condition: ${held.message}`);
  if (typeof held.value !== 'boolean') return fail(on, 'condition does not give a bool');
  if (!held.value) return { ok: true, holds: false, score: 0 };
  if (!check.scoreExpression) return { ok: true, holds: true, score: check.score };
  const score = evaluate(check.scoreExpression, bindings);
  if (!score.ok) return fail(on, `scoreExpression: ${score.message}`);
  if (typeof score.value !== 'number') return fail(on, 'scoreExpression does not give a number');
  return { ok: true, holds: true, score: Math.min(100, Math.max(0, Math.round(score.value))) };
}

function fail(on: string, message: string): { ok: false } & Failure {
  return { ok: false, reason: CheckReason.ConditionFailed, message: `on ${on}: ${message}` };
}

function evaluate(
  program: CelProgram,
  bindings: CelBindings,
): { ok: true; value: unknown } | { ok: false; message: string } {
  const result = program.evaluate(bindings);
  if (!result.ok) return result;
  const json = celToJson(result.value);
  return json.ok ? { ok: true, value: json.value } : { ok: false, message: json.message };
}

/** `{a="1",b="2"}` in label name order: the series' identity. */
export function describeLabels(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(labels[key])}`)
    .join(',')}}`;
}

/** The objects a series concerns, from the labels Gantry's conventions use. */
export function entitiesFromLabels(labels: Record<string, string>): RiskEntity[] {
  const out: RiskEntity[] = [];
  const cluster = labels.cluster;
  if (labels.node) out.push({ kind: 'Node', name: labels.node, ...(cluster ? { cluster } : {}) });
  if (labels.application) out.push({ kind: 'Application', name: labels.application });
  if (labels.namespace)
    out.push({ kind: 'Namespace', name: labels.namespace, ...(cluster ? { cluster } : {}) });
  if (cluster) out.push({ kind: 'Cluster', name: cluster });
  if (labels.host) out.push({ kind: 'Host', name: labels.host });
  return out;
}
