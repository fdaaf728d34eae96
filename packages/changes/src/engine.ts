import {
  termEventRecorder,
  type EventRecorder,
  type ObjectKey,
  type ReconcileContext,
  type ReconcileResult,
} from '@gantry/controllers';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import {
  actuationOf,
  type ChangeGateResult,
  type ChangeGates,
  ConflictError,
  NotFoundError,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type {
  BudgetTake,
  ChangeRepository,
  JournalEntryInput,
  JournalFence,
  LeaseRepository,
  ResourceRepository,
  StoredDisruptionHold,
} from '@gantry/store';
import type { ActuatorOutcome, ChangeActuator, ChangeActuators } from './actuator.ts';
import type { DisruptionBudgets, DisruptionHolding } from './budget.ts';
import { recordBlocked, recordStep } from './change-events.ts';
import { CHANGE_CONTROLLER_ACTOR, CHANGE_LEASE, ChangeReason } from './change-reasons.ts';
import { projectStatus } from './change-status.ts';
import { heldByOthers, lineStopBlock, windowBlock, type Block, type ChangeObject } from './gates.ts';
import { evaluateCanaryGate, evaluateMetricGate, type GateContext } from './gate-eval.ts';
import {
  currentBatch,
  currentRollbackBatch,
  emptyState,
  fold,
  JournalKeys,
  StepType,
  type ChangeState,
} from './journal.ts';
import { partition } from './plan.ts';
import type { ChangeExceptionSink, ChangeHealthSignals, ChangeMetrics, GateEntity } from './ports.ts';

export interface ChangeEngineDeps {
  repository: Pick<ResourceRepository, 'get' | 'list'>;
  resources: Pick<ResourceService, 'replaceStatus'>;
  journal: Pick<
    ChangeRepository,
    'append' | 'entries' | 'entry' | 'pendingRequests' | 'activeStops' | 'deleteChange'
  >;
  leases: Pick<LeaseRepository, 'get'>;
  actuators: ChangeActuators;
  recorder: EventRecorder;
  /** This server's name in the lease: the journal is written only while the lease row names it. */
  holder: string;
  /** Longest wait between looks at a waiting, paused or observing change (requests, stops). Default 5 s. */
  pollMs?: number;
  /** The health center read: the health gate and the pause on an exception. Absent: neither is checked. */
  signals?: ChangeHealthSignals;
  /** Prometheus, for metric and canary gates. Absent: those gates have no data (their policy decides). */
  metrics?: ChangeMetrics;
  /** The Alert policy's exceptions. Absent: the Alert policy pauses only. */
  exceptions?: ChangeExceptionSink;
  /** The shared disruption budget. Absent: no budget is enforced. */
  budgets?: DisruptionBudgets;
  /**
   * Entities held outside changes (drains by hand, ADR 0033), counted with the changes', and the team's
   * budget epoch: read before counting, moved by the journal step that takes entities out.
   */
  holds?: {
    live(team: string, now: string): Promise<StoredDisruptionHold[]>;
    epoch(team: string): Promise<number>;
    now(): number;
  };
}

/**
 * Which entities a change has out now: those whose change (or undo) it has started and not yet seen end —
 * intent journaled, outcome not. What the shared disruption budget counts (ADR 0030).
 */
export function holdingsOf(change: string, entityKind: string, state: ChangeState): DisruptionHolding[] {
  if (state.ended) return [];
  const holder = `change/${change}`;
  const busy = (entity: { state: string } | undefined) =>
    entity?.state === 'Started' || entity?.state === 'Running';
  if (state.rollback)
    return [...state.rollback.entities]
      .filter(([, entity]) => busy(entity))
      .map(([entity]) => ({ entityKind, entity, holder }));
  return [...state.entities]
    .filter(([, entity]) => busy(entity))
    .map(([entity]) => ({ entityKind, entity, holder }));
}

const CALLER = { principal: SYSTEM_PRINCIPAL, source: CHANGE_CONTROLLER_ACTOR };

/** The journal refused a write: another server holds the lease now. Nothing of this term may be written. */
class FencedOut extends Error {}

/** The journal refused a take of the budget: another taker took since the count. Count again. */
class EpochMoved extends Error {}

/** Counts of a group against the budget retried when other takers took in between. */
const MAX_BUDGET_ATTEMPTS = 5;

/**
 * The change engine (ADR 0026): a level-triggered controller over Changes whose state is its journal.
 * A reconcile reads the journal (kept folded in memory for the term), then runs its stages in order —
 * requests (pause, resume, abort), observation, gates (stop-the-line, windows), start (resolve and
 * freeze targets and batches), apply (one group of at most `maxConcurrent` entities) — writing each step
 * to the journal before and after acting, fenced by the lease term, and last projects the journal onto
 * the Change's status. It returns when it must wait, with the time to look again.
 */
export class ChangeEngine {
  readonly #states = new Map<string, ChangeState>();
  /**
   * By change uid, what the stored status was last projected from (the object's resourceVersion, the
   * journal steps folded, the block): the same again projects the same status, so it is not projected.
   */
  readonly #projected = new Map<string, string>();
  /** Starts within a team one at a time, so two changes never both take the same entity. */
  readonly #starting = new Map<string, Promise<unknown>>();
  /** Budget acquisitions within a team one at a time, each with the journal write that makes it held. */
  readonly #budgeting = new Map<string, Promise<unknown>>();
  readonly #pollMs: number;
  #term: { signal: AbortSignal; fence: Promise<JournalFence | undefined> } | undefined;

  constructor(private readonly deps: ChangeEngineDeps) {
    this.#pollMs = deps.pollMs ?? 5000;
  }

  /** A new lease term: forget what the last term folded, and learn this term's fence from the lease row. */
  beginTerm(signal: AbortSignal): void {
    this.#states.clear();
    this.#projected.clear();
    this.#term = {
      signal,
      fence: this.deps.leases
        .get(CHANGE_LEASE)
        .then((lease) =>
          lease && lease.holder === this.deps.holder
            ? { lease: CHANGE_LEASE, holder: lease.holder, transitions: lease.transitions }
            : undefined,
        ),
    };
    this.#term.fence.catch(() => undefined);
  }

  async #fence(signal: AbortSignal): Promise<JournalFence | undefined> {
    if (!this.#term || this.#term.signal !== signal) this.beginTerm(signal);
    try {
      return await this.#term!.fence;
    } catch (error) {
      this.#term = undefined;
      throw error;
    }
  }

  #startSerially<T>(team: string, work: () => Promise<T>): Promise<T> {
    return serially(this.#starting, team, work);
  }

  /**
   * Runs `work` with what every change of the team has out now, from their journals (folded for this term),
   * and the live holds, one team's work at a time in this server; `epoch` is the team's budget epoch read
   * before counting, for the journal step that takes entities out (it lands only if no other taker, on any
   * server, took meanwhile: ADR 0033).
   */
  #withHoldings<T>(
    team: string,
    work: (holdings: DisruptionHolding[], epoch: number | undefined) => Promise<T>,
  ): Promise<T> {
    return serially(this.#budgeting, team, async () => {
      const holds = this.deps.holds;
      const epoch = holds ? await holds.epoch(team) : undefined;
      const page = await this.deps.repository.list({ kind: 'Change', teams: [team], limit: 100_000 });
      const holdings: DisruptionHolding[] = [];
      for (const item of page.items) {
        const other = JSON.parse(item.json) as ChangeObject;
        if (
          other.status?.phase &&
          ['Succeeded', 'Aborted', 'Failed', 'RolledBack'].includes(other.status.phase)
        )
          continue;
        let state = this.#states.get(other.metadata.uid);
        if (!state) {
          state = fold(emptyState(), await this.deps.journal.entries(other.metadata.uid));
          this.#states.set(other.metadata.uid, state);
        }
        const action = actuationOf(other.spec);
        const kind = (action && this.deps.actuators[action]?.entityKind) ?? 'Node';
        holdings.push(...holdingsOf(other.metadata.name, kind, state));
      }
      if (holds)
        for (const hold of await holds.live(team, new Date(holds.now()).toISOString()))
          holdings.push({ entityKind: hold.entityKind, entity: hold.entity, holder: hold.holder });
      return work(holdings, epoch);
    });
  }

  async reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult> {
    const change = (await this.deps.repository.get({ kind: 'Change', team: key.team, name: key.name })) as
      ChangeObject | undefined;
    if (!change) {
      await this.deps.journal.deleteChange(key.team, key.name);
      return {};
    }
    const fence = await this.#fence(ctx.signal);
    if (!fence || ctx.signal.aborted) return {};
    const uid = change.metadata.uid;
    let state = this.#states.get(uid);
    if (!state) {
      state = fold(emptyState(), await this.deps.journal.entries(uid));
      this.#states.set(uid, state);
    }
    const run = new ChangeRun(
      this.deps,
      ctx,
      fence,
      change,
      state,
      this.#pollMs,
      (work) => this.#startSerially(key.team, work),
      (work) => this.#withHoldings(key.team, work),
      this.#projected,
    );
    try {
      return await run.reconcile();
    } catch (error) {
      if (error instanceof FencedOut) {
        this.#states.clear();
        return {};
      }
      // The journal may hold more than we folded (a conflict): read it again next time.
      this.#states.delete(uid);
      throw error;
    }
  }
}

