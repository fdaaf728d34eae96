import type { Clock, EventRecorder, EventTerm } from '@gantry/controllers';
import {
  ConflictError,
  NotFoundError,
  type Condition,
  type InspectionCheckResult,
  type InspectionRunWithResults,
  type InspectionSpec,
  type InspectionStatus,
  type Resource,
} from '@gantry/model';
import type { PrometheusQuerier } from '@gantry/alerts';
import type { CelEngine } from '@gantry/delivery';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import type { RiskRepository, WriteFence } from '@gantry/store';
import type { RiskSink } from '../ports.ts';
import { compileInspection, type InspectionCompile } from './compile-inspection.ts';
import type { InspectionData } from './inspection-data.ts';
import type { MetricsSourceResolver } from './metrics-sources.ts';
import { InspectionCondition, InspectionEventReason } from './reasons.ts';
import { runCheck } from './run-check.ts';
import { TeamSnapshot } from './team-snapshot.ts';

export type InspectionResource = Resource<InspectionSpec, InspectionStatus>;

export interface InspectionRunnerDeps {
  runs: Pick<RiskRepository, 'startRun' | 'finishRun' | 'getRun' | 'openChecks'>;
  sink: RiskSink;
  data: InspectionData;
  prometheus: PrometheusQuerier;
  sources: MetricsSourceResolver;
  resources: Pick<ResourceService, 'replaceStatus'>;
  recorder: EventRecorder;
  engine: CelEngine;
  clock: Pick<Clock, 'now'>;
}

export interface RunRequest {
  trigger: 'schedule' | 'manual';
  /** The cron time a scheduled run is for: claimed once, ever. */
  slot?: number;
  createdBy: string;
  /** Written into the status with the run (the scheduler knows them). */
  schedule?: { lastScheduleTime: string; nextRunTime?: string };
  /**
   * The scheduler's term (ADR 0028): the writes of a scheduled run — its slot, risks, results and finish,
   * status — carry it, refused once it is over.
   */
  fence?: WriteFence;
  /** The scheduler's term, for the run's events (recorded in it; a refusal goes to the term). */
  term?: EventTerm;
  /**
   * The team's objects to judge, shared with the other runs of the scheduler's tick (same team); absent:
   * the run reads its own, at its start.
   */
  snapshot?: TeamSnapshot;
  /**
   * Waited for once the run is claimed, before its checks: the scheduler bounds how many runs do their
   * checks at once (ADR 0024). Resolves with the function that lets the next run in.
   */
  admit?: () => Promise<() => void>;
}

const ACTOR = 'controller/health-inspections';
const SYSTEM: Caller = { principal: SYSTEM_PRINCIPAL, source: ACTOR };
/** Checks of one run that run at once: a run's checks share its data reads. */
const CHECK_CONCURRENCY = 4;

/**
 * One run of an Inspection, in stages: claim (the run record, started now; a scheduled slot already
 * claimed is not run again) → admit (a scheduled run waits for one of the scheduler's work slots) →
 * checks (each to a result, judging the team's objects as of the run's snapshot) → record (results with
 * the run; risks through the RiskSink for checks that reached a verdict, so a failed or empty query
 * neither opens nor closes a risk; open risks of checks no longer in the spec close) → report (status:
 * last run, the ChecksSucceeded condition; a Warning event per failed check).
 */
export class InspectionRunner {
  /** Each Inspection's checks as last compiled, by `team/name`, with the spec they were compiled from. */
  readonly #compiled = new Map<string, { uid: string; spec: string; compiled: InspectionCompile }>();

  constructor(private readonly deps: InspectionRunnerDeps) {}

  async run(
    inspection: InspectionResource,
    request: RunRequest,
  ): Promise<InspectionRunWithResults | undefined> {
    const { name, team = '' } = inspection.metadata;
    const startedAt = this.deps.clock.now();
    if (request.snapshot && request.snapshot.team !== team)
      throw new Error(`a snapshot of team ${request.snapshot.team} given to a run of team ${team}`);
    const compiled = this.#compile(inspection);
    const run = await this.deps.runs.startRun(
      {
        team,
        inspection: name,
        trigger: request.trigger,
        slot: request.slot !== undefined ? new Date(request.slot).toISOString() : null,
        createdBy: request.createdBy,
        startedAt: new Date(startedAt).toISOString(),
      },
      request.fence,
    );
    if (!run) return undefined;
    const release = request.admit ? await request.admit() : undefined;
    try {
      return await this.#checkAndRecord(inspection, request, compiled, run.id, startedAt);
    } finally {
      release?.();
    }
  }

