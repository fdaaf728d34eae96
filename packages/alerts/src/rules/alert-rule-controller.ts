import type { AlertRuleSpec, AlertRuleStatus, Condition, Resource } from '@gantry/model';
import {
  ConditionStatus,
  findCondition,
  setCondition,
  type Controller,
  type ConditionUpdate,
  type EventRecorder,
  type EventTerm,
  type ObjectKey,
  type ReconcileContext,
  type ReconcileResult,
  type TermScope,
} from '@gantry/controllers';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import {
  isFencedWriteRefused,
  type AlertRuleStateRepository,
  type InventoryRepository,
  type ResourceRepository,
  type WriteFence,
} from '@gantry/store';
import { createCelEngine, type CelEngine } from '@gantry/delivery';
import { API_VERSION, ConflictError, NotFoundError } from '@gantry/model';
import { AlertRuleCondition, AlertRuleEventReason, AlertRuleReason } from './alert-rule-conditions.ts';
import type { AlertSink, RuleAlert } from './alert-sink.ts';
import { collectSamples, type RuleSecretReader } from './collect-stage.ts';
import { compileRule, type CompiledRule, type RuleScope } from './compile-rule.ts';
import { createGantryData, type GantryData } from './gantry-data.ts';
import { createPrometheusQuerier, type PrometheusQuerier } from './prometheus-client.ts';
import { advanceSeries, alertsToPost, countPhases, seriesKey, type SeriesState } from './series-state.ts';

export type AlertRuleKind = 'AlertRule' | 'GlobalAlertRule';

export interface AlertRuleControllerDeps {
  /** Status writes (as the controller). */
  resources: Pick<ResourceService, 'replaceStatus'>;
  /** Rules, MetricsSources, Clusters and Applications, read as stored. */
  repository: Pick<ResourceRepository, 'get' | 'list'>;
  inventory: Pick<InventoryRepository, 'list'>;
  secrets: RuleSecretReader;
  state: Pick<AlertRuleStateRepository, 'get' | 'put' | 'delete'>;
  sink: AlertSink;
  recorder: EventRecorder;
  /** Default: HTTP with the global fetch. */
  prometheus?: PrometheusQuerier;
  /** Default: a new engine with the project's limits. */
  engine?: CelEngine;
  /** Default: the store (`repository`, `inventory`). */
  data?: GantryData;
}

export interface AlertRuleControllerOptions {
  /** The server's external URL; alerts' `generatorURL` points at the rule's API path under it. */
  externalUrl: string;
  /** Rules evaluated at once. Default 4. */
  concurrency?: number;
}

type Rule = Resource<AlertRuleSpec, AlertRuleStatus>;

/** What the controller keeps per rule while it leads; dropped at every new term (reloaded from the store). */
interface RuleMemory {
  generation: number;
  compiled: ReturnType<typeof compileRule>;
  series: Map<string, SeriesState>;
  lastEvaluatedAt?: number;
}

/** The typed outcome of one evaluation: the condition it concluded and the counts it leaves. */
interface Evaluation {
  condition: Omit<ConditionUpdate, 'type' | 'observedGeneration'>;
  counts: { pending: number; firing: number };
}

const controllerName = (kind: AlertRuleKind) => (kind === 'AlertRule' ? 'alert-rule' : 'global-alert-rule');

/**
 * Evaluates alert rules of one kind on their interval, on the server holding the controller's lease:
 * collect (PromQL or CEL) → advance each series (pending, firing, kept firing, resolved) → save the
 * series state when a phase moved → post firing and recently resolved alerts to the sink → write the
 * `Evaluating` condition and the counts, only when they change. A failing source is a condition and a
 * warning event; the series keep their phase until the source answers again.
 */
