import type { Logger } from 'pino';
import {
  ConflictError,
  NotFoundError,
  type BaselineSpec,
  type BaselineStatus,
  type Condition,
  type Resource,
} from '@gantry/model';
import {
  ConditionStatus,
  findCondition,
  setCondition,
  type Clock,
  type ConditionUpdate,
  type EventRecorder,
  type TermScope,
  type Timer,
} from '@gantry/controllers';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import { isFencedWriteRefused, type ResourceRepository, type WriteFence } from '@gantry/store';
import type { RiskSink, RiskSource } from '../ports.ts';
import { BaselineCondition, BaselineEventReason, BaselineReason } from './baseline-conditions.ts';
import { MAX_POINTS_PER_QUERY, resolveBaseline, type ResolvedBaseline } from './baseline-spec.ts';
import { resolveMetricsSource, type MetricsSecretReader as BaselineSecretReader } from '@gantry/alerts';
import {
  createPrometheusRangeQuerier,
  queryRangeInPieces,
  type PrometheusRangeQuerier,
} from './prometheus-range.ts';
import { observationOf, SeriesSet, type FollowedSeries } from './series-set.ts';

/** The lease the evaluator runs under: one server checks every Baseline (ADR 0021). */
export const BASELINE_LEASE = 'health-baselines';
const ACTOR = 'controller/health-baselines';

export interface BaselineEvaluatorDeps {
  /** Baselines and MetricsSources, read as stored. */
  repository: Pick<ResourceRepository, 'get' | 'list'>;
  /** Status writes (as the evaluator). */
  resources: Pick<ResourceService, 'replaceStatus'>;
  secrets: BaselineSecretReader;
  sink: RiskSink;
  recorder: EventRecorder;
  clock: Clock;
  logger: Logger;
  /** Default: HTTP with the global fetch. */
  prometheus?: PrometheusRangeQuerier;
}

export interface BaselineEvaluatorOptions {
  /** How often the Baselines are listed and the due ones evaluated. Default 5 s. */
  tickMs?: number;
  /** Baselines evaluated at once. Default 4. */
  concurrency?: number;
}

type Baseline = Resource<BaselineSpec, BaselineStatus>;

/** What the evaluator keeps per Baseline while it leads; dropped at every new term. */
interface BaselineMemory {
  generation: number;
  resolved: ReturnType<typeof resolveBaseline>;
  set: SeriesSet | undefined;
  /** The time of the last step read (aligned to the step); undefined before the first full read. */
  readUntil: number | undefined;
  lastEvaluatedAt: number | undefined;
  /** Every followed series is reported (deviating or not) at the first evaluation of a term, and after a sink failure. */
  reportAll: boolean;
  /** Series reported deviating under an earlier generation, not yet told otherwise. */
  carried: Map<string, FollowedSeries>;
  /** Series beyond maxSeries at the last read. */
  dropped: number;
}

/** The typed outcome of one evaluation. */
interface Evaluation {
  condition: Omit<ConditionUpdate, 'type' | 'observedGeneration'>;
  counts: { checked: number; deviating: number } | undefined;
}

/**
 * Checks every Baseline's series against their bands, on the server holding the `health-baselines` lease.
 * Level-triggered: each tick lists the Baselines (the desired state) and evaluates those due; one
 * evaluation is stages, each one function: resolve (spec, source) → read (the lookback at first, then
 * only the new steps) → check (feed each series' monitor) → report (deviating series to the RiskSink,
 * and series that stopped deviating or went stale with no observation, which closes their risk) →
 * status (the `Evaluating` condition and counts, written on transitions only). A source that fails is a
 * condition and a warning event; nothing is read, checked or reported then, so no risk changes.
 */