  /**
   * The spec's compiled checks, kept while the spec stays the same (the CEL engine caches programs by
   * text; this keeps the cron, the templates and the checks' shape work too).
   */
  #compile(inspection: InspectionResource): InspectionCompile {
    const { name, team = '', uid = '' } = inspection.metadata;
    const key = `${team}/${name}`;
    const spec = JSON.stringify(inspection.spec);
    const held = this.#compiled.get(key);
    if (held && held.uid === uid && held.spec === spec) return held.compiled;
    const compiled = compileInspection(this.deps.engine, inspection.spec);
    this.#compiled.set(key, { uid, spec, compiled });
    return compiled;
  }

  async #checkAndRecord(
    inspection: InspectionResource,
    request: RunRequest,
    compiled: InspectionCompile,
    runId: string,
    startedAt: number,
  ): Promise<InspectionRunWithResults> {
    const { name, team = '' } = inspection.metadata;
    const run = { id: runId };
    let results: InspectionCheckResult[] = [];
    if (!compiled.ok) {
      // Stored before admission knew better: the run says why, and nothing else happens.
      this.#event(
        inspection,
        'Warning',
        InspectionEventReason.invalid,
        compiled.errors.map((e) => `${e.path} ${e.message}`).join('; '),
        request.term,
      );
    } else {
      const context = {
        team,
        snapshot: request.snapshot ?? new TeamSnapshot(this.deps.data, team, startedAt),
        prometheus: this.deps.prometheus,
        sources: this.deps.sources,
      };
      results = await mapLimit(compiled.inspection.checks, CHECK_CONCURRENCY, (check) =>
        runCheck(check, context),
      );
    }

    const at = new Date(this.deps.clock.now());
    for (const result of results) {
      if (result.outcome !== 'ok' && result.outcome !== 'risks') continue;
      await this.deps.sink.observe(
        { team, kind: 'Inspection', name, check: result.check, runId: run.id },
        result.findings,
        at,
        request.fence,
      );
    }
    if (compiled.ok) {
      const current = new Set(compiled.inspection.checks.map((check) => check.name));
      for (const check of await this.deps.runs.openChecks(team, 'Inspection', name))
        if (!current.has(check))
          await this.deps.sink.observe(
            { team, kind: 'Inspection', name, check, runId: run.id },
            [],
            at,
            request.fence,
          );
    }
    const failed = results.filter((result) => result.outcome === 'failed');
    const state = !compiled.ok || failed.length > 0 ? 'failed' : 'succeeded';
    await this.deps.runs.finishRun(run.id, state, at.toISOString(), results, request.fence);
    for (const result of failed)
      this.#event(
        inspection,
        'Warning',
        InspectionEventReason.checkFailed,
        `check ${result.check}: ${result.reason}: ${result.message}`,
        request.term,
      );
    const finished = (await this.deps.runs.getRun(team, run.id))!;
    await this.#report(inspection, finished, compiled.ok, request);
    return finished;
  }

  async #report(
    inspection: InspectionResource,
    run: InspectionRunWithResults,
    valid: boolean,
    request: RunRequest,
  ): Promise<void> {
    const { name, team = '' } = inspection.metadata;
    const failed = run.results.filter((result) => result.outcome === 'failed');
    const noData = run.results.filter((result) => result.outcome === 'noData');
    const [status, reason, message] = !valid
      ? ([
          'False',
          InspectionCondition.invalid,
          'the spec does not compile; see the InspectionInvalid event',
        ] as const)
      : failed.length > 0
        ? ([
            'False',
            InspectionCondition.checksFailed,
            failed.map((r) => `${r.check}: ${r.reason}: ${r.message}`).join('; '),
          ] as const)
        : noData.length > 0
          ? ([
              'True',
              InspectionCondition.someNoData,
              `no data: ${noData.map((r) => r.check).join(', ')}`,
            ] as const)
          : (['True', InspectionCondition.allRan, `${run.results.length} checks ran`] as const);
    const previous = inspection.status?.conditions?.find((c) => c.type === InspectionCondition.type);
    const condition: Condition = {
      type: InspectionCondition.type,
      status,
      reason,
      message: message.slice(0, 32_000),
      lastTransitionTime:
        previous && previous.status === status
          ? previous.lastTransitionTime
          : (run.finishedAt ?? run.startedAt),
    };
    const next: InspectionStatus = {
      ...inspection.status,
      observedGeneration: inspection.metadata.generation,
      ...(request.schedule ?? {}),
      lastRun: {
        id: run.id,
        state: run.state,
        startedAt: run.startedAt,
        findings: run.counts.findings,
        failed: run.counts.failed,
      },
      conditions: [
        ...(inspection.status?.conditions ?? []).filter((c) => c.type !== InspectionCondition.type),
        condition,
      ],
    };
    try {
      await this.deps.resources.replaceStatus(
        SYSTEM,
        'Inspection',
        team,
        name,
        { metadata: { name }, status: next },
        request.fence ? { fence: request.fence } : {},
      );
    } catch (error) {
      // Deleted meanwhile: the run record stays, the status has nowhere to go.
      if (!(error instanceof NotFoundError) && !(error instanceof ConflictError)) throw error;
    }
  }

  #event(
    inspection: InspectionResource,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    term: EventTerm | undefined,
  ): void {
    this.deps.recorder.record(
      {
        type,
        reason,
        message,
        regarding: {
          kind: 'Inspection',
          name: inspection.metadata.name,
          team: inspection.metadata.team ?? '',
        },
        actor: ACTOR,
      },
      term,
    );
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      out[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
