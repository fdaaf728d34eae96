import { callPrometheusApi, resolveMetricsSource, type MetricsSecretReader } from '@gantry/alerts';
import { createCelEngine, type CelEngine } from '@gantry/delivery';
import type {
  ChangeCanaryGate,
  ChangeGateResult,
  ChangeGateValues,
  ChangeMetricGate,
  ErrorDetail,
  GateNoData,
} from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import type { ChangeMetrics, MetricsRead } from './ports.ts';

/** Values kept in the journal and the status per read: enough to see what the gate saw, bounded. */
const KEPT_VALUES = 100;

let cel: CelEngine | undefined;
function celEngine(): CelEngine {
  return (cel ??= createCelEngine({ cacheSize: 1000 }));
}

/** A value to a PromQL regex literal: every regex metacharacter escaped, and the quote and backslash. */
function regexLiteral(values: readonly string[]): string {
  const escaped = values.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return escaped.join('|').replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

/**
 * The query as sent: `$entities` a regex of the entities (`east/n001|east/n002`), `$names` of their names
 * after the last `/` (`n001|n002`), `$window` the batch's bake (`30m`). Kept in the journal as resolved.
 */
export function resolveGateQuery(query: string, entities: readonly string[], window: string): string {
  const names = entities.map((entity) => entity.slice(entity.lastIndexOf('/') + 1));
  return query
    .replaceAll('$entities', regexLiteral(entities))
    .replaceAll('$names', regexLiteral(names))
    .replaceAll('$window', window);
}

/**
 * What can be checked of a gate query without Prometheus: brackets and quotes that close, and only the
 * placeholders Gantry replaces. (Gantry has no PromQL parser; Prometheus's refusal at run time is the
 * gate's no-data, with Prometheus's message.)
 */
export function checkPromQl(query: string): string | undefined {
  const unknown = /\$([a-zA-Z_]+)/g;
  for (const match of query.matchAll(unknown))
    if (!['entities', 'names', 'window'].includes(match[1]!))
      return `unknown placeholder $${match[1]} (use $entities, $names or $window)`;
  const closing: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in closing) {
      if (stack.pop() !== closing[c]) return `unbalanced ${c} at character ${i + 1}`;
    }
  }
  if (quote) return `unterminated string (${quote})`;
  if (stack.length > 0) return `unclosed ${stack[stack.length - 1]}`;
  return undefined;
}

/** A CEL condition's compile errors, for admission. */
export function checkCondition(source: string): string | undefined {
  const compiled = celEngine().compile(source);
  return compiled.ok ? undefined : compiled.message;
}

/** Admission's checks of a Change's gates, with paths. */
export function checkGates(gates: {
  metrics: readonly ChangeMetricGate[];
  canary?: ChangeCanaryGate;
}): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const noData = (path: string, policy: GateNoData) => {
    if (policy.policy === 'PassIfZeroTraffic') {
      if (!policy.trafficQuery)
        errors.push({
          path: `${path}/noData/trafficQuery`,
          message: 'PassIfZeroTraffic needs a trafficQuery',
        });
      else {
        const problem = checkPromQl(policy.trafficQuery);
        if (problem) errors.push({ path: `${path}/noData/trafficQuery`, message: problem });
      }
    }
  };
  const names = new Set<string>();
  gates.metrics.forEach((gate, index) => {
    const path = `/spec/gates/metrics/${index}`;
    if (['health', 'canary', 'approval'].includes(gate.name) || names.has(gate.name))
      errors.push({ path: `${path}/name`, message: `the name ${gate.name} is taken` });
    names.add(gate.name);
    const problem = checkPromQl(gate.query);
    if (problem) errors.push({ path: `${path}/query`, message: problem });
    if (!gate.successCondition && !gate.failureCondition)
      errors.push({ path, message: 'give successCondition, failureCondition or both' });
    for (const field of ['successCondition', 'failureCondition'] as const) {
      const source = gate[field];
      const compileError = source !== undefined ? checkCondition(source) : undefined;
      if (compileError) errors.push({ path: `${path}/${field}`, message: compileError });
    }
    noData(path, gate.noData);
  });
  if (gates.canary) {
    const problem = checkPromQl(gates.canary.query);
    if (problem) errors.push({ path: '/spec/gates/canary/query', message: problem });
    noData('/spec/gates/canary', gates.canary.noData);
  }
  return errors;
}