/** Steps asked for while another write was under way, written together next. */
interface QueuedAppend {
  entries: JournalEntryInput[];
  requests: string[];
  /** The budget epoch this write must move: the steps take entities out. */
  take: BudgetTake | undefined;
  written: Promise<void>;
}

/** One reconcile of one change: the stages, and the journal writes they make. */
class ChangeRun {
  /** Events of this reconcile, recorded in its term (refused once another server leads). */
  readonly #recorder: EventRecorder;
  readonly #team: string;
  readonly #name: string;
  #appending: Promise<unknown> = Promise.resolve();
  /** Steps waiting for the write under way to end; they go in the next one. */
  #queued: QueuedAppend | undefined;
  #block: Block | undefined;

  constructor(
    private readonly deps: ChangeEngineDeps,
    private readonly ctx: ReconcileContext,
    private readonly fence: JournalFence,
    private readonly change: ChangeObject,
    private readonly state: ChangeState,
    private readonly pollMs: number,
    private readonly startSerially: <T>(work: () => Promise<T>) => Promise<T>,
    private readonly withHoldings: <T>(
      work: (holdings: DisruptionHolding[], epoch: number | undefined) => Promise<T>,
    ) => Promise<T>,
    private readonly projected: Map<string, string>,
  ) {
    this.#team = change.metadata.team ?? '';
    this.#name = change.metadata.name;
    this.#recorder = termEventRecorder(deps.recorder, ctx.term);
  }

