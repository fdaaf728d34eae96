import { randomUUID } from 'node:crypto';
import type { EventRecorder, EventSubject } from '@gantry/controllers';
import type { DiagnosisSubject, HealingAction } from '@gantry/model';
import {
  isFencedWriteRefused,
  type FencedWriteRefused,
  type HealingLedgerEntry,
  type HealingRepository,
  type HealingRunPatch,
  type StoredHealingRun,
  type WriteFence,
} from '@gantry/store';
import { changesFleet } from './actuator.ts';
import { approvalChannels, type ApprovalNotifier } from './approval-notice.ts';
import type { CompiledPolicy, CompiledTree } from './compile.ts';
import { durationMs } from './duration.ts';
import { diagnose, type Diagnosis, type EvidenceProviders } from './diagnosis.ts';
import { PolicyIndex } from './policy-index.ts';
import {
  entityKey,
  type ConditionSubjects,
  type DisruptionBudgetPort,
  type DomainHealth,
  type EntityReader,
  type HealingActuator,
  type HealingEntity,
  type HealingOutcomePort,
  type HealingTriggerView,
  type SignalHealth,
  type SignalVerdict,
  type TriggerSource,
} from './ports.ts';
import { HealingPhase, HealingReason, HealingStage, TERMINAL_PHASES } from './reasons.ts';

/**
 * How long an action may stay between its claim and its handle before another look takes it for
 * abandoned (the server died in between) and calls the actuator again with the same key.
 */
const STARTING_GRACE_MS = 5_000;

/**
 * Evidence failures that mean the source itself does not answer (the Prometheus querier's
 * `SourceUnreachable`: refused, timed out, no API body), not that one query was wrong.
 */
const SOURCE_DOWN_REASONS: ReadonlySet<string> = new Set(['SourceUnreachable']);

/** The policies and trees the controller works with, compiled (see `createResourcePolicySource`). */
export interface PolicySource {
  policies(): Promise<readonly CompiledPolicy[]>;
  tree(team: string, name: string): CompiledTree | undefined;
}

/**
 * A pass woken meanwhile leaves its remaining older runs to the next pass once it has spent this long on
 * them (its new runs are always advanced): a storm's new triggers are matched within about this much of
 * their wake, and the older runs still advance this long in every pass.
 */
const YIELD_AFTER_MS = 250;

export interface HealingControllerDeps {
  runs: Pick<
    HealingRepository,
    'create' | 'get' | 'due' | 'update' | 'claimInFlight' | 'ledgerCount' | 'ledgerCounts'
  >;
  policies: PolicySource;
  triggers: TriggerSource;
  conditions?: ConditionSubjects;
  evidence: EvidenceProviders;
  actuator: HealingActuator;
  signals: SignalHealth;
  domains: DomainHealth;
  entities: EntityReader;
  /** The shared disruption budget; absent, the change engine's own apply stage is the only gate. */
  budget?: DisruptionBudgetPort;
  outcomes?: HealingOutcomePort;
  recorder: EventRecorder;
  now: () => number;
  newId?: () => string;
  /** How soon to look again at a run that waits on something outside it (in flight, rate, a Change). */
  pollMs?: number;
  /** Runs of different entities advanced at once in a pass (8). */
  concurrency?: number;
  /** Tells the ladder's channels that a risky action waits (a link to approve); absent, nobody is told. */
  approvals?: ApprovalNotifier;
  /** Told when each pass starts and ends: reads shared within a pass (`InventoryPassSnapshots`). */
  passScope?: { begin(): void; end(): void };
}

/** One recorded decision of a run: what stage decided what, and why. */
export interface HealingDecision {
  at: string;
  stage: HealingStage;
  reason: HealingReason;
  message: string;
}

export interface HealingActionRecord {
  key: string;
  rung: number;
  action: string;
  startedAt: string;
  deadline: string;
  state: 'starting' | 'running' | 'succeeded' | 'failed';
  handle?: string;
  reason?: string;
  message?: string;
  endedAt?: string;
  verifyAt?: string;
  budgetHeld?: boolean;
}

export interface HealingVerification {
  at: string;
  rung: number;
  healed: boolean;
  reason: HealingReason;
  message: string;
  values: Record<string, unknown>;
}

export interface HealingApproval {
  action: string;
  rung: number;
  requestedAt: string;
  expiresAt: string;
  decision?: 'approved' | 'rejected';
  decidedBy?: string;
  decidedAt?: string;
  /** Why, as the person who decided gave it. */
  reason?: string;
}

/** The JSON of a run's `data`: everything needed to answer "why did it do that?". */
export interface HealingRunData {
  trigger: {
    kind: string;
    id: string;
    since: string;
    entity: HealingEntity;
    bindingSummary: Record<string, unknown>;
  };
  diagnosis?: Diagnosis;
  /** The action the diagnosis chose, and what a shadow run would have done. */
  chosen?: string;
  decisions: HealingDecision[];
  actions: HealingActionRecord[];
  verifications: HealingVerification[];
  approvals: HealingApproval[];
}

type GuardVerdict =
  { ok: true } | { ok: false; then: 'end' | 'wait' | 'escalate'; reason: HealingReason; message: string };

/** What one pass did: runs created and the transitions written (for tests, metrics and the bench). */
export interface HealingPassOutcome {
  matched: number;
  created: number;
  advanced: number;
  superseded: number;
}

const ACTOR = 'controller/healing';

/**
 * The healing controller (ADR 0032): level-triggered over the active triggers and the stored runs. One
 * pass: **match** (every active trigger against the index of policies; a run per policy, trigger and
 * entity, unique while live), then each due run through its stages — **guard** (trigger still active,
 * signals trusted, the domain's healthy share, flapping, retry budget, rate limit), **diagnose** (walk
 * the tree, keep path and values), **decide** (none, escalate, shadow, approval, or act), **act** (take
 * an in-flight slot under the caps, the disruption budget, start through the actuator with a key per
 * run, rung and attempt), **verify** (bake, then the success condition), **escalate** (climb the ladder;
 * its last rung pages). Every write is conditional on the run's version, so two servers never both act.
 */
