import type { CelEngine } from '@gantry/delivery';
import { authorize, type Caller } from '@gantry/identity';
import {
  ErrorCodes,
  InputError,
  NotFoundError,
  UnprocessableError,
  type EntityRefRecord,
  type HealingBuiltinTreeList,
  type HealingDryRunMatch,
  type HealingDryRunRequest,
  type HealingDryRunResult,
  type HealingRun,
  type HealingRunList,
  type HealingRunSummary,
  type HealingRunsQuery,
  type HealingScorecardList,
  type HealingRecoveryFigures,
  type HealingStats,
  type HealingWindowQuery,
  queryInteger,
} from '@gantry/model';
import type { AuditRepository, HealingRepository, StoredHealingRun } from '@gantry/store';
import { compileBuiltinTrees } from './admission.ts';
import { BUILTIN_TREES } from './builtin/trees.ts';
import { compilePolicy, compileTree, type CompiledPolicy, type CompiledTree } from './compile.ts';
import { diagnose, type EvidenceProviders } from './diagnosis.ts';
import type { HealingRunData, PolicySource } from './healing-controller.ts';
import { HealingRunService } from './healing-service.ts';
import { PolicyIndex } from './policy-index.ts';
import type { HealingTriggerView, TriggerSource } from './ports.ts';
import { HealingPhase } from './reasons.ts';
import type { EntityResolver } from './store-ports.ts';
import { shadowScorecard } from './shadow-scorecard.ts';

const DAY_MS = 86_400_000;
/** Most runs the statistics and the scorecard read in one window (newest first); beyond, `truncated`. */
export const HEALING_STATS_MAX_RUNS = 20_000;
const DRY_RUN_POLICY = 'dry-run';

export interface HealingApiDeps {
  runs: Pick<HealingRepository, 'get' | 'update' | 'list'>;
  /** The compiled policies and trees (`createResourcePolicySource`). */
  policies: PolicySource & { invalid?: ReadonlyMap<string, string> };
  triggers: TriggerSource;
  entities: Pick<EntityResolver, 'resolve'>;
  evidence: EvidenceProviders;
  engine: CelEngine;
  audit: Pick<AuditRepository, 'record'>;
  now: () => number;
  /** Wakes the healing controller after a decision (it polls besides). */
  onDecided?: () => void;
  maxStatsRuns?: number;
  /**
   * The health statistics' time to recovery (`StatsService.recovery` of `@gantry/health`), for MTTR with
   * and without healing; absent, the statistics leave `recovery` out.
   */
  recovery?: {
    recovery(
      team: string,
      from: string,
      to: string,
      exceptions: { include?: readonly string[]; exclude?: readonly string[] },
    ): Promise<HealingRecoveryFigures>;
  };
}

/**
 * What the API serves of self-healing (ADR 0037): runs as records with every caller's access checked
 * (read for listing, write for deciding an approval; each decision an audit entry with who and why), the
 * shadow scorecard, statistics over a window, and the dry run — a policy (stored, or given unsaved with
 * its tree) walked against a trigger with live evidence, acting on nothing.
 */
export class HealingApi {
  readonly #deps: HealingApiDeps;
  readonly #service: HealingRunService;
  readonly #builtins: Map<string, CompiledTree>;