export class BaselineEvaluator {
  readonly #deps: BaselineEvaluatorDeps;
  readonly #tickMs: number;
  readonly #concurrency: number;
  readonly #prometheus: PrometheusRangeQuerier;
  readonly #caller: Caller = { principal: SYSTEM_PRINCIPAL, source: ACTOR };
  #memory = new Map<string, BaselineMemory>();
  #term: AbortController | undefined;
  /** The term's fence (ADR 0028), carried by the status writes. */
  #fence: WriteFence | undefined;
  /** The term's scope, told of a refusal (its owner counts and logs it, and ends the term). */
  #scope: TermScope | undefined;
  #timer: Timer | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: BaselineEvaluatorDeps, options: BaselineEvaluatorOptions = {}) {
    this.#deps = deps;
    this.#tickMs = options.tickMs ?? 5000;
    this.#concurrency = options.concurrency ?? 4;
    this.#prometheus = deps.prometheus ?? createPrometheusRangeQuerier();
  }

  /**
   * A term starts (this server took the lease): forget everything, read every Baseline afresh. `scope` is
   * the term's (from `termElector`): the memory lives in it and its fence goes with the status writes.
   */
  start(scope?: TermScope): void {
    this.#term?.abort();
    this.#term = new AbortController();
    this.#fence = scope?.fence;
    this.#scope = scope;
    this.#memory = scope ? scope.cache('baselines', () => new Map<string, BaselineMemory>()) : new Map();
    this.#schedule(0);
  }

  /** The term ends: no new evaluation starts; resolves once the running one has finished. */
  async stop(): Promise<void> {
    this.#term?.abort();
    this.#term = undefined;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass: every Baseline due is evaluated; those deleted have their risks closed and are forgotten. */
  async tick(): Promise<void> {
    const signal = this.#term?.signal ?? AbortSignal.abort();
    const baselines = await this.#listBaselines();
    const present = new Set(baselines.map((b) => memoryKey(b.metadata.team ?? '', b.metadata.name)));
    for (const [key, memory] of this.#memory) {
      if (present.has(key) || signal.aborted) continue;
      const [team, name] = splitKey(key);
      await this.#closeAll(team, name, [...(memory.set?.series.values() ?? []), ...memory.carried.values()]);
      this.#memory.delete(key);
    }
    const now = this.#deps.clock.now();
    const due = baselines.filter((baseline) => this.#isDue(baseline, now));
    for (let i = 0; i < due.length && !signal.aborted; i += this.#concurrency) {
      await Promise.all(
        due.slice(i, i + this.#concurrency).map((baseline) => this.#evaluate(baseline, signal)),
      );
    }
  }

  #schedule(delayMs: number): void {
    const term = this.#term;
    if (!term) return;
    const scope = this.#scope;
    this.#timer = this.#deps.clock.setTimeout(() => {
      if (term.signal.aborted) return;
      this.#running = this.tick()
        .catch((error: unknown) => {
          if (isFencedWriteRefused(error)) {
            // Another server leads since this term began: stop the term's work (logged once: it ends here).
            term.abort();
            if (scope) scope.refused(error);
            else
              this.#deps.logger.warn(
                { err: error },
                "a write was refused: this term is over; stopping the term's work",
              );
          } else this.#deps.logger.error({ err: error }, 'baseline evaluation failed');
        })
        .finally(() => {
          this.#running = undefined;
          if (!term.signal.aborted) this.#schedule(this.#tickMs);
        });
    }, delayMs);
  }

  async #listBaselines(): Promise<Baseline[]> {
    const baselines: Baseline[] = [];
    let after: { team: string; name: string } | undefined;
    do {
      const page = await this.#deps.repository.list({
        kind: 'Baseline',
        limit: 500,
        ...(after ? { after } : {}),
      });
      for (const item of page.items) baselines.push(JSON.parse(item.json) as Baseline);
      after = page.next;
    } while (after);
    return baselines;
  }

  #isDue(baseline: Baseline, now: number): boolean {
    const memory = this.#memory.get(memoryKey(baseline.metadata.team ?? '', baseline.metadata.name));
    if (!memory || memory.generation !== baseline.metadata.generation || memory.lastEvaluatedAt === undefined)
      return true;
    const intervalMs = memory.resolved.ok ? memory.resolved.baseline.intervalMs : 60_000;
    return now >= memory.lastEvaluatedAt + intervalMs;
  }

  async #evaluate(baseline: Baseline, signal: AbortSignal): Promise<void> {
    const team = baseline.metadata.team ?? '';
    const name = baseline.metadata.name;
    const memory = this.#remember(baseline);
    const now = this.#deps.clock.now();
    memory.lastEvaluatedAt = now;
    let evaluation: Evaluation;
    try {
      evaluation = await this.#run(team, name, memory, now, signal);
    } catch (error) {
      if (isFencedWriteRefused(error)) throw error; // the term is over: the tick stops it
      this.#deps.logger.error({ err: error, team, baseline: name }, 'baseline evaluation failed');
      return;
    }
    if (signal.aborted) return; // the lease is lost: the next leader evaluates and reports
    await this.#report(baseline, evaluation, now);
  }

  /** The memory for this generation: a new spec starts over (its series' risks are carried until told). */
  #remember(baseline: Baseline): BaselineMemory {
    const key = memoryKey(baseline.metadata.team ?? '', baseline.metadata.name);
    const previous = this.#memory.get(key);
    if (previous && previous.generation === baseline.metadata.generation) return previous;
    const carried = new Map(previous?.carried);
    for (const followed of previous?.set?.series.values() ?? [])
      if (followed.reported) carried.set(followed.key, followed);
    const resolved = resolveBaseline(baseline.spec);
    const memory: BaselineMemory = {
      generation: baseline.metadata.generation,
      resolved,
      set: resolved.ok ? new SeriesSet(resolved.baseline) : undefined,
      readUntil: undefined,
      lastEvaluatedAt: undefined,
      reportAll: true,
      carried,
      dropped: 0,
    };
    this.#memory.set(key, memory);
    return memory;
  }

  /** Stages 1-4: resolve, read, check, report to the sink. */
  async #run(
    team: string,
    name: string,
    memory: BaselineMemory,
    now: number,
    signal: AbortSignal,
  ): Promise<Evaluation> {
    // 1. resolve
    if (!memory.resolved.ok || !memory.set)
      return failed(
        BaselineReason.InvalidSpec,
        memory.resolved.ok
          ? 'no series set'
          : memory.resolved.errors.map((e) => `${e.path} ${e.message}`).join('; '),
      );
    const baseline = memory.resolved.baseline;
    const source = await resolveMetricsSource(
      this.#deps.repository,
      this.#deps.secrets,
      team,
      baseline.source,
    );
    if (!source.ok) return failed(source.reason, source.message);
    // 2. read: the whole lookback the first time (or after falling further behind), then the new steps
    const end = Math.floor(now / baseline.stepMs) * baseline.stepMs;
    const fresh = memory.readUntil === undefined || end - memory.readUntil > baseline.lookbackMs;
    const start = fresh ? end - baseline.lookbackMs : memory.readUntil! + baseline.stepMs;
    const reading = start <= end; // an interval shorter than the step may find no new step yet
    if (reading) {
      const read = await queryRangeInPieces(
        this.#prometheus,
        source.source,
        baseline.query,
        start,
        end,
        baseline.stepMs,
        MAX_POINTS_PER_QUERY,
      );
      if (!read.ok) return failed(read.reason, read.message);
      if (signal.aborted) return failed(BaselineReason.Evaluated, 'lease lost');
      // 3. check
      const fed = memory.set.feed(read.series, end);
      memory.dropped = fed.dropped;
      memory.readUntil = end;
      for (const stale of fed.stale) if (stale.reported) memory.carried.set(stale.key, stale);
    }
    // 4. report (nothing new read and nothing owed: the sink already knows)
    try {
      if (reading || memory.reportAll || memory.carried.size > 0)
        await this.#tellSink(team, name, baseline, memory, now);
    } catch (error) {
      // A risk write refused: this term is over (ADR 0028), nothing is reported as failed.
      if (isFencedWriteRefused(error)) throw error;
      memory.reportAll = true;
      return failed(
        BaselineReason.SinkFailed,
        `reporting risks failed; every series is reported again next evaluation: ${(error as Error).message}`,
      );
    }
    const counts = { checked: memory.set.series.size, deviating: memory.set.deviating() };
    if (memory.dropped > 0)
      return {
        condition: {
          status: ConditionStatus.False,
          reason: BaselineReason.TooManySeries,
          message: `more than maxSeries ${baseline.maxSeries} series: ${memory.dropped} dropped`,
        },
        counts,
      };
    return {
      condition: {
        status: ConditionStatus.True,
        reason: BaselineReason.Evaluated,
        message: `${counts.checked} series checked, ${counts.deviating} deviating`,
      },
      counts,
    };
  }

  /**
   * Deviating series are observed at every evaluation (their points and band move); a series that stopped
   * deviating, went stale or belongs to an old spec is observed once with nothing, which closes its risk.
   * At the first evaluation of a term every series is observed, so what changed while no server led is
   * set right.
   */
  async #tellSink(
    team: string,
    name: string,
    baseline: ResolvedBaseline,
    memory: BaselineMemory,
    now: number,
  ): Promise<void> {
    const at = new Date(now);
    const source = (check: string): RiskSource => ({ team, kind: 'Baseline', name, check });
    for (const followed of memory.set!.series.values()) {
      const deviating = followed.monitor.deviating;
      if (deviating) {
        await this.#deps.sink.observe(
          source(followed.key),
          [observationOf(name, baseline, followed)],
          at,
          this.#fence,
        );
      } else if (followed.reported || memory.reportAll || memory.carried.has(followed.key)) {
        await this.#deps.sink.observe(source(followed.key), [], at, this.#fence);
      }
      followed.reported = deviating;
      memory.carried.delete(followed.key);
    }
    for (const carried of memory.carried.values())
      await this.#deps.sink.observe(source(carried.key), [], at, this.#fence);
    memory.carried.clear();
    memory.reportAll = false;
  }

  async #closeAll(team: string, name: string, series: FollowedSeries[]): Promise<void> {
    const at = new Date(this.#deps.clock.now());
    for (const followed of series) {
      if (!followed.reported) continue;
      try {
        await this.#deps.sink.observe(
          { team, kind: 'Baseline', name, check: followed.key },
          [],
          at,
          this.#fence,
        );
      } catch (error) {
        this.#deps.logger.warn(
          { err: error, team, baseline: name },
          'closing a deleted baseline’s risk failed',
        );
      }
    }
  }

  /** Stage 5: status and events, only on a transition (reason, status, counts or generation). */
  async #report(baseline: Baseline, evaluation: Evaluation, now: number): Promise<void> {
    const team = baseline.metadata.team ?? '';
    const name = baseline.metadata.name;
    const generation = baseline.metadata.generation;
    // Read the stored object again: an earlier evaluation of this term may have written its status.
    const stored =
      ((await this.#deps.repository.get({ kind: 'Baseline', team, name })) as Baseline | undefined) ??
      baseline;
    const previous = findCondition(stored.status?.conditions, BaselineCondition.Evaluating);
    const next: ConditionUpdate = {
      type: BaselineCondition.Evaluating,
      ...evaluation.condition,
      observedGeneration: generation,
    };
    const counts = evaluation.counts ?? stored.status?.series;
    const moved = !previous || previous.status !== next.status || previous.reason !== next.reason;
    const countsMoved =
      stored.status?.series?.checked !== counts?.checked ||
      stored.status?.series?.deviating !== counts?.deviating;
    if (!moved && !countsMoved && stored.status?.observedGeneration === generation) return;
    if (moved) this.#recordTransition(team, name, previous, next);
    const conditions: Condition[] = setCondition(stored.status?.conditions, next, now);
    try {
      await this.#deps.resources.replaceStatus(
        this.#caller,
        'Baseline',
        team,
        name,
        {
          apiVersion: stored.apiVersion,
          kind: 'Baseline',
          metadata: { name, resourceVersion: stored.metadata.resourceVersion },
          status: { observedGeneration: generation, conditions, ...(counts ? { series: counts } : {}) },
        },
        this.#fence ? { fence: this.#fence } : {},
      );
    } catch (error) {
      // Changed or deleted since read: the next evaluation compares with what is stored and writes then.
      if (error instanceof ConflictError || error instanceof NotFoundError) return;
      throw error;
    }
  }

  #recordTransition(
    team: string,
    name: string,
    previous: Condition | undefined,
    next: ConditionUpdate,
  ): void {
    const regarding = { kind: 'Baseline', name, team };
    if (next.status === ConditionStatus.False) {
      this.#deps.recorder.record(
        { type: 'Warning', reason: next.reason, message: next.message, regarding, actor: ACTOR },
        this.#scope,
      );
    } else if (previous?.status === ConditionStatus.False) {
      this.#deps.recorder.record(
        {
          type: 'Normal',
          reason: BaselineEventReason.EvaluationRecovered,
          message: `evaluating again after ${previous.reason}: ${next.message}`,
          regarding,
          actor: ACTOR,
        },
        this.#scope,
      );
    }
  }
}

function failed(reason: BaselineReason, message: string): Evaluation {
  return { condition: { status: ConditionStatus.False, reason, message }, counts: undefined };
}

function memoryKey(team: string, name: string): string {
  return `${team}/${name}`;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