export class HealingController {
  readonly #deps: HealingControllerDeps;
  readonly #newId: () => string;
  readonly #pollMs: number;
  readonly #concurrency: number;
  /** The pass's term (its fence), and the runs' repository writing with that fence. */
  #term: HealingTerm | undefined;
  #runs: HealingControllerDeps['runs'];
  /** Runs this instance created or found, so a pass does not try to insert them again. */
  readonly #known = new Set<string>();
  /** The compiled policies of the last pass, indexed for matching and by team/name. */
  #index: PolicyIndex | undefined;
  #policies: readonly CompiledPolicy[] = [];
  #byName = new Map<string, CompiledPolicy>();
  /**
   * Policies (`team/name`), and their domains (`team/name\0domain`), found at their in-flight cap in this
   * pass, with the count the claim saw.
   */
  readonly #passFull = new Map<string, number>();
  /** Whether the loop was woken during this pass (see `reconcile`). */
  #woken: (() => boolean) | undefined;
  /** This pass's signal verdicts by team and cluster (see `#signals`). */
  readonly #passSignals = new Map<string, Promise<SignalVerdict>>();
  /** This pass's reads of the domains' shares (see `#domainShares`). */
  readonly #passShares = new Map<string, Promise<ReadonlyMap<string, { healthy: number; total: number }>>>();

  constructor(deps: HealingControllerDeps) {
    this.#deps = deps;
    this.#newId = deps.newId ?? (() => randomUUID());
    this.#pollMs = deps.pollMs ?? 10_000;
    this.#concurrency = deps.concurrency ?? 8;
    this.#runs = deps.runs;
  }

  /** One level-triggered pass: match, then advance every due run. */
  /**
   * `woken` says whether a new trigger is waiting for the next pass (the loop was woken during this one):
   * then, once this pass has advanced its new runs and spent `YIELD_AFTER_MS` on the others, it leaves the
   * rest (still due) to the next pass, which matches the new trigger first.
   */
  async reconcile(term?: HealingTerm, woken?: () => boolean): Promise<HealingPassOutcome> {
    this.#woken = woken;
    this.#term = term;
    this.#runs = term?.fence ? fencedRuns(this.#deps.runs, term.fence) : this.#deps.runs;
    this.#deps.passScope?.begin();
    try {
      return await this.#pass();
    } catch (error) {
      // A write of this term refused: another server leads now; the term ends, nothing more is done.
      if (isFencedWriteRefused(error) && term) {
        term.refused(error);
        return { matched: 0, created: 0, advanced: 0, superseded: 0 };
      }
      throw error;
    } finally {
      this.#deps.passScope?.end();
    }
  }

  async #pass(): Promise<HealingPassOutcome> {
    const outcome: HealingPassOutcome = { matched: 0, created: 0, advanced: 0, superseded: 0 };
    const startedAt = this.#deps.now();
    this.#passShares.clear();
    this.#passSignals.clear();
    this.#passFull.clear();
    await this.#match(outcome);
    const due = await this.#runs.due(this.#iso(), 500);
    // Runs of different entities advance side by side (a storm's waits on the database overlap); the runs
    // of one entity one after the other, in the order they are due, so that its rate limit and retry
    // budget are read after its previous run's action was written.
    const byEntity = new Map<string, StoredHealingRun[]>();
    for (const run of due) byEntity.set(run.entity, [...(byEntity.get(run.entity) ?? []), run]);
    // New runs first (their first decision is what a storm waits for; issue 14 asks it within 1 s of the
    // trigger), then the others in the order they are due: a storm's hundreds of runs waiting for an
    // in-flight slot are looked at every poll and would otherwise go before every new one.
    const queues = [...byEntity.values()].sort(
      (a, b) => Number(a[0]!.phase !== HealingPhase.Matched) - Number(b[0]!.phase !== HealingPhase.Matched),
    );
    const yieldNow = (queue: StoredHealingRun[]) =>
      queue[0]!.phase !== HealingPhase.Matched &&
      this.#deps.now() - startedAt >= YIELD_AFTER_MS &&
      this.#woken?.() === true;
    const worker = async () => {
      for (let queue = queues.shift(); queue && !yieldNow(queue); queue = queues.shift())
        for (const run of queue) await this.#advance(run, outcome);
    };
    const settled = await Promise.allSettled(
      Array.from({ length: Math.min(this.#concurrency, queues.length) }, worker),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    return outcome;
  }

  /**
   * The failure domains' healthy shares, read once per pass for each team, subject and label: a storm's
   * many runs in one pass share one read of the inventory.
   */
  #domainShares(
    team: string,
    subject: DiagnosisSubject,
    label: string,
  ): Promise<ReadonlyMap<string, { healthy: number; total: number }>> {
    const key = `${team}\u0000${subject}\u0000${label}`;
    let shares = this.#passShares.get(key);
    if (!shares) {
      shares = this.#deps.domains.shares(team, subject, label);
      this.#passShares.set(key, shares);
    }
    return shares;
  }

  /** Whether the signals are trusted, asked once per team and cluster in a pass (see `SignalHealth`). */
  #signals(team: string, entity: HealingEntity, now: number): Promise<SignalVerdict> {
    const key = `${team}\u0000${entity.cluster ?? ''}`;
    let verdict = this.#passSignals.get(key);
    if (!verdict) {
      verdict = this.#deps.signals.check(team, entity, now);
      this.#passSignals.set(key, verdict);
    }
    return verdict;
  }

  /** The policy index, rebuilt when the source's list changes (a new array). */
  async #policyIndex(): Promise<PolicyIndex> {
    const policies = await this.#deps.policies.policies();
    if (!this.#index || policies !== this.#policies) {
      this.#index = new PolicyIndex(policies);
      // Off the triggers' path: the CEL engine's cold start is paid here, once per change of the policies.
      this.#index.warm();
      this.#byName = new Map(policies.map((policy) => [`${policy.team}/${policy.name}`, policy]));
      this.#policies = policies;
    }
    return this.#index;
  }

