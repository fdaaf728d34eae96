import type { EventRecorder, ObjectKey, ReconcileContext, ReconcileResult } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { ConflictError, NotFoundError } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type {
  ChangeRepository,
  JournalEntryInput,
  JournalFence,
  LeaseRepository,
  ResourceRepository,
} from '@gantry/store';
import { actionOf, type ActuatorOutcome, type ChangeActuator, type ChangeActuators } from './actuator.ts';
import { recordBlocked, recordStep } from './change-events.ts';
import { CHANGE_CONTROLLER_ACTOR, CHANGE_LEASE, ChangeReason } from './change-reasons.ts';
import { projectStatus } from './change-status.ts';
import { heldByOthers, lineStopBlock, windowBlock, type Block, type ChangeObject } from './gates.ts';
import { currentBatch, emptyState, fold, JournalKeys, StepType, type ChangeState } from './journal.ts';
import { partition } from './plan.ts';

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
}

const CALLER = { principal: SYSTEM_PRINCIPAL, source: CHANGE_CONTROLLER_ACTOR };

/** The journal refused a write: another server holds the lease now. Nothing of this term may be written. */
class FencedOut extends Error {}

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
  /** Starts within a team one at a time, so two changes never both take the same entity. */
  readonly #starting = new Map<string, Promise<unknown>>();
  readonly #pollMs: number;
  #term: { signal: AbortSignal; fence: Promise<JournalFence | undefined> } | undefined;

  constructor(private readonly deps: ChangeEngineDeps) {
    this.#pollMs = deps.pollMs ?? 5000;
  }

  /** A new lease term: forget what the last term folded, and learn this term's fence from the lease row. */
  beginTerm(signal: AbortSignal): void {
    this.#states.clear();
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
    const previous = this.#starting.get(team) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#starting.set(team, settled);
    void settled.then(() => this.#starting.get(team) === settled && this.#starting.delete(team));
    return next;
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
    const run = new ChangeRun(this.deps, ctx, fence, change, state, this.#pollMs, (work) =>
      this.#startSerially(key.team, work),
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

/** One reconcile of one change: the stages, and the journal writes they make. */
class ChangeRun {
  readonly #team: string;
  readonly #name: string;
  #appending: Promise<unknown> = Promise.resolve();
  #block: Block | undefined;

  constructor(
    private readonly deps: ChangeEngineDeps,
    private readonly ctx: ReconcileContext,
    private readonly fence: JournalFence,
    private readonly change: ChangeObject,
    private readonly state: ChangeState,
    private readonly pollMs: number,
    private readonly startSerially: <T>(work: () => Promise<T>) => Promise<T>,
  ) {
    this.#team = change.metadata.team ?? '';
    this.#name = change.metadata.name;
  }

  async reconcile(): Promise<ReconcileResult> {
    const result = await this.#stages();
    await this.#writeStatus();
    return result;
  }

  async #stages(): Promise<ReconcileResult> {
    await this.#requestsStage();
    if (this.state.ended) return {};
    if (this.state.paused) return { requeueAfterMs: this.pollMs };
    const observing = await this.#observationStage();
    if (observing) return observing;
    if (this.state.ended) return {};
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

  /** Appends steps (and marks requests handled) in order, one write at a time; folds and reports them. */
  #append(entries: JournalEntryInput[], requests: string[] = []): Promise<void> {
    const write = this.#appending.then(async () => {
      if (this.ctx.signal.aborted) throw new FencedOut('the lease term ended');
      const result = await this.deps.journal.append(
        this.fence,
        { team: this.#team, name: this.#name, uid: this.change.metadata.uid },
        this.state.nextSeq,
        entries,
        requests.length > 0 ? { requests, at: this.#iso() } : undefined,
      );
      if (!result.ok) {
        if (result.reason === 'Fenced') throw new FencedOut(`the lease is ${result.holder ?? 'nobody'}'s`);
        throw new ConflictError(`the journal of change ${this.#team}/${this.#name} moved under this server`);
      }
      fold(this.state, result.entries);
      for (const entry of result.entries)
        recordStep(this.deps.recorder, this.deps.actuators, this.change, this.state, entry);
    });
    this.#appending = write.catch(() => undefined);
    return write;
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
      await this.#append(step ? [step] : [], [request.id]);
    }
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
    const action = actionOf(this.change.spec);
    const actuator = action ? this.deps.actuators[action] : undefined;
    if (!actuator)
      this.#block = {
        reason: ChangeReason.ActuatorUnavailable,
        message: action
          ? `this server cannot run ${action} changes yet`
          : 'the change has neither nodeOperation nor jobRun',
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
    if (!this.state.batchStates[index]?.startedAt)
      await this.#append([
        this.#step(StepType.BatchStarted, JournalKeys.batchStarted(index), { batch: index }),
      ]);

    const entities = batch.entities.map((name) => ({ name, ...this.state.entities.get(name)! }));
    if (await this.#applyFailurePolicy(index))
      return this.state.paused ? { requeueAfterMs: this.pollMs } : {};

    const inDoubt = entities.filter((entity) => entity.state === 'Started');
    const running = entities.filter((entity) => entity.state === 'Running');
    const free = Math.max(0, this.change.spec.plan.maxConcurrent - inDoubt.length - running.length);
    const starting = entities.filter((entity) => entity.state === 'Pending').slice(0, free);
    if (starting.length > 0)
      await this.#append(
        starting.map((entity) =>
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
      );

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
      return this.state.paused ? { requeueAfterMs: this.pollMs } : {};
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
    if (this.state.paused || this.state.ended) return true;
    // Wait for the others of the group to finish before deciding, so their outcomes are journaled.
    const first = failed[0]!;
    const key = JournalKeys.failure(index, first.name, first.attempt);
    if (this.state.keys.has(key)) return true;
    const reason = `${failed.length} entit${failed.length === 1 ? 'y' : 'ies'} of batch ${index} failed: ${failed
      .slice(0, 3)
      .map((entity) => `${entity.name}: ${entity.message ?? entity.reason ?? 'failed'}`)
      .join('; ')}`;
    const data = { actor: CHANGE_CONTROLLER_ACTOR, reason, cause: ChangeReason.EntityFailed };
    await this.#append([
      this.#step(this.change.spec.failurePolicy === 'Abort' ? StepType.Aborted : StepType.Paused, key, {
        batch: index,
        data,
      }),
    ]);
    return true;
  }

  async #writeStatus(): Promise<void> {
    if (this.ctx.signal.aborted) return;
    const status = projectStatus(this.change, this.state, this.#block, this.ctx.now());
    recordBlocked(this.deps.recorder, this.change, status);
    if (JSON.stringify(status) === JSON.stringify(this.change.status ?? {})) return;
    try {
      await this.deps.resources.replaceStatus(CALLER, 'Change', this.#team, this.#name, {
        metadata: { name: this.#name, resourceVersion: this.change.metadata.resourceVersion },
        status,
      });
    } catch (error) {
      // Changed or deleted since read: the feed queues it again; the journal, not the status, is the truth.
      if (error instanceof ConflictError || error instanceof NotFoundError) return;
      throw error;
    }
  }
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