export function createAlertRuleController(
  kind: AlertRuleKind,
  deps: AlertRuleControllerDeps,
  options: AlertRuleControllerOptions,
): Controller {
  const name = controllerName(kind);
  const caller: Caller = { principal: SYSTEM_PRINCIPAL, source: `controller/${name}` };
  const actor = `controller/${name}`;
  const engine = deps.engine ?? createCelEngine();
  const prometheus = deps.prometheus ?? createPrometheusQuerier();
  const data = deps.data ?? createGantryData({ resources: deps.repository, inventory: deps.inventory });
  const collectDeps = { resources: deps.repository, secrets: deps.secrets, prometheus, data };
  const externalUrl = options.externalUrl.replace(/\/+$/, '');
  /** What the controller remembers of each rule during one term (ADR 0028); the next term starts from the store. */
  const memoryOf = (term: TermScope) => term.cache('rules', () => new Map<string, RuleMemory>());

  const stateKey = (key: ObjectKey) => ({ kind, team: key.team, name: key.name });
  const memoryKey = (key: ObjectKey) => `${key.team}/${key.name}`;
  const scopeOf = (key: ObjectKey): RuleScope =>
    kind === 'AlertRule' ? { kind, team: key.team } : { kind: 'GlobalAlertRule' };
  const generatorUrl = (key: ObjectKey) =>
    kind === 'AlertRule'
      ? `${externalUrl}/apis/${API_VERSION}/teams/${key.team}/alertrules/${key.name}`
      : `${externalUrl}/apis/${API_VERSION}/globalalertrules/${key.name}`;

  async function loadSeries(key: ObjectKey): Promise<Map<string, SeriesState>> {
    const stored = await deps.state.get(stateKey(key));
    const list = Array.isArray(stored?.series) ? (stored.series as SeriesState[]) : [];
    return new Map(list.map((series) => [seriesKeyOf(series), series]));
  }

  /**
   * Posts `alerts` per team: a team's rule to its team, a global rule's to each alert's `team` label.
   * The ingest is not fenced: `term.confirm()` first checks that the term is still current (ADR 0028).
   */
  async function post(key: ObjectKey, alerts: RuleAlert[], term: TermScope): Promise<void> {
    if (alerts.length > 0) await term.confirm();
    const byTeam = new Map<string, RuleAlert[]>();
    for (const alert of alerts) {
      const team = kind === 'AlertRule' ? key.team : (alert.labels.team ?? '');
      byTeam.set(team, [...(byTeam.get(team) ?? []), alert]);
    }
    for (const [team, list] of byTeam) await deps.sink.post(team, list);
  }

  /** The rule is gone: resolve what it had firing, then forget its state. */
  async function finalize(key: ObjectKey, now: number, term: TermScope): Promise<void> {
    const memory = memoryOf(term);
    const series = memory.get(memoryKey(key))?.series ?? (await loadSeries(key));
    memory.delete(memoryKey(key));
    const resolved = [...series.values()]
      .filter((state) => state.phase === 'firing')
      .map((state): SeriesState => ({ ...state, phase: 'resolved', resolvedAt: now }));
    if (resolved.length > 0) {
      const alerts = alertsToPost(new Map(resolved.map((s, i) => [String(i), s])), now, 0, generatorUrl(key));
      await post(key, alerts, term);
    }
    await deps.state.delete(stateKey(key), term.fence);
  }

  /** Stages 1-4 of one evaluation. */
  async function evaluate(
    key: ObjectKey,
    rule: CompiledRule,
    entry: RuleMemory,
    now: number,
    signal: AbortSignal,
    term: TermScope,
  ): Promise<Evaluation> {
    const { fence } = term;
    const counts = () => countPhases(entry.series);
    // 1. collect
    const collected = await collectSamples(collectDeps, rule, scopeOf(key), key.name, now);
    if (!collected.ok)
      return {
        condition: { status: ConditionStatus.False, reason: collected.reason, message: collected.message },
        counts: counts(),
      };
    // 2. advance, and 3. save when a phase moved
    const advanced = advanceSeries(entry.series, collected.samples, {
      now,
      forMs: rule.forMs,
      keepFiringForMs: rule.keepFiringForMs,
    });
    entry.series = advanced.series;
    // Lease lost while querying: the next leader evaluates from the stored state; write nothing over it.
    if (signal.aborted)
      return {
        condition: { status: ConditionStatus.True, reason: AlertRuleReason.Evaluated, message: 'lease lost' },
        counts: counts(),
      };
    if (advanced.transitioned) await deps.state.put(stateKey(key), [...advanced.series.values()], now, fence);
    // 4. post
    try {
      await post(key, alertsToPost(advanced.series, now, rule.intervalMs, generatorUrl(key)), term);
    } catch (error) {
      // The term is over: the runner ends it (counted, logged once); nothing more is written.
      if (isFencedWriteRefused(error)) throw error;
      return {
        condition: {
          status: ConditionStatus.False,
          reason: AlertRuleReason.PostFailed,
          message: `posting the alerts failed; they are posted again next evaluation: ${(error as Error).message}`,
        },
        counts: counts(),
      };
    }
    if (collected.dropped > 0)
      return {
        condition: {
          status: ConditionStatus.False,
          reason: AlertRuleReason.TooManySeries,
          message: `${collected.dropped + rule.maxSeries} series, more than maxSeries ${rule.maxSeries}: ${collected.dropped} dropped`,
        },
        counts: counts(),
      };
    const { pending, firing } = counts();
    const unrouted =
      collected.unrouted > 0 ? `; ${collected.unrouted} series without a team label were dropped` : '';
    return {
      condition: {
        status: ConditionStatus.True,
        reason: AlertRuleReason.Evaluated,
        message: `${firing} firing, ${pending} pending${unrouted}`,
      },
      counts: { pending, firing },
    };
  }

  /** Stage 5: status and events, only on a transition (reason, status, counts or generation). */
  async function report(
    key: ObjectKey,
    object: Rule,
    evaluation: Evaluation,
    now: number,
    signal: AbortSignal,
    fence: WriteFence | undefined,
    term: EventTerm,
  ): Promise<void> {
    const generation = object.metadata.generation;
    const previous = findCondition(object.status?.conditions, AlertRuleCondition.Evaluating);
    const next: ConditionUpdate = {
      type: AlertRuleCondition.Evaluating,
      ...evaluation.condition,
      observedGeneration: generation,
    };
    const moved = !previous || previous.status !== next.status || previous.reason !== next.reason;
    const countsMoved =
      object.status?.alerts?.pending !== evaluation.counts.pending ||
      object.status?.alerts?.firing !== evaluation.counts.firing;
    if (!moved && !countsMoved && object.status?.observedGeneration === generation) return;
    if (signal.aborted) return; // the lease is lost: the next leader reports
    if (moved) recordTransition(key, previous, next, term);
    const conditions: Condition[] = setCondition(object.status?.conditions, next, now);
    try {
      await deps.resources.replaceStatus(
        caller,
        kind,
        kind === 'AlertRule' ? key.team : undefined,
        key.name,
        {
          apiVersion: object.apiVersion,
          kind,
          metadata: { name: key.name, resourceVersion: object.metadata.resourceVersion },
          status: { observedGeneration: generation, conditions, alerts: evaluation.counts },
        },
        fence ? { fence } : {},
      );
    } catch (error) {
      // Changed since read: the next evaluation compares with what is stored and writes then.
      if (error instanceof ConflictError || error instanceof NotFoundError) return;
      throw error;
    }
  }

  function recordTransition(
    key: ObjectKey,
    previous: Condition | undefined,
    next: ConditionUpdate,
    term: EventTerm,
  ): void {
    const regarding = { kind, name: key.name, team: key.team };
    if (next.status === ConditionStatus.False) {
      deps.recorder.record(
        { type: 'Warning', reason: next.reason, message: next.message, regarding, actor },
        term,
      );
    } else if (previous && previous.status === ConditionStatus.False) {
      deps.recorder.record(
        {
          type: 'Normal',
          reason: AlertRuleEventReason.EvaluationRecovered,
          message: `evaluating again after ${previous.reason}: ${next.message}`,
          regarding,
          actor,
        },
        term,
      );
    }
  }

  return {
    name,
    kind,
    concurrency: options.concurrency ?? 4,
    // The controller's own status writes carry the generation they observed; nothing to do for them.
    ignore: ({ type, object }) =>
      type === 'MODIFIED' &&
      (object.status as AlertRuleStatus | undefined)?.observedGeneration === object.metadata.generation,
    async reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
      const now = ctx.now();
      const object = (await deps.repository.get({ kind, team: key.team, name: key.name })) as
        Rule | undefined;
      if (!object) {
        await finalize(key, now, ctx.term);
        return {};
      }
      // Another server may have evaluated since this one last led: each term starts from the stored state.
      const memory = memoryOf(ctx.term);
      let entry = memory.get(memoryKey(key));
      if (!entry || entry.generation !== object.metadata.generation) {
        entry = {
          generation: object.metadata.generation,
          compiled: compileRule(engine, object.spec, scopeOf(key)),
          series: entry?.series ?? (await loadSeries(key)),
          ...(entry?.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: entry.lastEvaluatedAt } : {}),
        };
        memory.set(memoryKey(key), entry);
      }
      if (!entry.compiled.ok) {
        // Admission refuses such a spec; one stored before a stricter check still says what is wrong.
        const message = entry.compiled.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
        const evaluation: Evaluation = {
          condition: { status: ConditionStatus.False, reason: AlertRuleReason.InvalidRule, message },
          counts: countPhases(entry.series),
        };
        await report(key, object, evaluation, now, ctx.signal, ctx.term.fence, ctx.term);
        return {};
      }
      const rule = entry.compiled.rule;
      if (entry.lastEvaluatedAt !== undefined && now < entry.lastEvaluatedAt + rule.intervalMs) {
        return { requeueAfterMs: entry.lastEvaluatedAt + rule.intervalMs - now };
      }
      entry.lastEvaluatedAt = now;
      const evaluation = await evaluate(key, rule, entry, now, ctx.signal, ctx.term);
      ctx.logger.debug({ reason: evaluation.condition.reason, ...evaluation.counts }, 'alert rule evaluated');
      await report(key, object, evaluation, now, ctx.signal, ctx.term.fence, ctx.term);
      return { requeueAfterMs: rule.intervalMs };
    },
  };
}

function seriesKeyOf(series: SeriesState): string {
  return seriesKey(series.labels);
}