  constructor(deps: HealingApiDeps) {
    this.#deps = deps;
    this.#service = new HealingRunService({
      runs: deps.runs,
      now: deps.now,
      ...(deps.onDecided ? { onDecided: deps.onDecided } : {}),
    });
    this.#builtins = compileBuiltinTrees(deps.engine);
  }

  async list(caller: Caller, team: string, query: HealingRunsQuery): Promise<HealingRunList> {
    authorize(caller.principal, 'read', team, `healing runs in team ${team}`);
    const page = await this.#service.list({
      team,
      limit: queryInteger(query.limit, 'limit', 100, 500),
      ...(query.policy ? { policy: query.policy } : {}),
      ...(query.phase ? { phase: query.phase } : {}),
      ...(query.entity ? { entity: query.entity } : {}),
      ...(query.state && query.state !== 'all' ? { active: query.state === 'active' } : {}),
      ...(query.since ? { since: iso(query.since, 'since') } : {}),
      ...(query.until ? { until: iso(query.until, 'until') } : {}),
      ...(query.continue ? { continue: query.continue } : {}),
    });
    return { items: page.items.map(summary), ...(page.continue ? { continue: page.continue } : {}) };
  }

  async get(caller: Caller, team: string, id: string): Promise<HealingRun> {
    authorize(caller.principal, 'read', team, `healing runs in team ${team}`);
    return detail(await this.#service.get(team, id));
  }

  /** The built-in trees as specs (`builtin/<name>`), for the console to draw. */
  builtinTrees(): HealingBuiltinTreeList {
    return {
      items: Object.entries(BUILTIN_TREES)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([name, spec]) => ({ name: `builtin/${name}`, spec })),
    };
  }

  /** Approves or rejects the action a run waits for; 409 GANTRY_E_HEALING_RUN_STATE when it does not wait. */
  async decide(
    caller: Caller,
    team: string,
    id: string,
    decision: 'approved' | 'rejected',
    reason: string,
  ): Promise<HealingRun> {
    authorize(caller.principal, 'write', team, `healing runs in team ${team}`);
    const run = await this.#service.decide(team, id, decision, caller.principal.username, reason);
    const data = run.data as unknown as HealingRunData;
    await this.#deps.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: decision === 'approved' ? 'approve' : 'reject',
      kind: 'HealingRun',
      team,
      name: id,
      after: { reason, action: data.approvals.at(-1)?.action, policy: run.policy, entity: run.entity },
    });
    return detail(run);
  }

  /** The shadow-mode scorecard of every policy of the team in shadow mode or with shadow runs in the window. */
  async scorecard(caller: Caller, team: string, query: HealingWindowQuery): Promise<HealingScorecardList> {
    authorize(caller.principal, 'read', team, `healing runs in team ${team}`);
    const window = this.#window(query);
    const { runs } = await this.#runsIn(team, window, query.policy, HealingPhase.Shadowed);
    const cards = new Map((await shadowScorecard(runs, this.#deps.triggers)).map((c) => [c.policy, c]));
    const modes = new Map(
      (await this.#teamPolicies(team)).map((policy) => [policy.name, policy.spec.guardrails.mode]),
    );
    for (const [name, mode] of modes)
      if (mode === 'Shadow' && !cards.has(name) && (!query.policy || query.policy === name))
        cards.set(name, {
          policy: name,
          runs: 0,
          wouldRun: {},
          resolvedWithoutAction: 0,
          stillActive: 0,
          diagnosisIncomplete: 0,
        });
    return {
      since: window.since,
      until: window.until,
      items: [...cards.values()]
        .sort((x, y) => x.policy.localeCompare(y.policy))
        .map((card) => {
          const mode = modes.get(card.policy);
          return { ...card, ...(mode ? { mode } : {}) };
        }),
    };
  }

  /** Runs by outcome and root cause, the share healed without a person, time to recovery, escalations, actions. */
  async stats(caller: Caller, team: string, query: HealingWindowQuery): Promise<HealingStats> {
    authorize(caller.principal, 'read', team, `healing runs in team ${team}`);
    const window = this.#window(query);
    const { runs, truncated } = await this.#runsIn(team, window, query.policy);
    const byOutcome: Record<string, number> = {};
    const causes = new Map<string, { rootCause: string; runs: number; healed: number }>();
    const escalations: Record<string, number> = {};
    const actions = new Map<string, { action: string; started: number; succeeded: number; failed: number }>();
    const recoveries: number[] = [];
    let active = 0;
    let healed = 0;
    let handed = 0;
    for (const run of runs) {
      const data = run.data as unknown as HealingRunData;
      if (!run.endedAt) active += 1;
      else byOutcome[run.phase] = (byOutcome[run.phase] ?? 0) + 1;
      const rootCause = data.diagnosis ? (data.diagnosis.conclusion?.rootCause ?? 'Unknown') : 'Undiagnosed';
      const cause = causes.get(rootCause) ?? { rootCause, runs: 0, healed: 0 };
      causes.set(rootCause, cause);
      cause.runs += 1;
      if (run.phase === HealingPhase.Healed) {
        cause.healed += 1;
        healed += 1;
        const recovered = Date.parse(run.endedAt ?? run.updatedAt) - Date.parse(data.trigger.since);
        if (Number.isFinite(recovered) && recovered >= 0) recoveries.push(recovered);
      }
      if (run.phase === HealingPhase.Escalated) {
        escalations[run.reason] = (escalations[run.reason] ?? 0) + 1;
        if (run.mode !== 'Shadow') handed += 1;
      }
      if (run.phase === HealingPhase.Rejected) handed += 1;
      for (const action of data.actions) {
        const entry = actions.get(action.action) ?? {
          action: action.action,
          started: 0,
          succeeded: 0,
          failed: 0,
        };
        actions.set(action.action, entry);
        entry.started += 1;
        if (action.state === 'succeeded') entry.succeeded += 1;
        if (action.state === 'failed') entry.failed += 1;
      }
    }
    recoveries.sort((a, b) => a - b);
    const recovery = await this.#recovery(team, window, runs);
    const p50 = quantile(recoveries, 0.5);
    const p90 = quantile(recoveries, 0.9);
    return {
      team,
      since: window.since,
      until: window.until,
      runs: runs.length,
      active,
      byOutcome,
      byRootCause: [...causes.values()].sort(
        (x, y) => y.runs - x.runs || x.rootCause.localeCompare(y.rootCause),
      ),
      autoHealed: {
        healed,
        handedToPeople: handed,
        ...(healed + handed > 0 ? { share: healed / (healed + handed) } : {}),
      },
      timeToRecovery: {
        count: recoveries.length,
        ...(p50 !== undefined ? { p50Ms: p50 } : {}),
        ...(p90 !== undefined ? { p90Ms: p90 } : {}),
      },
      ...(recovery ? { recovery } : {}),
      escalations: {
        total: Object.values(escalations).reduce((sum, n) => sum + n, 0),
        byReason: escalations,
      },
      actions: [...actions.values()]
        .sort((x, y) => x.action.localeCompare(y.action))
        .map((entry) => {
          const ended = entry.succeeded + entry.failed;
          return { ...entry, ...(ended > 0 ? { successRate: entry.succeeded / ended } : {}) };
        }),
      truncated,
    };
  }

  /**
   * Which policy matches a trigger, the diagnosis path with live evidence, and what it would do — acting
   * on nothing and writing nothing (diagnostic jobs a tree names are read-only by contract and do run).
   */
  async dryRun(caller: Caller, team: string, request: HealingDryRunRequest): Promise<HealingDryRunResult> {
    // Write: the evidence may run the team's diagnostic jobs on its hosts.
    authorize(caller.principal, 'write', team, `healing dry runs in team ${team}`);
    const now = this.#deps.now();
    const { policies, tree } = await this.#dryRunPolicies(team, request);
    const trigger = await this.#dryRunTrigger(team, request, now);
    const index = new PolicyIndex(policies);
    const matches: HealingDryRunMatch[] = [];
    for (const match of index.match(trigger)) {
      const compiled = tree(match.policy.spec.diagnosis.tree);
      if (!compiled) continue; // compilePolicy refused policies whose tree is missing
      const diagnosis = await diagnose(
        compiled,
        { team, entity: match.entity, trigger, at: Date.parse(trigger.since) },
        this.#deps.evidence,
        { now: this.#deps.now },
      );
      matches.push({
        policy: match.policy.name,
        mode: match.policy.spec.guardrails.mode,
        entity: match.entity,
        diagnosis,
        ...verdict(match.policy, diagnosis.conclusion?.action, diagnosis.conclusion?.rootCause),
      });
    }
    return { considered: policies.map((p) => p.name), matches, guardrailsChecked: false };
  }

  async #dryRunPolicies(
    team: string,
    request: HealingDryRunRequest,
  ): Promise<{ policies: CompiledPolicy[]; tree: (name: string) => CompiledTree | undefined }> {
    const stored = (name: string) => this.#deps.policies.tree(team, name);
    if (request.spec) {
      let unsaved: CompiledTree | undefined;
      if (request.tree) {
        const compiled = compileTree(this.#deps.engine, request.tree.name, request.tree.spec);
        if (!compiled.ok)
          throw new UnprocessableError(
            'the tree of the dry run is not valid',
            prefix(compiled.errors, '/tree'),
            ErrorCodes.diagnosisTree,
          );
        unsaved = compiled.value;
      }
      const lookup = (name: string) =>
        unsaved && request.tree?.name === name ? unsaved : (this.#builtins.get(name) ?? stored(name));
      const name = request.policy ?? DRY_RUN_POLICY;
      const compiled = compilePolicy(this.#deps.engine, team, name, request.spec, lookup);
      if (!compiled.ok)
        throw new UnprocessableError(
          'the policy of the dry run is not valid',
          compiled.errors,
          ErrorCodes.healingPolicy,
        );
      // A suspended policy is tried all the same: the dry run asks what it would do.
      return {
        policies: [{ ...compiled.value, spec: { ...compiled.value.spec, suspend: false } }],
        tree: lookup,
      };
    }
    const lookup = (name: string) => this.#builtins.get(name) ?? stored(name);
    const all = await this.#teamPolicies(team);
    if (!request.policy) return { policies: all, tree: lookup };
    const named = all.find((p) => p.name === request.policy);
    if (!named) {
      const invalid = this.#deps.policies.invalid?.get(`${team}/${request.policy}`);
      if (invalid)
        throw new UnprocessableError(
          `HealingPolicy ${request.policy} does not compile: ${invalid}`,
          [{ path: '/policy', message: invalid }],
          ErrorCodes.healingPolicy,
        );
      throw new NotFoundError(`HealingPolicy ${request.policy} not found in team ${team}`);
    }
    return { policies: [{ ...named, spec: { ...named.spec, suspend: false } }], tree: lookup };
  }

  async #dryRunTrigger(
    team: string,
    request: HealingDryRunRequest,
    now: number,
  ): Promise<HealingTriggerView> {
    const { trigger } = request;
    if (trigger.id !== undefined) {
      if (trigger.binding !== undefined || trigger.entities !== undefined)
        throw new InputError(
          'give a trigger either by id or inline (binding and entities), not both',
          [{ path: '/trigger', message: 'id together with binding or entities' }],
          ErrorCodes.invalid,
        );
      const live = await this.#deps.triggers.get(team, trigger.kind, trigger.id);
      if (!live) throw new NotFoundError(`${trigger.kind} ${trigger.id} not found in team ${team}`);
      return live;
    }
    if (!trigger.binding || !trigger.entities || trigger.entities.length === 0)
      throw new InputError(
        'an inline trigger needs binding and at least one entity',
        [{ path: trigger.binding ? '/trigger/entities' : '/trigger/binding', message: 'is required' }],
        ErrorCodes.invalid,
      );
    const refs: EntityRefRecord[] = trigger.entities.map((e) => ({
      kind: e.kind,
      name: e.name,
      ...(e.cluster !== undefined ? { cluster: e.cluster } : {}),
      ...(e.namespace !== undefined ? { namespace: e.namespace } : {}),
    }));
    return {
      kind: trigger.kind,
      team,
      id: DRY_RUN_POLICY,
      active: true,
      since: new Date(now).toISOString(),
      entities: await this.#deps.entities.resolve(team, refs),
      binding: trigger.binding,
      alerts: trigger.alerts ?? [],
    };
  }

  async #teamPolicies(team: string): Promise<CompiledPolicy[]> {
    return (await this.#deps.policies.policies()).filter((policy) => policy.team === team);
  }

  /** MTTR with and without healing: the window's episodes split by the exceptions a run healed. */
  async #recovery(
    team: string,
    window: { since: string; until: string },
    runs: readonly StoredHealingRun[],
  ): Promise<HealingStats['recovery']> {
    if (!this.#deps.recovery) return undefined;
    const healed = [
      ...new Set(
        runs
          .filter((run) => run.phase === HealingPhase.Healed && run.triggerKind === 'exception')
          .map((run) => (run.data as unknown as HealingRunData).trigger.id),
      ),
    ];
    const [withHealing, withoutHealing] = await Promise.all([
      this.#deps.recovery.recovery(team, window.since, window.until, { include: healed }),
      this.#deps.recovery.recovery(team, window.since, window.until, { exclude: healed }),
    ]);
    return { withHealing, withoutHealing };
  }

  #window(query: HealingWindowQuery): { since: string; until: string } {
    const until = query.until ? iso(query.until, 'until') : new Date(this.#deps.now()).toISOString();
    const since = query.since
      ? iso(query.since, 'since')
      : new Date(Date.parse(until) - 7 * DAY_MS).toISOString();
    if (since >= until)
      throw new InputError(
        'since must be before until',
        [{ path: 'querystring/since', message: 'is not before until' }],
        ErrorCodes.invalid,
      );
    return { since, until };
  }

  async #runsIn(
    team: string,
    window: { since: string; until: string },
    policy: string | undefined,
    phase?: string,
  ): Promise<{ runs: StoredHealingRun[]; truncated: boolean }> {
    const max = this.#deps.maxStatsRuns ?? HEALING_STATS_MAX_RUNS;
    const runs: StoredHealingRun[] = [];
    let after: { createdAt: string; id: string } | undefined;
    for (;;) {
      const page = await this.#deps.runs.list({
        team,
        since: window.since,
        until: window.until,
        limit: Math.min(1000, max - runs.length),
        ...(policy ? { policy } : {}),
        ...(phase ? { phase } : {}),
        ...(after ? { after } : {}),
      });
      runs.push(...page.items);
      if (!page.next) return { runs, truncated: false };
      if (runs.length >= max) return { runs, truncated: true };
      after = page.next;
    }
  }
}

/** What the controller's decide stage would do with the conclusion's action (guardrails aside). */
function verdict(
  policy: CompiledPolicy,
  actionName: string | undefined,
  rootCause: string | undefined,
): Pick<HealingDryRunMatch, 'verdict' | 'action' | 'rung' | 'message'> {
  if (!actionName)
    return { verdict: 'incomplete', message: 'the diagnosis concluded nothing: the run would escalate' };
  if (actionName === 'none') return { verdict: 'none', message: `${rootCause}: nothing to do` };
  if (actionName === 'escalate')
    return { verdict: 'escalate', message: `${rootCause}: the tree says a person decides` };
  const action = policy.actions.get(actionName);
  const rung = policy.rungs.findIndex((r) => r.action === actionName);
  if (!action)
    return { verdict: 'escalate', rung, message: `no action ${actionName}: the run would escalate` };
  if (policy.spec.guardrails.mode === 'Shadow')
    return { verdict: 'shadow', action, rung, message: `shadow mode: would record ${actionName} only` };
  if (action.risky)
    return {
      verdict: 'awaitApproval',
      action,
      rung,
      message: `${actionName} is risky: a person approves first`,
    };
  return { verdict: 'act', action, rung, message: `${rootCause}: would run ${actionName}` };
}

function summary(run: StoredHealingRun): HealingRunSummary {
  const data = run.data as unknown as HealingRunData;
  const pending = run.phase === HealingPhase.AwaitingApproval ? data.approvals.at(-1) : undefined;
  const rootCause = data.diagnosis?.conclusion?.rootCause;
  return {
    id: run.id,
    team: run.team,
    policy: run.policy,
    triggerKind: run.triggerKind as HealingRunSummary['triggerKind'],
    triggerId: data.trigger.id,
    entity: run.entity,
    domain: run.domain,
    mode: run.mode as HealingRunSummary['mode'],
    phase: run.phase as HealingRunSummary['phase'],
    inFlight: run.inFlight,
    rung: run.rung,
    reason: run.reason,
    message: run.message,
    ...(run.outcome !== undefined ? { outcome: run.outcome } : {}),
    ...(rootCause ? { rootCause } : {}),
    ...(data.chosen ? { chosen: data.chosen } : {}),
    ...(pending && !pending.decision
      ? {
          awaitingApproval: {
            action: pending.action,
            requestedAt: pending.requestedAt,
            expiresAt: pending.expiresAt,
          },
        }
      : {}),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    nextAt: run.nextAt,
    ...(run.endedAt ? { endedAt: run.endedAt } : {}),
  };
}

function detail(run: StoredHealingRun): HealingRun {
  const data = run.data as unknown as HealingRunData;
  return {
    ...summary(run),
    trigger: data.trigger as HealingRun['trigger'],
    ...(data.diagnosis ? { diagnosis: data.diagnosis } : {}),
    decisions: data.decisions,
    actions: data.actions,
    verifications: data.verifications,
    approvals: data.approvals,
  };
}

function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function iso(value: string, name: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms))
    throw new InputError(
      `${name} is not a time`,
      [{ path: `querystring/${name}`, message: 'must be RFC 3339' }],
      ErrorCodes.invalid,
    );
  return new Date(ms).toISOString();
}

function prefix(errors: { path: string; message: string }[], at: string) {
  return errors.map((e) => ({ ...e, path: `${at}${e.path}` }));
}