  // Stage: match.
  async #match(outcome: HealingPassOutcome): Promise<void> {
    const index = await this.#policyIndex();
    const seen = new Set<string>();
    const now = this.#deps.now();
    const triggers = (await this.#deps.triggers.active(now, index.interest)).filter(
      (trigger) => trigger.active,
    );
    for (const trigger of triggers)
      for (const { policy, entity } of index.match(trigger)) {
        outcome.matched += 1;
        await this.#create(policy, trigger, entity, outcome, seen);
      }
    if (this.#deps.conditions)
      for (const policy of index.conditionPolicies) {
        if (policy.trigger.kind !== 'condition') continue;
        const { over, condition, forMs } = policy.trigger;
        for (const subject of await this.#deps.conditions.list(policy.team, over)) {
          if (subject.entity.kind !== policy.spec.scope.subject) continue;
          const result = condition.evaluate({ [over === 'nodes' ? 'node' : 'host']: subject.binding });
          if (!result.ok || result.value !== true || now - subject.changedAt < forMs) continue;
          outcome.matched += 1;
          const trigger: HealingTriggerView = {
            kind: 'condition',
            team: policy.team,
            id: entityKey(subject.entity),
            active: true,
            since: new Date(subject.changedAt).toISOString(),
            entities: [subject.entity],
            binding: subject.binding,
            alerts: [],
          };
          await this.#create(policy, trigger, subject.entity, outcome, seen);
        }
      }
    // Forget triggers no longer active: their runs exist (the key is unique), nothing to insert again.
    for (const key of this.#known) if (!seen.has(key)) this.#known.delete(key);
  }

  async #create(
    policy: CompiledPolicy,
    trigger: HealingTriggerView,
    entity: HealingEntity,
    outcome: HealingPassOutcome,
    seen: Set<string>,
  ): Promise<void> {
    const triggerKey = `${trigger.kind}/${trigger.id}/${trigger.since}/${entityKey(entity)}`;
    const known = `${policy.team}/${policy.name}/${triggerKey}`;
    seen.add(known);
    if (this.#known.has(known)) return;
    const at = this.#iso();
    const data: HealingRunData = {
      trigger: {
        kind: trigger.kind,
        id: trigger.id,
        since: trigger.since,
        entity,
        bindingSummary: summarize(trigger.binding),
      },
      decisions: [
        {
          at,
          stage: HealingStage.Match,
          reason: HealingReason.Matched,
          message: `matched ${trigger.kind} ${trigger.id}`,
        },
      ],
      actions: [],
      verifications: [],
      approvals: [],
    };
    const created = await this.#runs.create({
      id: this.#newId(),
      team: policy.team,
      policy: policy.name,
      triggerKind: trigger.kind,
      triggerKey,
      entity: entityKey(entity),
      domain: entity.domain,
      mode: policy.spec.guardrails.mode,
      phase: HealingPhase.Matched,
      rung: -1,
      reason: HealingReason.Matched,
      message: `matched ${trigger.kind} ${trigger.id}`,
      data: data as unknown as Record<string, unknown>,
      nextAt: at,
      createdAt: at,
    });
    this.#known.add(known);
    if (!created) return;
    outcome.created += 1;
    this.#event(
      policy.team,
      entity,
      'Normal',
      HealingReason.Matched,
      `policy ${policy.name} matched ${trigger.kind} ${trigger.id}`,
    );
  }

  /** Takes a run through as many stages as it can now; stops when it waits or ends. */
  async #advance(stored: StoredHealingRun, outcome: HealingPassOutcome): Promise<void> {
    let run: StoredHealingRun | undefined = stored;
    for (let steps = 0; run && steps < 12 && !TERMINAL_PHASES.has(run.phase); steps += 1) {
      if (Date.parse(run.nextAt) > this.#deps.now()) return;
      const next: StoredHealingRun | undefined | 'superseded' = await this.#step(run);
      if (next === 'superseded') {
        outcome.superseded += 1;
        return;
      }
      if (!next) return;
      outcome.advanced += 1;
      run = next;
    }
  }

  async #step(run: StoredHealingRun): Promise<StoredHealingRun | undefined | 'superseded'> {
    const policy = this.#byName.get(`${run.team}/${run.policy}`);
    const data = run.data as unknown as HealingRunData;
    if (!policy)
      return this.#end(
        run,
        data,
        HealingPhase.Escalated,
        HealingStage.Guard,
        HealingReason.PolicyGone,
        'the HealingPolicy no longer exists',
      );
    switch (run.phase) {
      case HealingPhase.Matched:
        return this.#guard(run, data, policy, HealingPhase.Diagnosing);
      case HealingPhase.Diagnosing:
        return this.#diagnose(run, data, policy);
      case HealingPhase.Deciding:
        return this.#decide(run, data, policy);
      case HealingPhase.AwaitingApproval:
        return this.#awaitApproval(run, data, policy);
      case HealingPhase.Ready:
        return this.#act(run, data, policy);
      case HealingPhase.Acting:
        return this.#follow(run, data, policy);
      case HealingPhase.Verifying:
        return this.#verify(run, data, policy);
      default:
        return undefined;
    }
  }

  // Stage: guard. Freezes (escalates) on untrusted signals, an unhealthy domain, flapping or a spent
  // retry budget; waits on the rate limit; ends when the trigger resolved.
  async #guard(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    onward: HealingPhase,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const verdict = await this.#checkGuards(run, data, policy);
    if (verdict.ok) return this.#write(run, data, { phase: onward, nextAt: this.#iso() });
    return this.#refuse(run, data, policy, verdict);
  }

  async #refuse(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    verdict: Exclude<GuardVerdict, { ok: true }>,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    if (verdict.then === 'end')
      return this.#end(
        run,
        data,
        HealingPhase.TriggerResolved,
        HealingStage.Guard,
        verdict.reason,
        verdict.message,
      );
    if (verdict.then === 'wait')
      return this.#wait(run, data, HealingStage.Guard, verdict.reason, verdict.message, this.#pollMs);
    return this.#escalate(run, data, policy, verdict.reason, verdict.message);
  }

  async #checkGuards(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
  ): Promise<GuardVerdict> {
    const now = this.#deps.now();
    const entity = data.trigger.entity;
    if (data.trigger.kind !== 'condition') {
      const trigger = await this.#deps.triggers.get(
        run.team,
        data.trigger.kind as HealingTriggerView['kind'],
        data.trigger.id,
      );
      if (!trigger || !trigger.active)
        return {
          ok: false,
          then: 'end',
          reason: HealingReason.TriggerResolved,
          message: `${data.trigger.kind} ${data.trigger.id} is no longer active`,
        };
    }
    const signals = await this.#signals(run.team, entity, now);
    if (!signals.trusted)
      return {
        ok: false,
        then: 'escalate',
        reason: HealingReason.SignalsUntrusted,
        message: `signals cannot be trusted (${signals.reason}): ${signals.message}`,
      };
    const g = policy.spec.guardrails;
    const share = entity.domain
      ? (await this.#domainShares(run.team, policy.spec.scope.subject, g.domainLabel)).get(entity.domain)
      : undefined;
    if (share && share.total > 0 && share.healthy / share.total < g.minHealthyShare)
      return {
        ok: false,
        then: 'escalate',
        reason: HealingReason.DomainUnhealthy,
        message: `${share.healthy} of ${share.total} in ${g.domainLabel}=${entity.domain} are healthy, under ${g.minHealthyShare}: frozen`,
      };
    const since = (ms: number) => new Date(now - ms).toISOString();
    const {
      healed,
      failed,
      action: actions,
    } = await this.#runs.ledgerCounts(run.team, run.policy, run.entity, {
      healed: since(policy.windows.flappingMs),
      failed: since(policy.windows.retryMs),
      action: since(policy.windows.rateMs),
    });
    if (healed >= g.flapping.healed)
      return {
        ok: false,
        then: 'escalate',
        reason: HealingReason.Flapping,
        message: `healed ${healed} times within ${g.flapping.window}: flapping`,
      };
    if (failed >= g.retryBudget.failures)
      return {
        ok: false,
        then: 'escalate',
        reason: HealingReason.RetryBudgetSpent,
        message: `${failed} failed actions within ${g.retryBudget.window}: the retry budget is spent`,
      };
    if (actions >= g.rateLimit.actions)
      return {
        ok: false,
        then: 'wait',
        reason: HealingReason.RateLimited,
        message: `${actions} actions within ${g.rateLimit.window}`,
      };
    return { ok: true };
  }

  // Stage: diagnose.
  async #diagnose(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const stage = HealingStage.Diagnose;
    const tree = this.#deps.policies.tree(run.team, policy.spec.diagnosis.tree);
    const trigger = await this.#deps.triggers.get(
      run.team,
      data.trigger.kind as HealingTriggerView['kind'],
      data.trigger.id,
    );
    const view: HealingTriggerView = trigger ?? {
      kind: data.trigger.kind as HealingTriggerView['kind'],
      team: run.team,
      id: data.trigger.id,
      active: true,
      since: data.trigger.since,
      entities: [data.trigger.entity],
      binding: data.trigger.bindingSummary,
      alerts: [],
    };
    if (!tree)
      return this.#escalate(
        run,
        data,
        policy,
        HealingReason.DiagnosisIncomplete,
        `no DiagnosisTree ${policy.spec.diagnosis.tree}`,
      );
    const diagnosis = await diagnose(
      tree,
      { team: run.team, entity: data.trigger.entity, trigger: view, at: this.#deps.now() },
      this.#deps.evidence,
      { now: this.#deps.now },
    );
    const next: HealingRunData = { ...data, diagnosis };
    if (!diagnosis.conclusion) {
      this.#event(
        run.team,
        data.trigger.entity,
        'Warning',
        HealingReason.DiagnosisIncomplete,
        diagnosis.message,
      );
      return this.#escalate(
        run,
        next,
        policy,
        HealingReason.DiagnosisIncomplete,
        `diagnosis stopped: ${diagnosis.message}`,
      );
    }
    this.#decision(next, stage, HealingReason.DiagnosisConcluded, diagnosis.message);
    this.#event(run.team, data.trigger.entity, 'Normal', HealingReason.DiagnosisConcluded, diagnosis.message);
    return this.#write(run, next, {
      phase: HealingPhase.Deciding,
      reason: HealingReason.DiagnosisConcluded,
      message: diagnosis.message,
      nextAt: this.#iso(),
    });
  }

  // Stage: decide.
  async #decide(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const stage = HealingStage.Decide;
    const conclusion = data.diagnosis?.conclusion;
    if (!conclusion || conclusion.action === 'none')
      return this.#end(
        run,
        data,
        HealingPhase.NoAction,
        stage,
        HealingReason.NothingToDo,
        conclusion ? `${conclusion.rootCause}: nothing to do` : 'no conclusion',
      );
    if (conclusion.action === 'escalate')
      return this.#escalate(
        run,
        data,
        policy,
        HealingReason.ConclusionEscalates,
        `${conclusion.rootCause}: the tree says a person decides`,
      );
    const rung = policy.rungs.findIndex((r) => r.action === conclusion.action);
    return this.#prepare(run, { ...data, chosen: conclusion.action }, policy, conclusion.action, rung);
  }

  /** Shadow, approval, or ready to act, for `action` at ladder position `rung` (-1: before the ladder). */
  async #prepare(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    actionName: string,
    rung: number,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const action = policy.actions.get(actionName);
    if (!action)
      return this.#escalate(run, data, policy, HealingReason.LadderExhausted, `no action ${actionName}`);
    if (policy.spec.guardrails.mode === 'Shadow')
      return this.#end(
        run,
        data,
        HealingPhase.Shadowed,
        HealingStage.Decide,
        HealingReason.WouldAct,
        `shadow mode: would run ${actionName} on ${run.entity}`,
      );
    if (action.risky) {
      const now = this.#deps.now();
      const expiresAt = new Date(now + policy.windows.approvalMs).toISOString();
      const next: HealingRunData = {
        ...data,
        approvals: [...data.approvals, { action: actionName, rung, requestedAt: this.#iso(), expiresAt }],
      };
      // Before the write, keyed by the request's position: a pass that dies after it sends nothing twice.
      const told = await this.#askApproval(run, data, policy, actionName, expiresAt);
      this.#decision(
        next,
        HealingStage.Decide,
        HealingReason.ApprovalRequested,
        `${actionName} is risky: waiting for approval until ${expiresAt}${told}`,
      );
      this.#event(
        run.team,
        data.trigger.entity,
        'Normal',
        HealingReason.ApprovalRequested,
        `${actionName} waits for approval until ${expiresAt}`,
      );
      return this.#write(run, next, {
        phase: HealingPhase.AwaitingApproval,
        rung,
        reason: HealingReason.ApprovalRequested,
        message: `approve ${actionName} before ${expiresAt}`,
        nextAt: expiresAt,
      });
    }
    return this.#write(run, data, {
      phase: HealingPhase.Ready,
      rung,
      nextAt: this.#iso(),
      message: `ready to run ${actionName}`,
    });
  }

  /** Sends the approval request to the ladder's channels; what to add to the decision's message. */
  async #askApproval(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    action: string,
    expiresAt: string,
  ): Promise<string> {
    const channels = approvalChannels(policy.spec);
    if (!this.#deps.approvals || channels.length === 0) return '';
    try {
      await this.#deps.approvals.requested({
        team: run.team,
        policy: run.policy,
        runId: run.id,
        entity: data.trigger.entity,
        action,
        request: data.approvals.length,
        expiresAt,
        summary: data.diagnosis?.message ?? run.message,
        channels,
        ...(this.#term?.fence ? { fence: this.#term.fence } : {}),
      });
      return ` (asked on ${channels.join(', ')})`;
    } catch (error) {
      // The request stands without the message: the console, the CLI and the inbox still decide it.
      return ` (the request could not be sent: ${error instanceof Error ? error.message : String(error)})`;
    }
  }

  async #awaitApproval(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const approval = data.approvals.at(-1);
    if (!approval) return this.#write(run, data, { phase: HealingPhase.Ready, nextAt: this.#iso() });
    if (approval.decision === 'approved')
      return this.#write(run, data, {
        phase: HealingPhase.Ready,
        reason: HealingReason.Approved,
        nextAt: this.#iso(),
      });
    if (approval.decision === 'rejected')
      return this.#end(
        run,
        data,
        HealingPhase.Rejected,
        HealingStage.Decide,
        HealingReason.Rejected,
        `${approval.decidedBy ?? 'someone'} rejected ${approval.action}`,
      );
    if (Date.parse(approval.expiresAt) <= this.#deps.now())
      return this.#escalate(
        run,
        data,
        policy,
        HealingReason.ApprovalExpired,
        `nobody approved ${approval.action} before ${approval.expiresAt}`,
      );
    return this.#write(run, data, { nextAt: approval.expiresAt });
  }

  // Stage: act. The guards again (time passed since the match), then an in-flight slot, then the budget.
  async #act(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const stage = HealingStage.Act;
    // The guards again: time passed since the match (an approval, a wait for a slot).
    const verdict = await this.#checkGuards(run, data, policy);
    if (!verdict.ok) return this.#refuse(run, data, policy, verdict);
    const actionName = this.#actionAt(policy, data, run.rung);
    const action = policy.actions.get(actionName)!;
    const attempt = data.actions.filter((a) => a.rung === run.rung).length;
    const key = `healing/${run.id}/rung/${run.rung}/attempt/${attempt}`;
    const now = this.#deps.now();
    const timeoutMs = run.rung >= 0 ? policy.rungs[run.rung]!.timeoutMs : durationMs(action.timeout);
    // A policy found at its cap earlier in this pass is not asked again (a claim takes a lock): the run
    // waits its turn as the claim would have said; slots freed meanwhile are taken at the next pass.
    // So is a domain found at the policy's cap per domain (a storm's runs of one rack wait together).
    const full = this.#passFull.get(`${run.team}/${run.policy}`);
    if (full !== undefined)
      return this.#wait(run, data, stage, HealingReason.PolicyInFlight, `${full} in flight`, this.#pollMs);
    const domainFull = this.#passFull.get(`${run.team}/${run.policy}\u0000${run.domain}`);
    if (domainFull !== undefined)
      return this.#wait(
        run,
        data,
        stage,
        HealingReason.DomainInFlight,
        `${domainFull} in flight`,
        this.#pollMs,
      );
    let budgetHeld = false;
    if (this.#deps.budget && changesFleet({ action })) {
      const granted = await this.#deps.budget.acquire({
        team: run.team,
        domain: run.domain,
        entity: run.entity,
        holder: run.id,
        at: now,
      });
      if (!granted.granted)
        return this.#wait(
          run,
          data,
          stage,
          HealingReason.DisruptionBudgetSpent,
          granted.message,
          this.#pollMs,
        );
      budgetHeld = true;
    }
    const record: HealingActionRecord = {
      key,
      rung: run.rung,
      action: actionName,
      startedAt: this.#iso(),
      deadline: new Date(now + timeoutMs).toISOString(),
      state: 'starting',
      budgetHeld,
    };
    const next: HealingRunData = { ...data, actions: [...data.actions, record] };
    this.#decision(next, stage, HealingReason.ActionStarted, `running ${actionName}`);
    const g = policy.spec.guardrails;
    const claimed = await this.#runs.claimInFlight(
      run,
      { perPolicy: g.maxInFlight, perDomain: g.maxInFlightPerDomain },
      this.#patch(next, {
        phase: HealingPhase.Acting,
        reason: HealingReason.ActionStarted,
        message: `running ${actionName}`,
        nextAt: this.#iso(),
      }),
      [this.#ledger(run, 'action', key)],
    );
    if (!claimed.ok) {
      if (budgetHeld)
        await this.#deps.budget?.release({
          team: run.team,
          domain: run.domain,
          entity: run.entity,
          holder: run.id,
        });
      if (claimed.reason === 'Superseded') return 'superseded';
      if (claimed.reason === 'PolicyInFlight')
        this.#passFull.set(`${run.team}/${run.policy}`, claimed.inFlight);
      else if (claimed.reason === 'DomainInFlight')
        this.#passFull.set(`${run.team}/${run.policy}\u0000${run.domain}`, claimed.inFlight);
      return this.#wait(
        run,
        data,
        stage,
        HealingReason[claimed.reason],
        `${claimed.inFlight} in flight`,
        this.#pollMs,
      );
    }
    this.#event(
      run.team,
      data.trigger.entity,
      'Normal',
      HealingReason.ActionStarted,
      `policy ${run.policy} runs ${actionName}`,
    );
    return this.#startAction(claimed.run, next, policy, record, action);
  }

  /** Calls the actuator for the last action record (again, with the same key, when in doubt). */
  async #startAction(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    record: HealingActionRecord,
    action: HealingAction,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const started = await this.#deps.actuator.start({
      ...(this.#term?.fence ? { fence: this.#term.fence } : {}),
      key: record.key,
      team: run.team,
      policy: run.policy,
      runId: run.id,
      entity: data.trigger.entity,
      action,
      summary: data.diagnosis?.message ?? run.message,
      details: evidenceBundle(data),
      triggerId: data.trigger.id,
      ...(data.diagnosis?.conclusion ? { rootCause: data.diagnosis.conclusion.rootCause } : {}),
    });
    if (!started.ok) return this.#actionFailed(run, data, policy, started.reason, started.message);
    const updated = { ...record, state: 'running' as const, handle: started.handle };
    const next = replaceLast(data, updated);
    if (started.done) return this.#succeeded(run, next, policy, updated);
    return this.#write(run, next, {
      nextAt: new Date(this.#deps.now() + Math.min(this.#pollMs, 5000)).toISOString(),
    });
  }

  async #follow(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const record = data.actions.at(-1);
    if (!record)
      return this.#write(run, data, { phase: HealingPhase.Ready, inFlight: false, nextAt: this.#iso() });
    const action = policy.actions.get(record.action);
    if (!action)
      return this.#escalate(
        run,
        data,
        policy,
        HealingReason.PolicyGone,
        `action ${record.action} is gone from the policy`,
      );
    // An intent without a handle: the server died between the claim and the call, or another server is in
    // that instant now. Past a grace the call is made again, same key (the actuator makes nothing twice);
    // within it, the run is left alone (a write would supersede the handle the other server is writing).
    if (!record.handle) {
      if (this.#deps.now() < Date.parse(record.startedAt) + STARTING_GRACE_MS) return undefined;
      return this.#startAction(run, data, policy, record, action);
    }
    const progress = await this.#deps.actuator.progress(run.team, record.handle);
    if (progress.state === 'succeeded') return this.#succeeded(run, data, policy, record);
    if (progress.state === 'failed')
      return this.#actionFailed(run, data, policy, progress.reason, progress.message);
    if (Date.parse(record.deadline) <= this.#deps.now())
      return this.#actionFailed(
        run,
        data,
        policy,
        HealingReason.ActionTimedOut,
        `${record.action} did not finish by ${record.deadline}`,
      );
    const nextAt = new Date(this.#deps.now() + Math.min(this.#pollMs, 5000)).toISOString();
    // Held by the change engine (stop-the-line, a window, the budget, a pause): said on the run once per
    // cause, and again when it goes on, so "why is it not done?" is on the page.
    const held = progress.held;
    if (held?.reason !== record.reason) {
      const updated: HealingActionRecord = { ...record };
      delete updated.reason;
      delete updated.message;
      if (held) Object.assign(updated, { reason: held.reason, message: held.message });
      const next = replaceLast(data, updated);
      const message = held
        ? `${record.action} held by the change engine (${held.reason}): ${held.message}`
        : `${record.action} goes on`;
      const reason = held ? HealingReason.ActionHeld : HealingReason.ActionResumed;
      this.#decision(next, HealingStage.Act, reason, message);
      this.#event(run.team, data.trigger.entity, held ? 'Warning' : 'Normal', reason, message);
      return this.#write(run, next, { reason, message, nextAt });
    }
    return this.#write(run, data, { nextAt });
  }

  async #succeeded(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    record: HealingActionRecord,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const now = this.#deps.now();
    const verifyAt = new Date(now + policy.verification.bakeMs).toISOString();
    // What held it while it ran (ActionHeld) is over.
    const { reason: _held, message: _heldMessage, ...ran } = record;
    const next = replaceLast(data, { ...ran, state: 'succeeded', endedAt: this.#iso(), verifyAt });
    this.#decision(
      next,
      HealingStage.Act,
      HealingReason.ActionSucceeded,
      `${record.action} done; verifying at ${verifyAt}`,
    );
    return this.#write(run, next, {
      phase: HealingPhase.Verifying,
      reason: HealingReason.Baking,
      message: `${record.action} done; verifying at ${verifyAt}`,
      nextAt: verifyAt,
    });
  }

  // Stage: verify.
  async #verify(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const stage = HealingStage.Verify;
    const entity = data.trigger.entity;
    const trigger = await this.#deps.triggers.get(
      run.team,
      data.trigger.kind as HealingTriggerView['kind'],
      data.trigger.id,
    );
    const active =
      data.trigger.kind === 'condition'
        ? await this.#conditionStillTrue(policy, entity)
        : Boolean(trigger?.active);
    const values: Record<string, unknown> = { trigger: { active } };
    let healed: boolean;
    let reason: HealingReason = HealingReason.Verified;
    let message: string;
    if (policy.verification.promql) {
      const { source, query, condition } = policy.verification.promql;
      const answer = await this.#deps.evidence.promql(run.team, source, query, this.#deps.now());
      if (!answer.ok) {
        healed = false;
        reason = HealingReason.VerificationFailed;
        message = `verification query failed (${answer.reason}): ${answer.message}`;
      } else {
        values['promql'] = answer.value;
        const result = condition.evaluate({ ...answer.value });
        healed = result.ok && result.value === true;
        message = healed ? `${condition.source} holds` : `${condition.source} does not hold`;
      }
    } else {
      const read = await this.#deps.entities.read(run.team, entity);
      values['entity'] = read ?? null;
      if (policy.verification.condition) {
        const result = policy.verification.condition.evaluate({ entity: read ?? {}, trigger: { active } });
        healed = result.ok && result.value === true;
        message = result.ok
          ? `${policy.verification.condition.source} is ${String(result.value)}`
          : `verification failed: ${result.message}`;
        if (!result.ok) reason = HealingReason.VerificationFailed;
      } else {
        healed = !active;
        message = active ? 'the trigger is still active' : 'the trigger is no longer active';
      }
    }
    if (!healed && reason === HealingReason.Verified) reason = HealingReason.NotVerified;
    const next: HealingRunData = {
      ...data,
      verifications: [
        ...data.verifications,
        { at: this.#iso(), rung: run.rung, healed, reason, message, values },
      ],
    };
    this.#decision(next, stage, reason, message);
    if (!healed) return this.#actionFailed(run, next, policy, reason, message);
    await this.#releaseBudget(run, next);
    const ended = await this.#end(
      run,
      next,
      HealingPhase.Healed,
      stage,
      HealingReason.Verified,
      `healed: ${message}`,
      [this.#ledger(run, 'healed', `healed/${run.rung}`)],
    );
    if (ended !== 'superseded' && ended && data.trigger.kind === 'exception')
      await this.#deps.outcomes?.markHealed(
        run.team,
        data.trigger.id,
        `healed automatically by ${run.policy}: ${data.diagnosis?.message ?? ''}`,
      );
    return ended;
  }

  /** The action failed, timed out or did not verify: count it, then climb the ladder. */
  async #actionFailed(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    reason: string,
    message: string,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const last = data.actions.at(-1);
    let next = data;
    if (last && last.state !== 'failed' && last.state !== 'succeeded')
      next = replaceLast(data, { ...last, state: 'failed', reason, message, endedAt: this.#iso() });
    this.#decision(
      next,
      HealingStage.Act,
      HealingReason.ActionFailed,
      `${last?.action ?? 'action'} failed (${reason}): ${message}`,
    );
    this.#event(
      run.team,
      data.trigger.entity,
      'Warning',
      HealingReason.ActionFailed,
      `${last?.action ?? 'action'} failed (${reason}): ${message}`,
    );
    await this.#releaseBudget(run, next);
    const failedKey = `failed/${last?.key ?? run.rung}`;
    const nextRung = run.rung + 1;
    const rung = policy.rungs[nextRung];
    if (!rung)
      return this.#escalate(run, next, policy, HealingReason.LadderExhausted, 'the ladder is exhausted', [
        this.#ledger(run, 'failed', failedKey),
      ]);
    const failed = await this.#runs.ledgerCount(
      run.team,
      run.policy,
      run.entity,
      'failed',
      new Date(this.#deps.now() - policy.windows.retryMs).toISOString(),
    );
    if (failed + 1 >= policy.spec.guardrails.retryBudget.failures)
      return this.#escalate(
        run,
        next,
        policy,
        HealingReason.RetryBudgetSpent,
        `${failed + 1} failed actions: the retry budget is spent`,
        [this.#ledger(run, 'failed', failedKey)],
      );
    const action = policy.actions.get(rung.action);
    if (action?.notify?.page)
      return this.#escalate(run, next, policy, HealingReason.LadderExhausted, 'the ladder reached its page', [
        this.#ledger(run, 'failed', failedKey),
      ]);
    this.#decision(
      next,
      HealingStage.Escalate,
      HealingReason.LadderClimbed,
      `climbing to rung ${nextRung + 1}: ${rung.action}`,
    );
    const written = await this.#runs.update(
      run.id,
      run.version,
      this.#patch(next, {
        phase: HealingPhase.Ready,
        inFlight: false,
        rung: nextRung,
        reason: HealingReason.LadderClimbed,
        message: `next: ${rung.action}`,
        nextAt: this.#iso(),
      }),
      [this.#ledger(run, 'failed', failedKey)],
    );
    return written ?? 'superseded';
  }

  // Stage: escalate. Page through the ladder's last rung (never in shadow mode), and end.
  async #escalate(
    run: StoredHealingRun,
    data: HealingRunData,
    policy: CompiledPolicy,
    reason: HealingReason,
    message: string,
    ledger: HealingLedgerEntry[] = [],
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const page = policy.rungs.at(-1);
    const action = page ? policy.actions.get(page.action) : undefined;
    const next: HealingRunData = { ...data };
    this.#decision(next, HealingStage.Escalate, reason, message);
    await this.#releaseBudget(run, next);
    const ended = await this.#end(
      run,
      next,
      policy.spec.guardrails.mode === 'Shadow' ? HealingPhase.Shadowed : HealingPhase.Escalated,
      HealingStage.Escalate,
      reason,
      message,
      ledger,
    );
    if (ended === 'superseded' || !ended) return ended;
    this.#event(run.team, data.trigger.entity, 'Warning', HealingReason.Escalated, `${reason}: ${message}`);
    if (action && policy.spec.guardrails.mode === 'Act') {
      // The page's key is the run's: a repeat after a crash enqueues nothing more (the outbox dedups). A
      // freeze concerns the whole domain: its runs share one key per hour, so 400 frozen nodes are one page.
      const collective =
        reason === HealingReason.SignalsUntrusted || reason === HealingReason.DomainUnhealthy;
      const hour = Math.floor(this.#deps.now() / 3_600_000);
      // A diagnosis stopped by an evidence source that does not answer (Prometheus down) stops every run
      // that reads it: those runs share one page per policy, evidence step and hour, as a freeze does.
      const failed = next.diagnosis?.failed;
      const sourceDown =
        reason === HealingReason.DiagnosisIncomplete &&
        failed?.evidence &&
        SOURCE_DOWN_REASONS.has(failed.reason)
          ? `healing/${run.policy}/freeze/${failed.reason}/${failed.evidence}/${hour}`
          : undefined;
      // Untrusted signals are the team's (silent agents, a MetricsSource down) or a cluster's (its API
      // server): one page for them, whatever the domains of the runs they froze.
      const scope =
        reason === HealingReason.SignalsUntrusted
          ? [run.team, data.trigger.entity.cluster].filter(Boolean).join('/')
          : run.domain || run.entity;
      await this.#deps.actuator.start({
        ...(this.#term?.fence ? { fence: this.#term.fence } : {}),
        key: collective
          ? `healing/${run.policy}/freeze/${reason}/${scope}/${hour}`
          : (sourceDown ?? `healing/${run.id}/page`),
        team: run.team,
        policy: run.policy,
        runId: run.id,
        entity: data.trigger.entity,
        action,
        summary: `${reason}: ${message}`,
        details: evidenceBundle(next),
      });
    }
    return ended;
  }

  async #end(
    run: StoredHealingRun,
    data: HealingRunData,
    phase: HealingPhase,
    stage: HealingStage,
    reason: HealingReason,
    message: string,
    ledger: HealingLedgerEntry[] = [],
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const next: HealingRunData = { ...data };
    if (next.decisions.at(-1)?.reason !== reason) this.#decision(next, stage, reason, message);
    const written = await this.#runs.update(
      run.id,
      run.version,
      this.#patch(next, {
        phase,
        reason,
        message,
        outcome: phase,
        endedAt: this.#iso(),
        nextAt: this.#iso(),
      }),
      ledger,
    );
    if (!written) return 'superseded';
    if (phase !== HealingPhase.Escalated)
      this.#event(run.team, data.trigger.entity, 'Normal', reason, `${phase}: ${message}`);
    return written;
  }

  async #wait(
    run: StoredHealingRun,
    data: HealingRunData,
    stage: HealingStage,
    reason: HealingReason,
    message: string,
    delayMs: number,
  ): Promise<StoredHealingRun | undefined | 'superseded'> {
    const next: HealingRunData = { ...data };
    // A wait repeated tick after tick is one decision, not one per tick.
    if (run.reason !== reason) this.#decision(next, stage, reason, message);
    const written = await this.#runs.update(
      run.id,
      run.version,
      this.#patch(next, { reason, message, nextAt: new Date(this.#deps.now() + delayMs).toISOString() }),
    );
    if (!written) return 'superseded';
    return { ...written, nextAt: written.nextAt };
  }

  async #write(
    run: StoredHealingRun,
    data: HealingRunData,
    patch: Omit<HealingRunPatch, 'updatedAt' | 'data'>,
  ): Promise<StoredHealingRun | 'superseded'> {
    const written = await this.#runs.update(run.id, run.version, this.#patch(data, patch));
    return written ?? 'superseded';
  }

  #patch(data: HealingRunData, patch: Omit<HealingRunPatch, 'updatedAt' | 'data'>): HealingRunPatch {
    return { ...patch, data: data as unknown as Record<string, unknown>, updatedAt: this.#iso() };
  }

  async #releaseBudget(run: StoredHealingRun, data: HealingRunData): Promise<void> {
    const last = data.actions.at(-1);
    if (last?.budgetHeld && this.#deps.budget) {
      await this.#deps.budget.release({
        team: run.team,
        domain: run.domain,
        entity: run.entity,
        holder: run.id,
      });
      last.budgetHeld = false;
    }
  }

  async #conditionStillTrue(policy: CompiledPolicy, entity: HealingEntity): Promise<boolean> {
    if (policy.trigger.kind !== 'condition' || !this.#deps.conditions) return false;
    const { over, condition } = policy.trigger;
    const subject = (await this.#deps.conditions.list(policy.team, over)).find(
      (s) => entityKey(s.entity) === entityKey(entity),
    );
    if (!subject) return false;
    const result = condition.evaluate({ [over === 'nodes' ? 'node' : 'host']: subject.binding });
    return result.ok && result.value === true;
  }

  #actionAt(policy: CompiledPolicy, data: HealingRunData, rung: number): string {
    return rung >= 0 ? policy.rungs[rung]!.action : (data.chosen ?? policy.rungs[0]!.action);
  }

  #ledger(run: StoredHealingRun, kind: HealingLedgerEntry['kind'], key: string): HealingLedgerEntry {
    return {
      team: run.team,
      policy: run.policy,
      entity: run.entity,
      kind,
      runId: run.id,
      key,
      at: this.#iso(),
    };
  }

  #decision(data: HealingRunData, stage: HealingStage, reason: HealingReason, message: string): void {
    data.decisions = [...data.decisions, { at: this.#iso(), stage, reason, message }];
  }

  #event(
    team: string,
    entity: HealingEntity,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    const regarding: EventSubject = {
      kind: entity.kind,
      name: entity.name,
      team,
      ...(entity.cluster ? { cluster: entity.cluster } : {}),
      ...(entity.namespace ? { namespace: entity.namespace } : {}),
    };
    this.#deps.recorder.record({ type, reason, message, regarding, actor: ACTOR }, this.#term);
  }

  #iso(): string {
    return new Date(this.#deps.now()).toISOString();
  }
}