  async reconcile(): Promise<ReconcileResult> {
    const result = await this.#stages();
    // A status write that lost to another write of the object (its labels, say) is tried again at once
    // from a fresh read: the feed does not wake this controller for writes that leave the spec alone.
    if (!(await this.#writeStatus())) return { requeueAfterMs: 0 };
    return result;
  }

  async #stages(): Promise<ReconcileResult> {
    await this.#requestsStage();
    if (this.state.ended) return {};
    if (!this.state.rollback) {
      await this.#healthWhileObserving();
      if (!this.state.ended && !this.state.rollback) await this.#exceptionStage();
    }
    if (this.state.ended) return {};
    if (this.state.paused) return { requeueAfterMs: this.pollMs };
    if (this.state.rollback) return this.#rollbackStage();
    const observing = await this.#observationStage();
    if (observing) return observing;
    if (this.state.ended) return {};
    if (this.state.rollback) return { requeueAfterMs: 0 };
    if (this.state.paused) return { requeueAfterMs: this.pollMs };
    this.#block = await this.#gateStage();
    if (this.#block) {
      const wait =
        this.#block.until !== undefined ? Math.max(0, this.#block.until - this.ctx.now()) : this.pollMs;
      return { requeueAfterMs: Math.min(wait, this.pollMs) };
    }
    const actuator = this.#actuator();
    if (!actuator) return { requeueAfterMs: this.pollMs };
    if (!this.state.startedAt) {
      await this.startSerially(() => this.#startStage(actuator));
      if (this.state.ended) return {};
      if (this.#block) return { requeueAfterMs: this.pollMs };
    }
    return this.#applyStage(actuator);
  }

  // --- journal -------------------------------------------------------------------------------------

  /**
   * Appends steps (and marks requests handled) in order, one write at a time; folds and reports them. Steps
   * asked for while a write is under way go together in the next write (group commit): the outcomes of a
   * group's entities, which arrive together, are one transaction rather than one each. Each caller's promise
   * settles when the write that holds its steps has.
   */
  #append(entries: JournalEntryInput[], requests: string[] = [], take?: BudgetTake): Promise<void> {
    const queued = this.#queued;
    // A take of the budget is written alone: if the epoch moved, only its own steps are refused.
    if (queued && !queued.take && !take) {
      queued.entries.push(...entries);
      queued.requests.push(...requests);
      return queued.written;
    }
    const next: QueuedAppend = {
      entries: [...entries],
      requests: [...requests],
      take,
      written: Promise.resolve(),
    };
    this.#queued = next;
    next.written = this.#appending.then(async () => {
      // From here on, new steps wait for the next write.
      if (this.#queued === next) this.#queued = undefined;
      if (this.ctx.signal.aborted) throw new FencedOut('the lease term ended');
      const result = await this.deps.journal.append(
        this.fence,
        { team: this.#team, name: this.#name, uid: this.change.metadata.uid },
        this.state.nextSeq,
        next.entries,
        next.requests.length > 0 ? { requests: next.requests, at: this.#iso() } : undefined,
        next.take,
      );
      if (!result.ok) {
        if (result.reason === 'Fenced') throw new FencedOut(`the lease is ${result.holder ?? 'nobody'}'s`);
        if (result.reason === 'EpochMoved') throw new EpochMoved();
        throw new ConflictError(`the journal of change ${this.#team}/${this.#name} moved under this server`);
      }
      fold(this.state, result.entries);
      for (const entry of result.entries)
        recordStep(this.#recorder, this.deps.actuators, this.change, this.state, entry);
    });
    this.#appending = next.written.catch(() => undefined);
    return next.written;
  }

  #iso(at = this.ctx.now()): string {
    return new Date(at).toISOString();
  }

  #step(type: StepType, key: string, rest: Partial<JournalEntryInput> = {}): JournalEntryInput {
    return { type, key, at: this.#iso(), ...rest };
  }

  // --- stages ---------------------------------------------------------------------------------------

  /** Stage 1: pause, resume and abort as asked, oldest first; each journaled once, with who and why. */
  async #requestsStage(): Promise<void> {
    const requests = await this.deps.journal.pendingRequests(this.change.metadata.uid);
    for (const request of requests) {
      const key = JournalKeys.request(request.id);
      const data = { actor: request.actor, reason: request.reason, requestId: request.id };
      let step: JournalEntryInput | undefined;
      if (this.state.keys.has(key) || this.state.ended) step = undefined;
      else if (request.action === 'pause' && !this.state.paused)
        step = this.#step(StepType.Paused, key, { data });
      else if (request.action === 'resume' && this.state.paused)
        step = this.#step(StepType.Resumed, key, { data });
      else if (request.action === 'abort') step = this.#step(StepType.Aborted, key, { data });
      else if ((request.action === 'approve' || request.action === 'reject') && !this.state.rollback) {
        const index = this.#awaitingApproval();
        if (index !== undefined)
          step = this.#step(StepType.ApprovalDecided, key, {
            batch: index,
            data: { ...data, decision: request.action === 'approve' ? 'Approved' : 'Rejected' },
          });
      } else if (request.action === 'rollback' && !this.state.rollback && this.state.startedAt)
        step = this.#rollbackStep(key, {
          ...data,
          cause: ChangeReason.RollbackRequested,
        });
      await this.#append(step ? [step] : [], [request.id]);
    }
    await this.#rejectionStage();
  }

  /**
   * A rejected batch is a failure, level-triggered: the policy's step is keyed by batch and round, so a
   * crash between the rejection and the policy does not let the batch start. (A resume clears the
   * rejection: the batch waits for an approval again.)
   */
  async #rejectionStage(): Promise<void> {
    const index = currentBatch(this.state);
    const decided = index !== undefined ? this.state.batchStates[index]?.approval : undefined;
    if (index === undefined || decided?.decision !== 'Rejected' || this.state.rollback) return;
    await this.#onFailure(
      index,
      JournalKeys.approvalPolicy(index, this.state.round),
      ChangeReason.ApprovalRejected,
      `batch ${index} rejected by ${decided.actor}: ${decided.reason}`,
    );
  }

  /** The current batch when it waits for an approval that has not come (nor a rejection). */
  #awaitingApproval(): number | undefined {
    const index = currentBatch(this.state);
    if (index === undefined || !this.state.startedAt) return undefined;
    const batch = this.state.batchStates[index];
    return this.state.batches[index]?.approval && !batch?.startedAt && !batch?.approval ? index : undefined;
  }

  // --- failure policy, gates, exceptions --------------------------------------------------------------

  /**
   * What a failure comes to, as the change's policy says, journaled under `key + '/policy'` once: Pause,
   * Abort, Alert (an exception opened for the failure through the sink, linked, and Pause), or Rollback.
   */
  async #onFailure(batch: number, key: string, cause: ChangeReason, reason: string): Promise<void> {
    const policyKey = key.endsWith('/policy') ? key : `${key}/policy`;
    if (this.state.keys.has(policyKey) || this.state.ended) return;
    const data = { actor: CHANGE_CONTROLLER_ACTOR, reason, cause };
    const policy = this.change.spec.failurePolicy;
    if (policy === 'Abort') {
      await this.#append([this.#step(StepType.Aborted, policyKey, { batch, data })]);
      return;
    }
    if (policy === 'Rollback' && this.#actuatorFor()?.undo && !this.state.rollback) {
      await this.#append([this.#rollbackStep(policyKey, data, batch)]);
      return;
    }
    const steps: JournalEntryInput[] = [];
    if (policy === 'Alert' && this.deps.exceptions) {
      const title = `change ${this.#name}: ${reason}`.slice(0, 300);
      const opened = await this.deps.exceptions.open({
        team: this.#team,
        key: `change/${this.change.metadata.uid}/${policyKey}`,
        title,
        severity: 'major',
        entities: this.#subjects(this.state.batches[batch]?.entities ?? []),
        change: this.#name,
        at: new Date(this.ctx.now()),
      });
      await this.deps.exceptions.link(
        this.#team,
        opened.exceptionId,
        `opened by change ${this.#name} (${cause}); the change is paused`,
        new Date(this.ctx.now()),
      );
      steps.push(
        this.#step(StepType.ExceptionOpened, JournalKeys.alert(policyKey), {
          batch,
          data: { exceptionId: opened.exceptionId, title },
        }),
      );
    }
    steps.push(this.#step(StepType.Paused, policyKey, { batch, data }));
    await this.#append(steps);
  }

  /** The rollback's first step: the batches started so far, the last first, with the entities touched. */
  #rollbackStep(key: string, data: Record<string, unknown>, batch?: number): JournalEntryInput {
    const batches = this.state.batches
      .filter((planned) => this.state.batchStates[planned.index]?.startedAt)
      .map((planned) => ({
        index: planned.index,
        entities: planned.entities.filter((entity) => this.state.entities.get(entity)?.state !== 'Pending'),
      }))
      .filter((item) => item.entities.length > 0)
      .reverse();
    return this.#step(StepType.RollbackStarted, key, {
      ...(batch !== undefined ? { batch } : {}),
      data: { ...data, batches },
    });
  }

  #subjects(entities: readonly string[]): GateEntity[] {
    const actuator = this.#actuatorFor();
    return entities.map(
      (entity) => actuator?.subject(this.#team, entity) ?? { kind: 'Node', name: entity, team: this.#team },
    );
  }

  /** The spec's gates; a Change stored before gates existed has the defaults (health only). */
  #gates(): ChangeGates {
    return this.change.spec.gates ?? { health: true, metrics: [] };
  }

  #actuatorFor(): ChangeActuator | undefined {
    const action = actuationOf(this.change.spec);
    return action ? this.deps.actuators[action] : undefined;
  }

  /**
   * The health gate while a batch is observed: an alert that started firing or an exception that opened on
   * its entities since the batch started (or since the last resume) fails it at once.
   */
  async #healthWhileObserving(): Promise<void> {
    if (!this.#gates().health || !this.deps.signals || this.state.paused) return;
    const index = currentBatch(this.state);
    const batch = index !== undefined ? this.state.batchStates[index] : undefined;
    if (index === undefined || batch?.observeUntil === undefined || !batch.startedAt) return;
    const key = JournalKeys.gate(index, 'health', this.state.round);
    if (this.state.keys.has(key)) return;
    const result = await this.#healthGate(index);
    if (result.verdict !== 'Failed') return;
    await this.#append([this.#step(StepType.GateEvaluated, key, { batch: index, data: result })]);
    await this.#onFailure(
      index,
      key,
      ChangeReason.GateFailed,
      `batch ${index} gate health: ${result.message}`,
    );
  }

  async #healthGate(index: number): Promise<ChangeGateResult> {
    const since = Math.max(Date.parse(this.state.batchStates[index]!.startedAt!), this.state.resumedAt ?? 0);
    const entities = this.#subjects(this.state.batches[index]!.entities);
    const sinceIso = this.#iso(since);
    const [alerts, exceptions] = await Promise.all([
      this.deps.signals!.alertsSince(this.#team, entities, sinceIso),
      this.deps.signals!.openExceptionsSince(this.#team, entities, sinceIso),
    ]);
    const failed = alerts.length + exceptions.length > 0;
    const what = [
      ...alerts.map((alert) => `alert ${alert.title}`),
      ...exceptions.map((e) => `exception ${e.id} ${e.title}`),
    ];
    return {
      gate: 'health',
      kind: 'Health',
      verdict: failed ? 'Failed' : 'Passed',
      message: failed
        ? `since ${sinceIso}: ${what.slice(0, 5).join('; ')}${what.length > 5 ? ', ...' : ''}`
        : `no alert fired and no exception opened on the batch's entities since ${sinceIso}`,
      at: this.#iso(),
      round: this.state.round,
      alerts: alerts.map((alert) => alert.id),
      exceptions: exceptions.map((exception) => exception.id),
    };
  }

  /**
   * Level-triggered: an exception open on entities the change has touched, opened since it started, pauses
   * it and is linked both ways (`exception/<id>` once per exception, an entry on the exception's timeline).
   */
  async #exceptionStage(): Promise<void> {
    if (!this.deps.signals || !this.state.startedAt) return;
    const touched = [...this.state.entities]
      .filter(([, entity]) => entity.state !== 'Pending')
      .map(([name]) => name);
    if (touched.length === 0) return;
    const open = await this.deps.signals.openExceptionsSince(
      this.#team,
      this.#subjects(touched),
      this.state.startedAt,
    );
    for (const exception of open) {
      const key = JournalKeys.exception(exception.id);
      if (this.state.keys.has(key) || this.state.ended || this.state.rollback) continue;
      const reason = `exception ${exception.id} opened on its entities: ${exception.title}`;
      await this.deps.exceptions?.link(
        this.#team,
        exception.id,
        `change ${this.#name} paused by this exception`,
        new Date(this.ctx.now()),
      );
      await this.#append([
        this.#step(StepType.ExceptionPaused, key, {
          data: {
            exceptionId: exception.id,
            title: exception.title,
            actor: CHANGE_CONTROLLER_ACTOR,
            reason,
            cause: ChangeReason.ExceptionOpened,
          },
        }),
      ]);
    }
  }

  /** The metric and canary gates (and the health gate's pass) at the end of a batch's observation. */
  async #endGates(index: number): Promise<ChangeGateResult[]> {
    const gates = this.#gates();
    const round = this.state.round;
    const batch = this.state.batches[index]!;
    const batchState = this.state.batchStates[index]!;
    const recorded = new Map(batchState.gates.filter((g) => g.round === round).map((g) => [g.gate, g]));
    const until = batchState.observeUntil!;
    const ctx: GateContext = {
      metrics: this.deps.metrics,
      team: this.#team,
      entities: batch.entities,
      unchanged: (() => {
        const inBatch = new Set(batch.entities);
        return (this.state.targets ?? []).filter(
          (entity) => this.state.entities.get(entity)?.state === 'Pending' && !inBatch.has(entity),
        );
      })(),
      bake: batch.bake,
      range: { start: batchState.observingFrom ?? until - batch.bakeMs, end: until },
      round,
      at: this.#iso(),
    };
    const results: ChangeGateResult[] = [];
    const evaluate = async (name: string, run: () => Promise<ChangeGateResult>) => {
      const known = recorded.get(name);
      if (known) {
        results.push(known);
        return;
      }
      const result = await run();
      await this.#append([
        this.#step(StepType.GateEvaluated, JournalKeys.gate(index, name, round), {
          batch: index,
          data: result,
        }),
      ]);
      results.push(result);
    };
    if (gates.health && this.deps.signals) await evaluate('health', () => this.#healthGate(index));
    for (const gate of gates.metrics) await evaluate(gate.name, () => evaluateMetricGate(ctx, gate));
    if (gates.canary) {
      const canary = gates.canary;
      await evaluate('canary', () => evaluateCanaryGate(ctx, canary));
    }
    return results;
  }

  /** Stage 2: a batch under observation completes once its stored observation time has passed. */
  async #observationStage(): Promise<ReconcileResult | undefined> {
    const index = currentBatch(this.state);
    if (index === undefined) {
      if (this.state.startedAt) await this.#append([this.#step(StepType.Succeeded, JournalKeys.end())]);
      return undefined;
    }
    const until = this.state.batchStates[index]?.observeUntil;
    if (until === undefined) return undefined;
    const now = this.ctx.now();
    if (now < until) return { requeueAfterMs: Math.min(until - now, this.pollMs) };
    const results = await this.#endGates(index);
    const failed = results.find((result) => result.verdict === 'Failed');
    const noData = results.find((result) => result.verdict === 'NoData');
    if (failed || noData) {
      const gate = (failed ?? noData)!;
      const key = JournalKeys.gatePolicy(index, gate.gate, this.state.round);
      const reason = `batch ${index} gate ${gate.gate}: ${gate.message}`;
      if (failed) await this.#onFailure(index, key, ChangeReason.GateFailed, reason);
      else if (!this.state.keys.has(key))
        // No data, and its policy is Pause: paused whatever the failure policy; resume reads it again.
        await this.#append([
          this.#step(StepType.Paused, key, {
            batch: index,
            data: { actor: CHANGE_CONTROLLER_ACTOR, reason, cause: ChangeReason.GateNoData },
          }),
        ]);
      return this.state.ended ? {} : { requeueAfterMs: this.state.rollback ? 0 : this.pollMs };
    }
    await this.#append([
      this.#step(StepType.BatchCompleted, JournalKeys.batchCompleted(index), { batch: index }),
    ]);
    if (currentBatch(this.state) === undefined)
      await this.#append([this.#step(StepType.Succeeded, JournalKeys.end())]);
    return undefined;
  }

  /** Stage 3: nothing changes the fleet while the line is stopped or the change's windows are closed. */
  async #gateStage(): Promise<Block | undefined> {
    const stopped = lineStopBlock(await this.deps.journal.activeStops([this.#team, '']));
    return stopped ?? windowBlock(this.deps.repository, this.change, this.ctx.now());
  }

  #actuator(): ChangeActuator | undefined {
    const action = actuationOf(this.change.spec);
    const actuator = action ? this.deps.actuators[action] : undefined;
    if (!actuator)
      this.#block = {
        reason: ChangeReason.ActuatorUnavailable,
        message: action
          ? `this server cannot run ${action} changes yet`
          : 'the change has no single action (nodeOperation, jobRun or applicationRevision)',
      };
    return actuator;
  }

  /** Stage 4: resolve the targets once and cut them into batches; both are frozen in the journal. */
  async #startStage(actuator: ChangeActuator): Promise<void> {
    const { spec } = this.change;
    const resolution = await actuator.resolve(this.#team, spec, spec.targets);
    const fail = (reason: ChangeReason, message: string) =>
      this.#append([this.#step(StepType.Failed, JournalKeys.end(), { data: { reason, message } })]);
    if (!resolution.ok)
      return fail(ChangeReason.TargetsUnresolved, `${resolution.reason}: ${resolution.message}`);
    if (resolution.entities.length === 0) return fail(ChangeReason.NoTargets, 'the targets select no entity');
    const held = await heldByOthers(
      this.deps.repository,
      this.deps.journal,
      this.change,
      resolution.entities,
    );
    if (held) {
      this.#block = held;
      return;
    }
    const planned = partition(resolution.entities, spec.plan.batches);
    if (planned.uncovered.length > 0)
      return fail(
        ChangeReason.PlanDoesNotCover,
        `the plan covers ${resolution.entities.length - planned.uncovered.length} of ${resolution.entities.length} targets`,
      );
    await this.#append([
      this.#step(StepType.Started, JournalKeys.start(), {
        data: {
          targets: resolution.entities,
          batches: planned.batches,
          generation: this.change.metadata.generation,
        },
      }),
    ]);
  }

  /**
   * Stage 5: one group of the current batch. Entities in doubt (intent journaled, outcome not: the last
   * holder died mid-call) are applied again with the same key; those running are asked where they are;
   * then pending ones up to `maxConcurrent`, each intent journaled before the call and its outcome after.
   */
  async #applyStage(actuator: ChangeActuator): Promise<ReconcileResult> {
    const index = currentBatch(this.state);
    if (index === undefined) return {};
    const batch = this.state.batches[index]!;
    if (this.state.batchStates[index]?.approval?.decision === 'Rejected')
      return this.state.ended ? {} : { requeueAfterMs: this.state.rollback ? 0 : this.pollMs };
    if (this.#awaitingApproval() !== undefined) {
      this.#block = {
        reason: ChangeReason.AwaitingApproval,
        message: `batch ${index} (${batch.entities.length} entit${batch.entities.length === 1 ? 'y' : 'ies'}) waits for an approval: gantry change approve ${this.#name} --reason ...`,
      };
      return { requeueAfterMs: this.pollMs };
    }
    if (!this.state.batchStates[index]?.startedAt)
      await this.#append([
        this.#step(StepType.BatchStarted, JournalKeys.batchStarted(index), { batch: index }),
      ]);

    const entities = batch.entities.map((name) => ({ name, ...this.state.entities.get(name)! }));
    if (await this.#applyFailurePolicy(index))
      return this.state.ended ? {} : { requeueAfterMs: this.state.rollback ? 0 : this.pollMs };

    const inDoubt = entities.filter((entity) => entity.state === 'Started');
    const running = entities.filter((entity) => entity.state === 'Running');
    const free = Math.max(0, this.change.spec.plan.maxConcurrent - inDoubt.length - running.length);
    const candidates = entities.filter((entity) => entity.state === 'Pending').slice(0, free);
    const starting = await this.#admit(actuator, candidates, async (admitted, take) => {
      if (admitted.length > 0)
        await this.#append(
          admitted.map((entity) =>
            this.#step(
              StepType.EntityStarted,
              JournalKeys.entity(index, entity.name, entity.attempt, 'started'),
              {
                batch: index,
                entity: entity.name,
                data: { attempt: entity.attempt },
              },
            ),
          ),
          [],
          take,
        );
    });
    if (starting.length === 0 && inDoubt.length === 0 && running.length === 0 && candidates.length > 0)
      return { requeueAfterMs: this.pollMs };

    const request = (entity: { name: string; attempt: number }) => ({
      team: this.#team,
      change: this.#name,
      spec: this.change.spec,
      entity: entity.name,
      key: `${this.change.metadata.uid}/${JournalKeys.entity(index, entity.name, entity.attempt, 'started')}`,
      actor: CHANGE_CONTROLLER_ACTOR,
    });
    const calls = [
      ...[...inDoubt, ...starting].map(async (entity) =>
        this.#outcome(index, entity, await callSafely(() => actuator.apply(request(entity)))),
      ),
      ...running.map(async (entity) =>
        actuator.progress
          ? this.#outcome(
              index,
              entity,
              await callSafely(() => actuator.progress!({ ...request(entity), handle: entity.handle ?? '' })),
            )
          : undefined,
      ),
    ];
    await Promise.all(calls);

    if (await this.#applyFailurePolicy(index))
      return this.state.ended ? {} : { requeueAfterMs: this.state.rollback ? 0 : this.pollMs };
    const states = batch.entities.map((name) => this.state.entities.get(name)!.state);
    if (states.every((state) => state === 'Succeeded')) {
      const observeUntil = this.ctx.now() + batch.bakeMs;
      await this.#append([
        this.#step(StepType.BatchObserving, JournalKeys.batchObserving(index), {
          batch: index,
          data: { observeUntil, bake: batch.bake },
        }),
      ]);
      return { requeueAfterMs: Math.min(batch.bakeMs, this.pollMs) };
    }
    return { requeueAfterMs: states.some((state) => state === 'Running') ? this.pollMs : 0 };
  }

  /**
   * The shared disruption budget: of `candidates` (in order), those the team's budgets let out now, given
   * every change's holdings and the live holds; `write` journals them together with a move of the team's
   * budget epoch read before the count, so the step lands only if no other taker on any server took in
   * between (else the group is counted again). The first refused stops the group; when none is let out
   * and the change holds nothing, it waits (BudgetExhausted). No budget governing the entities' kind: no
   * count, no epoch.
   */
  async #admit<T extends { name: string }>(
    actuator: ChangeActuator,
    candidates: T[],
    write: (admitted: T[], take: BudgetTake | undefined) => Promise<void>,
  ): Promise<T[]> {
    const budgets = this.deps.budgets;
    if (
      !budgets ||
      candidates.length === 0 ||
      (budgets.governs && !(await budgets.governs(this.#team, actuator.entityKind)))
    ) {
      await write(candidates, undefined);
      return candidates;
    }
    for (let attempt = 0; attempt < MAX_BUDGET_ATTEMPTS; attempt++) {
      this.#block = undefined;
      try {
        return await this.withHoldings(async (holdings, epoch) => {
          const admitted = await this.#withinBudget(budgets, actuator, candidates, holdings);
          await write(
            admitted,
            epoch !== undefined && admitted.length > 0 ? { team: this.#team, epoch } : undefined,
          );
          return admitted;
        });
      } catch (error) {
        // Another taker (a drain by hand, on any server) took in between: count again.
        if (!(error instanceof EpochMoved)) throw error;
      }
    }
    this.#block = {
      reason: ChangeReason.BudgetExhausted,
      message: `the disruption budget of team ${this.#team} kept being taken by others while this change counted; counting again`,
    };
    return [];
  }

  /** Of `candidates` (in order), those the budgets let out given `holdings`; the first refused stops it. */
  async #withinBudget<T extends { name: string }>(
    budgets: DisruptionBudgets,
    actuator: ChangeActuator,
    candidates: T[],
    holdings: DisruptionHolding[],
  ): Promise<T[]> {
    const held = [...holdings];
    const admitted: T[] = [];
    for (const candidate of candidates) {
      const answer = await budgets.acquire({
        team: this.#team,
        entityKind: actuator.entityKind,
        entity: candidate.name,
        holder: `change/${this.#name}`,
        holdings: held,
      });
      if (!answer.ok) {
        if (admitted.length === 0 && !holdings.some((holding) => holding.holder === `change/${this.#name}`))
          this.#block = {
            reason: ChangeReason.BudgetExhausted,
            message: `${candidate.name}: ${answer.message}`,
          };
        break;
      }
      admitted.push(candidate);
      held.push({ entityKind: actuator.entityKind, entity: candidate.name, holder: `change/${this.#name}` });
    }
    return admitted;
  }

  async #outcome(
    batch: number,
    entity: { name: string; attempt: number },
    outcome: ActuatorOutcome,
  ): Promise<void> {
    const base = { batch, entity: entity.name };
    if (outcome.status === 'Running') {
      const key = JournalKeys.entity(batch, entity.name, entity.attempt, 'running');
      if (this.state.keys.has(key)) return;
      await this.#append([
        this.#step(StepType.EntityRunning, key, {
          ...base,
          data: { attempt: entity.attempt, handle: outcome.handle, message: outcome.message ?? '' },
        }),
      ]);
      return;
    }
    await this.#append([
      this.#step(StepType.EntityDone, JournalKeys.entity(batch, entity.name, entity.attempt, 'done'), {
        ...base,
        data: {
          attempt: entity.attempt,
          status: outcome.status,
          message: outcome.message ?? '',
          ...(outcome.status === 'Failed' ? { reason: outcome.reason } : {}),
        },
      }),
    ]);
  }

  /** A failed entity in the batch: pause or abort, as the change's policy says (once per failed attempt). */
  async #applyFailurePolicy(index: number): Promise<boolean> {
    const batch = this.state.batches[index]!;
    const failed = batch.entities
      .map((name) => ({ name, ...this.state.entities.get(name)! }))
      .filter((entity) => entity.state === 'Failed');
    if (failed.length === 0) return false;
    if (this.state.paused || this.state.ended || this.state.rollback) return true;
    // Wait for the others of the group to finish before deciding, so their outcomes are journaled.
    const first = failed[0]!;
    const key = JournalKeys.failure(index, first.name, first.attempt);
    if (this.state.keys.has(key)) return true;
    const reason = `${failed.length} entit${failed.length === 1 ? 'y' : 'ies'} of batch ${index} failed: ${failed
      .slice(0, 3)
      .map((entity) => `${entity.name}: ${entity.message ?? entity.reason ?? 'failed'}`)
      .join('; ')}`;
    await this.#onFailure(index, key, ChangeReason.EntityFailed, reason);
    return true;
  }

  /**
   * Rollback: the batches to undo in order (the last first); each batch's entities undone (`undo`, at most
   * `maxConcurrent` at once, intent before and outcome after, as for apply), then observed again for its
   * bake; then the change ends RolledBack. A failed undo pauses it; resume tries that entity again.
   */
  async #rollbackStage(): Promise<ReconcileResult> {
    const rollback = this.state.rollback!;
    const item = currentRollbackBatch(this.state);
    if (!item) {
      await this.#append([this.#step(StepType.RolledBack, JournalKeys.end())]);
      return {};
    }
    const planned = this.state.batches[item.index]!;
    const progress = rollback.batches.get(item.index)!;
    const now = this.ctx.now();
    if (progress.observeUntil !== undefined) {
      if (now < progress.observeUntil)
        return { requeueAfterMs: Math.min(progress.observeUntil - now, this.pollMs) };
      await this.#append([
        this.#step(StepType.RollbackBatchCompleted, JournalKeys.rollbackCompleted(item.index), {
          batch: item.index,
        }),
      ]);
      return { requeueAfterMs: 0 };
    }
    const stopped = lineStopBlock(await this.deps.journal.activeStops([this.#team, '']));
    if (stopped) {
      this.#block = stopped;
      return { requeueAfterMs: this.pollMs };
    }
    const actuator = this.#actuatorFor();
    if (!actuator?.undo) {
      this.#block = {
        reason: ChangeReason.ActuatorUnavailable,
        message: 'this server cannot undo this action',
      };
      return { requeueAfterMs: this.pollMs };
    }
    const entities = item.entities.map((name) => ({ name, ...rollback.entities.get(name)! }));
    const failed = entities.filter((entity) => entity.state === 'Failed');
    const settled = entities.every((entity) => entity.state === 'Failed' || entity.state === 'Succeeded');
    if (failed.length > 0 && settled) {
      const first = failed[0]!;
      await this.#append([
        this.#step(StepType.Paused, JournalKeys.rollbackPolicy(item.index, first.name, first.round), {
          batch: item.index,
          data: {
            actor: CHANGE_CONTROLLER_ACTOR,
            cause: ChangeReason.RollbackFailed,
            reason: `undoing batch ${item.index} failed: ${failed
              .slice(0, 3)
              .map((entity) => `${entity.name}: ${entity.message ?? 'failed'}`)
              .join('; ')}`,
          },
        }),
      ]);
      return { requeueAfterMs: this.pollMs };
    }
    const inDoubt = entities.filter((entity) => entity.state === 'Started');
    const running = entities.filter((entity) => entity.state === 'Running');
    const free = Math.max(0, this.change.spec.plan.maxConcurrent - inDoubt.length - running.length);
    const starting = entities.filter((entity) => entity.state === 'Pending').slice(0, free);
    if (starting.length > 0)
      await this.#append(
        starting.map((entity) =>
          this.#step(
            StepType.RollbackEntityStarted,
            JournalKeys.rollbackEntity(item.index, entity.name, entity.round, 'started'),
            {
              batch: item.index,
              entity: entity.name,
              data: { round: entity.round },
            },
          ),
        ),
      );
    const request = (entity: { name: string; round: number }) => ({
      team: this.#team,
      change: this.#name,
      spec: this.change.spec,
      entity: entity.name,
      key: `${this.change.metadata.uid}/${JournalKeys.rollbackEntity(item.index, entity.name, entity.round, 'started')}`,
      actor: CHANGE_CONTROLLER_ACTOR,
    });
    const outcome = async (entity: { name: string; round: number }, answer: ActuatorOutcome) => {
      const base = { batch: item.index, entity: entity.name };
      if (answer.status === 'Running') {
        const key = JournalKeys.rollbackEntity(item.index, entity.name, entity.round, 'running');
        if (this.state.keys.has(key)) return;
        await this.#append([
          this.#step(StepType.RollbackEntityRunning, key, {
            ...base,
            data: { round: entity.round, handle: answer.handle },
          }),
        ]);
        return;
      }
      await this.#append([
        this.#step(
          StepType.RollbackEntityDone,
          JournalKeys.rollbackEntity(item.index, entity.name, entity.round, 'done'),
          {
            ...base,
            data: {
              round: entity.round,
              status: answer.status,
              message: answer.message ?? '',
              ...(answer.status === 'Failed' ? { reason: answer.reason } : {}),
            },
          },
        ),
      ]);
    };
    await Promise.all([
      ...[...inDoubt, ...starting].map(async (entity) =>
        outcome(entity, await callSafely(() => actuator.undo!(request(entity)))),
      ),
      ...running.map(async (entity) =>
        actuator.progress
          ? outcome(
              entity,
              await callSafely(() => actuator.progress!({ ...request(entity), handle: entity.handle ?? '' })),
            )
          : undefined,
      ),
    ]);
    const states = item.entities.map((name) => rollback.entities.get(name)!.state);
    if (states.every((state) => state === 'Succeeded')) {
      await this.#append([
        this.#step(StepType.RollbackObserving, JournalKeys.rollbackObserving(item.index), {
          batch: item.index,
          data: { observeUntil: this.ctx.now() + planned.bakeMs, bake: planned.bake },
        }),
      ]);
      return { requeueAfterMs: Math.min(planned.bakeMs, this.pollMs) };
    }
    return { requeueAfterMs: states.some((state) => state === 'Running') ? this.pollMs : 0 };
  }

  /** Writes the status projected from the journal, in the term; false when another write came first. */
  async #writeStatus(): Promise<boolean> {
    if (this.ctx.signal.aborted) return true;
    const uid = this.change.metadata.uid;
    const from = (resourceVersion: string | undefined) =>
      `${resourceVersion}|${this.state.entries}|${JSON.stringify(this.#block ?? null)}`;
    // A look that changed nothing (a batch under observation, a change waiting) projects nothing.
    if (this.projected.get(uid) === from(this.change.metadata.resourceVersion)) return true;
    const status = projectStatus(this.change, this.state, this.#block, this.ctx.now());
    recordBlocked(this.#recorder, this.change, status);
    if (JSON.stringify(status) === JSON.stringify(this.change.status ?? {})) {
      this.projected.set(uid, from(this.change.metadata.resourceVersion));
      return true;
    }
    try {
      const written = await this.deps.resources.replaceStatus(
        CALLER,
        'Change',
        this.#team,
        this.#name,
        {
          metadata: { name: this.#name, resourceVersion: this.change.metadata.resourceVersion },
          status,
        },
        this.ctx.term.fence ? { fence: this.ctx.term.fence } : {},
      );
      this.projected.set(uid, from(written.metadata.resourceVersion));
      return true;
    } catch (error) {
      this.projected.delete(uid);
      // Deleted since read: nothing to report. Changed since read: the caller reads it again.
      if (error instanceof NotFoundError) return true;
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }
}

function serially<T>(chains: Map<string, Promise<unknown>>, key: string, work: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.catch(() => undefined);
  chains.set(key, settled);
  void settled.then(() => chains.get(key) === settled && chains.delete(key));
  return next;
}

/** An actuator that throws has failed that entity; the change's policy decides what follows. */
async function callSafely(call: () => Promise<ActuatorOutcome>): Promise<ActuatorOutcome> {
  try {
    return await call();
  } catch (error) {
    return {
      status: 'Failed',
      reason: 'ActuatorError',
      message: error instanceof Error ? error.message : String(error),
    };
  }
}
