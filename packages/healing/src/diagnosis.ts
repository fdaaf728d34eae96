import type { DiagnosisConclusion, DiagnosisEvidence } from '@gantry/model';
import { celToJson, type CelEvalResult } from '@gantry/delivery';
import type { CompiledOutcome, CompiledTree } from './compile.ts';
import { durationMs } from './duration.ts';
import type { HealingEntity, HealingTriggerView } from './ports.ts';
import { fillPlaceholders } from './template.ts';

/** What an evidence provider answers: a value for CEL, or why there is none. Never throws for the world. */
export type EvidenceResult =
  { ok: true; value: Record<string, unknown> } | { ok: false; reason: string; message: string };

/** Where evidence comes from; each behind an interface (see `evidence.ts` for the store-backed ones). */
export interface EvidenceProviders {
  promql(team: string, source: string, query: string, at: number): Promise<EvidenceResult>;
  inventory(
    team: string,
    entity: HealingEntity,
    object: NonNullable<DiagnosisEvidence['inventory']>['object'],
  ): Promise<EvidenceResult>;
  events(
    team: string,
    entity: HealingEntity,
    since: number,
    until: number,
    reason?: string,
  ): Promise<EvidenceResult>;
  changes(team: string, entity: HealingEntity, since: number, until: number): Promise<EvidenceResult>;
  heartbeat(team: string, entity: HealingEntity, at: number): Promise<EvidenceResult>;
  job(
    team: string,
    entity: HealingEntity,
    template: string,
    parameters: Record<string, string | number | boolean>,
    timeoutMs: number,
  ): Promise<EvidenceResult>;
  alerts(team: string, trigger: HealingTriggerView): Promise<EvidenceResult>;
}

/** Why a diagnosis stopped without a conclusion. */
export const DiagnosisReason = {
  Concluded: 'Concluded',
  /** An evidence query failed: the diagnosis names it and does not guess. */
  EvidenceFailed: 'EvidenceFailed',
  /** A branch's CEL erred or did not give a bool. */
  BranchFailed: 'BranchFailed',
  /** More steps than the limit (a guard; admission refuses cycles). */
  TooManySteps: 'TooManySteps',
} as const;
export type DiagnosisReason = (typeof DiagnosisReason)[keyof typeof DiagnosisReason];

export interface EvidenceRecord {
  name: string;
  type: string;
  /** The query or object as resolved for this entity (placeholders filled). */
  query?: string;
  ok: boolean;
  value?: Record<string, unknown>;
  reason?: string;
  message?: string;
  /** The provider's time, excluded from the engine's own. */
  durationMs: number;
}

export interface PathEntry {
  step: string;
  /** The branch taken (its index), or `otherwise`. */
  branch: number | 'otherwise';
  /** Each branch tried in this step and what it gave. */
  tried: { index: number; when: string; result: boolean | string }[];
  next?: string;
}

export interface Diagnosis {
  tree: string;
  reason: DiagnosisReason;
  message: string;
  path: PathEntry[];
  evidence: EvidenceRecord[];
  conclusion?: DiagnosisConclusion;
  /** The conclusion's supporting evidence values. */
  supporting?: Record<string, unknown>;
  /** The evidence step or branch that failed. */
  failed?: { evidence?: string; step?: string; branch?: number; reason: string; message: string };
  startedAt: string;
  finishedAt: string;
  /** Time spent in the engine itself, evidence providers excluded. */
  engineMs: number;
}

export interface DiagnoseInput {
  team: string;
  entity: HealingEntity;
  trigger: HealingTriggerView;
  /** The trigger's time: evidence windows end here. */
  at: number;
}

export interface DiagnoseOptions {
  now: () => number;
  maxSteps?: number;
}

/**
 * Walks a compiled tree from its root. Each branch's evidence is collected on first use (once per
 * diagnosis), then its CEL is evaluated; the first true branch is taken, else `otherwise`. The path and
 * every value seen are kept. An evidence query that fails, or a branch that errs, ends the diagnosis
 * there with what failed: no conclusion is guessed.
 */