/** Approves or rejects the pending action of a run; false when it is not waiting or the request expired. */
export async function decideApproval(
  runs: Pick<HealingRepository, 'get' | 'update'>,
  team: string,
  id: string,
  decision: 'approved' | 'rejected',
  actor: string,
  now: number,
  why?: string,
): Promise<
  { ok: true } | { ok: false; reason: 'NotFound' | 'NotAwaitingApproval' | 'Expired' | 'Superseded' }
> {
  const run = await runs.get(team, id);
  if (!run) return { ok: false, reason: 'NotFound' };
  const data = run.data as unknown as HealingRunData;
  const approval = data.approvals.at(-1);
  if (run.phase !== HealingPhase.AwaitingApproval || !approval || approval.decision)
    return { ok: false, reason: 'NotAwaitingApproval' };
  if (Date.parse(approval.expiresAt) <= now) return { ok: false, reason: 'Expired' };
  const at = new Date(now).toISOString();
  const next: HealingRunData = {
    ...data,
    approvals: [
      ...data.approvals.slice(0, -1),
      { ...approval, decision, decidedBy: actor, decidedAt: at, ...(why ? { reason: why } : {}) },
    ],
    decisions: [
      ...data.decisions,
      {
        at,
        stage: HealingStage.Decide,
        reason: decision === 'approved' ? HealingReason.Approved : HealingReason.Rejected,
        message: `${actor} ${decision} ${approval.action}${why ? `: ${why}` : ''}`,
      },
    ],
  };
  const written = await runs.update(run.id, run.version, {
    data: next as unknown as Record<string, unknown>,
    nextAt: at,
    updatedAt: at,
  });
  return written ? { ok: true } : { ok: false, reason: 'Superseded' };
}