/** Reads a gate query through a team's MetricsSource: the `@gantry/alerts` client used by rules and baselines. */
export function createChangeMetrics(deps: {
  resources: Pick<ResourceRepository, 'get'>;
  secrets: MetricsSecretReader;
  fetch?: typeof fetch;
}): ChangeMetrics {
  return {
    async queryRange(team, sourceName, expr, start, end, stepMs): Promise<MetricsRead> {
      const source = await resolveMetricsSource(deps.resources, deps.secrets, team, sourceName);
      if (!source.ok) return source;
      const answer = await callPrometheusApi(deps.fetch ?? fetch, source.source, '/api/v1/query_range', {
        query: expr,
        start: (start / 1000).toFixed(3),
        end: (end / 1000).toFixed(3),
        step: (stepMs / 1000).toFixed(3),
      });
      if (!answer.ok) return answer;
      if (answer.data.resultType !== 'matrix' || !Array.isArray(answer.data.result))
        return {
          ok: false,
          reason: 'QueryFailed',
          message: `a ${answer.data.resultType} result, not a matrix`,
        };
      return {
        ok: true,
        series: (
          answer.data.result as { metric?: Record<string, string>; values?: [number, string][] }[]
        ).map((item) => ({
          labels: { ...item.metric },
          values: (item.values ?? []).map(([, value]) => Number(value)),
        })),
      };
    },
  };
}

/** One read: the values of every series, NaN and infinities left out (they are no data, not zero). */
interface Read {
  values: ChangeGateValues;
  all: number[];
  error?: string;
}

async function read(
  metrics: ChangeMetrics | undefined,
  team: string,
  source: string,
  query: string,
  range: GateRange,
  stepSeconds: number,
): Promise<Read> {
  const outcome: MetricsRead = metrics
    ? await metrics.queryRange(team, source, query, range.start, range.end, stepSeconds * 1000)
    : { ok: false, reason: 'NoMetricsClient', message: 'this server has no Prometheus client for gates' };
  const all = outcome.ok
    ? outcome.series.flatMap((series) => series.values).filter((value) => Number.isFinite(value))
    : [];
  const mean = all.length > 0 ? all.reduce((sum, value) => sum + value, 0) / all.length : undefined;
  return {
    values: {
      query,
      samples: all.length,
      values: all.slice(0, KEPT_VALUES),
      ...(mean !== undefined ? { mean } : {}),
    },
    all,
    ...(!outcome.ok ? { error: `${outcome.reason}: ${outcome.message}` } : {}),
  };
}

export interface GateRange {
  start: number;
  end: number;
}

export interface GateContext {
  metrics: ChangeMetrics | undefined;
  team: string;
  /** The batch's entities. */
  entities: readonly string[];
  /** Targets not yet changed (for the canary's baseline). */
  unchanged: readonly string[];
  bake: string;
  range: GateRange;
  round: number;
  at: string;
}

type Result = ChangeGateResult;

/** Too few samples: what the gate's no-data policy makes of it. Never a silent pass. */
async function noData(
  ctx: GateContext,
  gate: { source: string; stepSeconds: number; noData: GateNoData },
  base: Omit<Result, 'verdict' | 'message'>,
  why: string,
  entities: readonly string[],
): Promise<Result> {
  const policy = gate.noData.policy;
  const withPolicy = { ...base, noDataPolicy: policy };
  if (policy === 'Ignore')
    return { ...withPolicy, verdict: 'Ignored', message: `${why}; ignored (noData: Ignore)` };
  if (policy === 'PassIfZeroTraffic') {
    const traffic = await read(
      ctx.metrics,
      ctx.team,
      gate.source,
      resolveGateQuery(gate.noData.trafficQuery ?? '', entities, ctx.bake),
      ctx.range,
      gate.stepSeconds,
    );
    if (traffic.error)
      return {
        ...withPolicy,
        traffic: traffic.values,
        verdict: 'Failed',
        message: `${why}; traffic unknown: ${traffic.error}`,
      };
    const busy = traffic.all.filter((value) => value !== 0);
    if (busy.length === 0)
      return {
        ...withPolicy,
        traffic: traffic.values,
        verdict: 'Passed',
        message: `${why}, and no traffic at all (${traffic.all.length} zero sample(s)): passed`,
      };
    return {
      ...withPolicy,
      traffic: traffic.values,
      verdict: 'Failed',
      message: `${why} while there was traffic (${busy.length} non-zero sample(s), up to ${Math.max(...busy)})`,
    };
  }
  return {
    ...withPolicy,
    verdict: policy === 'Pause' ? 'NoData' : 'Failed',
    message: `${why} (noData: ${policy})`,
  };
}