export async function diagnose(
  tree: CompiledTree,
  input: DiagnoseInput,
  providers: EvidenceProviders,
  options: DiagnoseOptions,
): Promise<Diagnosis> {
  const started = performance.now();
  let providerMs = 0;
  const startedAt = new Date(options.now()).toISOString();
  const collected = new Map<string, EvidenceRecord>();
  const values: Record<string, unknown> = {};
  const path: PathEntry[] = [];
  const entityBinding = {
    kind: input.entity.kind,
    name: input.entity.name,
    cluster: input.entity.cluster ?? '',
    namespace: input.entity.namespace ?? '',
    node: input.entity.node ?? '',
    host: input.entity.host ?? '',
    domain: input.entity.domain,
    labels: input.entity.labels,
  };
  const triggerBinding = {
    kind: input.trigger.kind,
    id: input.trigger.id,
    since: input.trigger.since,
    active: input.trigger.active,
  };

  const finish = (
    reason: DiagnosisReason,
    message: string,
    extra: Partial<Pick<Diagnosis, 'conclusion' | 'supporting' | 'failed'>> = {},
  ): Diagnosis => ({
    tree: tree.name,
    reason,
    message,
    path,
    evidence: [...collected.values()],
    ...extra,
    startedAt,
    finishedAt: new Date(options.now()).toISOString(),
    engineMs: Math.max(0, Math.round((performance.now() - started - providerMs) * 1000) / 1000),
  });

  const collect = async (name: string): Promise<EvidenceRecord> => {
    const known = collected.get(name);
    if (known) return known;
    const evidence = tree.evidence.get(name)!;
    const before = performance.now();
    const { type, query, result } = await fetchEvidence(evidence.spec, input, providers);
    const spent = performance.now() - before;
    providerMs += spent;
    const record: EvidenceRecord = {
      name,
      type,
      ...(query !== undefined ? { query } : {}),
      ok: result.ok,
      ...(result.ok ? { value: result.value } : { reason: result.reason, message: result.message }),
      durationMs: Math.round(spent * 1000) / 1000,
    };
    collected.set(name, record);
    if (result.ok) values[evidence.key] = result.value;
    return record;
  };

  const maxSteps = options.maxSteps ?? tree.steps.size + 1;
  let current = tree.root;
  for (let count = 0; count < maxSteps; count += 1) {
    const step = tree.steps.get(current)!;
    const entry: PathEntry = { step: step.name, branch: 'otherwise', tried: [] };
    path.push(entry);
    let taken: CompiledOutcome | undefined;
    for (const [index, branch] of step.branches.entries()) {
      for (const name of branch.evidence) {
        const record = await collect(name);
        if (!record.ok)
          return finish(
            DiagnosisReason.EvidenceFailed,
            `evidence ${name} failed (${record.reason}): ${record.message}`,
            {
              failed: {
                evidence: name,
                step: step.name,
                branch: index,
                reason: record.reason!,
                message: record.message!,
              },
            },
          );
      }
      // A new bindings object per evaluation: the CEL engine caches the converted form per object.
      const evaluated = branch.when.evaluate({
        evidence: { ...values },
        entity: entityBinding,
        trigger: triggerBinding,
      });
      if (!evaluated.ok || typeof evaluated.value !== 'boolean') {
        const message = evaluated.ok ? `gave ${describe(evaluated.value)}, not a bool` : evaluated.message;
        entry.tried.push({ index, when: branch.when.source, result: message });
        return finish(DiagnosisReason.BranchFailed, `step ${step.name}, branch ${index}: ${message}`, {
          failed: { step: step.name, branch: index, reason: DiagnosisReason.BranchFailed, message },
        });
      }
      const result = evaluated.value === true;
      entry.tried.push({ index, when: branch.when.source, result });
      if (result) {
        entry.branch = index;
        taken = branch.outcome;
        break;
      }
    }
    taken ??= step.otherwise;
    if ('conclude' in taken) {
      const supporting: Record<string, unknown> = {};
      for (const name of taken.conclude.supporting) {
        const record = await collect(name);
        supporting[name] = record.ok ? record.value : { failed: record.reason, message: record.message };
      }
      return finish(
        DiagnosisReason.Concluded,
        `${taken.conclude.rootCause}: ${taken.conclude.summary ?? `action ${taken.conclude.action}`}`,
        { conclusion: taken.conclude, supporting },
      );
    }
    entry.next = taken.next;
    current = taken.next;
  }
  return finish(DiagnosisReason.TooManySteps, `more than ${maxSteps} steps`);
}

async function fetchEvidence(
  spec: DiagnosisEvidence,
  input: DiagnoseInput,
  providers: EvidenceProviders,
): Promise<{ type: string; query?: string; result: EvidenceResult }> {
  const { team, entity, trigger, at } = input;
  const fill = (text: string) => fillPlaceholders(text, entity, trigger.id);
  try {
    if (spec.promql) {
      const query = fill(spec.promql.query);
      return { type: 'promql', query, result: await providers.promql(team, spec.promql.source, query, at) };
    }
    if (spec.inventory)
      return {
        type: 'inventory',
        query: spec.inventory.object,
        result: await providers.inventory(team, entity, spec.inventory.object),
      };
    if (spec.events)
      return {
        type: 'events',
        query: spec.events.window,
        result: await providers.events(
          team,
          entity,
          at - durationMs(spec.events.window),
          at,
          spec.events.reason,
        ),
      };
    if (spec.changes)
      return {
        type: 'changes',
        query: spec.changes.window,
        result: await providers.changes(team, entity, at - durationMs(spec.changes.window), at),
      };
    if (spec.heartbeat) return { type: 'heartbeat', result: await providers.heartbeat(team, entity, at) };
    if (spec.job) {
      const parameters = Object.fromEntries(
        Object.entries(spec.job.parameters).map(([key, value]) => [
          key,
          typeof value === 'string' ? fill(value) : value,
        ]),
      );
      return {
        type: 'job',
        query: spec.job.template,
        result: await providers.job(
          team,
          entity,
          spec.job.template,
          parameters,
          durationMs(spec.job.timeout),
        ),
      };
    }
    return { type: 'alerts', result: await providers.alerts(team, trigger) };
  } catch (error) {
    // A provider that throws (the store unreachable) is a failed query, reported as such.
    return {
      type: 'unknown',
      result: {
        ok: false,
        reason: 'ProviderError',
        message: error instanceof Error ? error.message : String(error),
      },
    };
  }
}

function describe(value: Extract<CelEvalResult, { ok: true }>['value']): string {
  const json = celToJson(value);
  return json.ok ? JSON.stringify(json.value) : 'a value without a JSON form';
}
