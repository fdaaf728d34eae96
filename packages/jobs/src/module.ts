import type { Clock, ControllerMetrics, EventRecorder, LeaseStore } from '@gantry/controllers';
import type { FleetChangeGate } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { JobRepository, LeaseRepository } from '@gantry/store';
import { registerJobAdmission } from './admission.ts';
import type { AgentPort } from './agent-port.ts';
import type { HostDirectory } from './host-directory.ts';
import { JobService } from './job-service.ts';
import { OutputNotifier } from './output-notifier.ts';
import {
  DEFAULT_RUN_CONTROLLER_OPTIONS,
  JobRunController,
  type RunControllerOptions,
} from './run/run-controller.ts';
import type { ClusterJobRunner, SecretReader } from './run/run-context.ts';
import {
  DEFAULT_SCHEDULE_CONTROLLER_OPTIONS,
  ScheduleController,
  type ScheduleControllerOptions,
} from './schedule-controller.ts';

export interface JobsModuleDeps {
  resources: ResourceService;
  jobs: JobRepository;
  /** The agent transport (`@gantry/hosts`' AgentPort; `MemoryAgentPort` in tests). */
  port: AgentPort;
  hosts: HostDirectory;
  secrets: SecretReader;
  /** With `get`, the run controller fences its term's writes and sends (ADR 0028). */
  leases: LeaseStore & Partial<Pick<LeaseRepository, 'get'>>;
  clock: Clock;
  recorder: EventRecorder;
  /** Where the run controller counts refused writes (`gantry_controller_fenced_writes_total`). */
  metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
  /** Runs cluster targets as Kubernetes Jobs; without it a cluster target fails at dispatch. */
  clusters?: ClusterJobRunner;
  /** Holds runs made by hand or by a Schedule while it is closed for jobs (ADR 0033); the server passes the change engine's. */
  gate?: FleetChangeGate;
  logger?: { warn(object: object, message: string): void };
}

export interface JobsModuleOptions {
  /** This server's name in the leases. */
  holder: string;
  runs?: Partial<Omit<RunControllerOptions, 'holder'>>;
  schedules?: Partial<Omit<ScheduleControllerOptions, 'holder'>>;
  /** How long a run create's `Idempotency-Key` is kept (ADR 0029). */
  idempotencyKeyTtlMs?: number;
}

export interface JobsModule {
  service: JobService;
  runs: JobRunController;
  schedules: ScheduleController;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Jobs on one server: the admission rules of JobTemplate and Schedule, the service the API calls, the
 * run controller (dispatch on the lease holder, agents' reports on every server) and the schedules.
 */
export function createJobsModule(deps: JobsModuleDeps, options: JobsModuleOptions): JobsModule {
  registerJobAdmission(deps.resources);
  const notifier = new OutputNotifier();
  const runs = new JobRunController(
    {
      jobs: deps.jobs,
      port: deps.port,
      secrets: deps.secrets,
      recorder: deps.recorder,
      leases: deps.leases,
      clock: deps.clock,
      notify: (runId) => notifier.notify(runId),
      ...(deps.clusters ? { clusters: deps.clusters } : {}),
      ...(deps.gate ? { gate: deps.gate } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    },
    { ...DEFAULT_RUN_CONTROLLER_OPTIONS, ...options.runs, holder: options.holder },
  );
  const service = new JobService({
    jobs: deps.jobs,
    resources: deps.resources,
    hosts: deps.hosts,
    recorder: deps.recorder,
    notifier,
    now: () => deps.clock.now(),
    wake: () => runs.wake(),
    cancelled: (runId) => runs.cancelled(runId),
    ...(options.idempotencyKeyTtlMs !== undefined
      ? { idempotencyKeyTtlMs: options.idempotencyKeyTtlMs }
      : {}),
  });
  const schedules = new ScheduleController(
    {
      resources: deps.resources,
      jobs: deps.jobs,
      service,
      leases: deps.leases,
      clock: deps.clock,
      recorder: deps.recorder,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
    },
    { ...DEFAULT_SCHEDULE_CONTROLLER_OPTIONS, ...options.schedules, holder: options.holder },
  );
  return {
    service,
    runs,
    schedules,
    start() {
      runs.start();
      schedules.start();
    },
    async stop() {
      await schedules.stop();
      await runs.stop();
    },
  };
}
