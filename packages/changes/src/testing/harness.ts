import pino from 'pino';
import { MemoryEventRecorder, TermScope, type ReconcileContext } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { KindRegistry, builtinKinds, type ChangeStatus, type Resource } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import type { Store } from '@gantry/store';
import type { ChangeActuator } from '../actuator.ts';
import { registerChangeAdmission } from '../admission.ts';
import { CHANGE_LEASE } from '../change-reasons.ts';
import { ChangeService } from '../change-service.ts';
import { ResourceDisruptionBudgets } from '../budget.ts';
import { ChangeEngine, type ChangeEngineDeps } from '../engine.ts';
import type { ChangeExceptionSink, ChangeHealthSignals, ChangeMetrics } from '../ports.ts';
import { FakeHealth, FakeMetrics } from './fake-health.ts';

export const ADMIN = { principal: SYSTEM_PRINCIPAL, source: 'test' };
export const TEAM = 'ops';
const LEASE_MS = 60_000;

/** One server's engine in one lease term. */
export interface EngineTerm {
  holder: string;
  engine: ChangeEngine;
  term: AbortController;
  ctx: ReconcileContext;
}

/**
 * The change engine around a real store (SQLite or PostgreSQL), on a clock the test moves: the kinds, the
 * resource service with the changes' admission, the API's service, and engines that take the lease.
 */
export class ChangeHarness {
  now: number;
  readonly resources: ResourceService;
  readonly recorder = new MemoryEventRecorder();
  readonly service: ChangeService;
  /** The health center and Prometheus the engines read (a test raises alerts and sets values). */
  readonly health = new FakeHealth();
  readonly metrics = new FakeMetrics();
  /** What the engines read and open exceptions through: the fake health center unless a test sets real ones. */
  signals: ChangeHealthSignals = this.health;
  exceptionSink: ChangeExceptionSink = this.health;

  constructor(
    readonly store: Store,
    readonly actuator: ChangeActuator,
    start: number,
    private readonly pollMs = 60_000,
    /** Prometheus for the gates: the fake `metrics` unless a test gives a real client. */
    private readonly metricsClient?: ChangeMetrics,
  ) {
    this.now = start;
    const kinds = new KindRegistry();
    for (const kind of builtinKinds) kinds.register(kind);
    this.resources = new ResourceService(kinds, store.resources, () => this.now);
    registerChangeAdmission({ resources: this.resources, repository: store.resources, now: () => this.now });
    this.service = new ChangeService({
      resources: this.resources,
      journal: store.changes,
      recorder: this.recorder,
      audit: store.audit,
      now: () => this.now,
      canUndo: () => true,
    });
  }

  async createTeam(team = TEAM): Promise<void> {
    await this.resources.create(ADMIN, 'Team', undefined, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: team },
      spec: { members: [] },
    });
  }

  async apply(
    kind: 'Change' | 'ChangeWindow' | 'DisruptionBudget' | 'MetricsSource',
    name: string,
    spec: Record<string, unknown>,
  ): Promise<Resource> {
    return this.resources.create(ADMIN, kind, TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind,
      metadata: { name },
      spec,
    });
  }

  /** Takes (or renews) the lease for `holder` at the current time and starts a term of a new engine. */
  async lead(holder: string): Promise<EngineTerm | undefined> {
    if (!(await this.store.leases.tryAcquire(CHANGE_LEASE, holder, LEASE_MS, this.now))) return undefined;
    return this.term(holder);
  }

  /**
   * A new engine of `holder` in a term it believes it has, whether or not it holds the lease; `journal`
   * replaces the store's (a test's wrapper that dies after some steps).
   */
  term(holder: string, journal: ChangeEngineDeps['journal'] = this.store.changes): EngineTerm {
    const engine = new ChangeEngine({
      repository: this.store.resources,
      resources: this.resources,
      journal,
      leases: this.store.leases,
      actuators: {
        nodeOperation: this.actuator,
        jobRun: this.actuator,
        applicationRevision: this.actuator,
        definitionUpgrade: this.actuator,
      },
      recorder: this.recorder,
      holder,
      pollMs: this.pollMs,
      signals: this.signals,
      exceptions: this.exceptionSink,
      metrics: this.metricsClient ?? this.metrics,
      budgets: new ResourceDisruptionBudgets({
        repository: this.store.resources,
        labels: async () => (await this.actuator.labels?.(TEAM)) ?? new Map(),
      }),
      holds: {
        live: (team, at) => this.store.disruptionHolds.live(team, at),
        epoch: (team) => this.store.disruptionHolds.epoch(team),
        now: () => this.now,
      },
    });
    const term = new AbortController();
    engine.beginTerm(term.signal);
    return {
      holder,
      engine,
      term,
      ctx: {
        logger: pino({ level: 'silent' }),
        signal: term.signal,
        now: () => this.now,
        term: new TermScope(),
      },
    };
  }

  /** Lets the lease run out: the clock moves past its expiry. */
  expireLease(): void {
    this.now += LEASE_MS + 1;
  }

  async status(name: string): Promise<ChangeStatus> {
    const change = await this.resources.get(ADMIN, 'Change', TEAM, name);
    return (change.status ?? {}) as ChangeStatus;
  }

  /**
   * Reconciles `name` as the controller runtime would, moving the clock by each requeue, until `until`
   * holds or the change needs nothing more; returns the number of reconciles.
   */
  async run(
    term: EngineTerm,
    name: string,
    until: (status: ChangeStatus) => boolean = () => false,
    maxSteps = 10_000,
  ): Promise<number> {
    for (let step = 1; step <= maxSteps; step++) {
      const result = await term.engine.reconcile(term.ctx, { team: TEAM, name });
      if (until(await this.status(name))) return step;
      if (result.requeueAfterMs === undefined) return step;
      this.now += result.requeueAfterMs;
    }
    throw new Error(`change ${name} still running after ${maxSteps} reconciles`);
  }
}