function replaceLast(data: HealingRunData, record: HealingActionRecord): HealingRunData {
  return { ...data, actions: [...data.actions.slice(0, -1), record] };
}

/** The evidence bundle handed to people: the diagnosis, its path, the actions and their outcomes. */
function evidenceBundle(data: HealingRunData): Record<string, unknown> {
  return {
    trigger: { kind: data.trigger.kind, id: data.trigger.id, entity: data.trigger.entity.name },
    diagnosis: data.diagnosis
      ? {
          tree: data.diagnosis.tree,
          result: data.diagnosis.message,
          path: data.diagnosis.path.map((p) => `${p.step}:${String(p.branch)}`),
          supporting: data.diagnosis.supporting,
        }
      : undefined,
    actions: data.actions.map((a) => ({ action: a.action, state: a.state, reason: a.reason })),
    verifications: data.verifications.map((v) => ({ healed: v.healed, message: v.message })),
  };
}

/** A small copy of the trigger's binding for the record (its scalar fields). */
function summarize(binding: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(binding).filter(
      ([, value]) => value === null || ['string', 'number', 'boolean'].includes(typeof value),
    ),
  );
}

/**
 * The lease term a pass runs in (a `TermScope` from the healing module's `termElector`): every run it
 * writes and every event it records carries the fence, refused once another server took the lease.
 */
export interface HealingTerm {
  readonly fence: WriteFence | undefined;
  refused(error: FencedWriteRefused): void;
}

/** The runs' repository with every write made in `fence`'s term. */
function fencedRuns(runs: HealingControllerDeps['runs'], fence: WriteFence): HealingControllerDeps['runs'] {
  return {
    create: (run) => runs.create(run, fence),
    update: (id, version, patch, ledger = []) => runs.update(id, version, patch, ledger, fence),
    claimInFlight: (run, caps, patch, ledger = []) => runs.claimInFlight(run, caps, patch, ledger, fence),
    get: (team, id) => runs.get(team, id),
    due: (now, limit) => runs.due(now, limit),
    ledgerCount: (...args) => runs.ledgerCount(...args),
    ledgerCounts: (...args) => runs.ledgerCounts(...args),
  };
}