/** A metric gate over the batch's observation: CEL conditions over the values seen. */
export async function evaluateMetricGate(ctx: GateContext, gate: ChangeMetricGate): Promise<Result> {
  const query = resolveGateQuery(gate.query, ctx.entities, ctx.bake);
  const seen = await read(ctx.metrics, ctx.team, gate.source, query, ctx.range, gate.stepSeconds);
  const base = {
    gate: gate.name,
    kind: 'Metric' as const,
    at: ctx.at,
    round: ctx.round,
    observed: seen.values,
  };
  if (seen.error || seen.all.length < gate.minSamples)
    return noData(
      ctx,
      gate,
      base,
      seen.error ?? `${seen.all.length} sample(s), fewer than minSamples ${gate.minSamples}`,
      ctx.entities,
    );
  const values = seen.all;
  const bindings = {
    values,
    count: values.length,
    last: values[values.length - 1]!,
    min: Math.min(...values),
    max: Math.max(...values),
    avg: values.reduce((sum, value) => sum + value, 0) / values.length,
  };
  const check = (source: string | undefined): boolean | string | undefined => {
    if (source === undefined) return undefined;
    const compiled = celEngine().compile(source);
    if (!compiled.ok) return compiled.message;
    const result = compiled.program.evaluate(bindings);
    if (!result.ok) return result.message;
    return typeof result.value === 'boolean' ? result.value : `not a bool: ${String(result.value)}`;
  };
  const summary = `${values.length} sample(s), mean ${fmt(bindings.avg)}, max ${fmt(bindings.max)}`;
  const failed = check(gate.failureCondition);
  if (typeof failed === 'string')
    return { ...base, verdict: 'Failed', message: `failureCondition: ${failed}` };
  if (failed === true)
    return {
      ...base,
      verdict: 'Failed',
      message: `failureCondition ${gate.failureCondition} held: ${summary}`,
    };
  const passed = check(gate.successCondition);
  if (typeof passed === 'string')
    return { ...base, verdict: 'Failed', message: `successCondition: ${passed}` };
  if (passed === false)
    return {
      ...base,
      verdict: 'Failed',
      message: `successCondition ${gate.successCondition} did not hold: ${summary}`,
    };
  return { ...base, verdict: 'Passed', message: summary };
}

/**
 * The batch (canary) against the targets not yet changed (baseline), over the same range and query: fails
 * when the canary's mean exceeds the baseline's by more than `maxIncrease` AND is more than `maxRatio`
 * times it. A zero baseline is a real value (the ratio is not taken; the absolute test decides), never NaN.
 */
export async function evaluateCanaryGate(ctx: GateContext, gate: ChangeCanaryGate): Promise<Result> {
  const canary = await read(
    ctx.metrics,
    ctx.team,
    gate.source,
    resolveGateQuery(gate.query, ctx.entities, ctx.bake),
    ctx.range,
    gate.stepSeconds,
  );
  const base = {
    gate: 'canary',
    kind: 'Canary' as const,
    at: ctx.at,
    round: ctx.round,
    observed: canary.values,
  };
  if (ctx.unchanged.length === 0)
    return noData(ctx, gate, base, 'no target is left unchanged to compare with', ctx.entities);
  const baseline = await read(
    ctx.metrics,
    ctx.team,
    gate.source,
    resolveGateQuery(gate.query, ctx.unchanged, ctx.bake),
    ctx.range,
    gate.stepSeconds,
  );
  const both = { ...base, baseline: baseline.values };
  const short = [canary, baseline].find((side) => side.error || side.all.length < gate.minSamples);
  if (short)
    return noData(
      ctx,
      gate,
      both,
      `${short === canary ? 'canary' : 'baseline'}: ${short.error ?? `${short.all.length} sample(s), fewer than minSamples ${gate.minSamples}`}`,
      [...ctx.entities, ...ctx.unchanged],
    );
  const c = canary.values.mean!;
  const b = baseline.values.mean!;
  const increase = c - b;
  const worse = increase > gate.maxIncrease && (b === 0 || c > b * gate.maxRatio);
  const message = `canary mean ${fmt(c)} vs baseline mean ${fmt(b)} (increase ${fmt(increase)}, allowed ${fmt(gate.maxIncrease)}${b === 0 ? '; baseline zero' : `, ratio ${fmt(c / b)} of ${fmt(gate.maxRatio)}`})`;
  return {
    ...both,
    verdict: worse ? 'Failed' : 'Passed',
    message: worse ? `worse than its baseline: ${message}` : message,
  };
}

function fmt(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
