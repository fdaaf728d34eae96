import type { Logger } from 'pino';
import {
  ControllerManager,
  type ChangeSource,
  type Clock,
  type EventRecorder,
  type ObjectKey,
} from '@gantry/controllers';
import type { ClusterClients, FleetService } from '@gantry/fleet';
import { DefinitionSource, RevisionManager } from '@gantry/delivery';
import type { HostDirectory, JobService } from '@gantry/jobs';
import type { ResourceService } from '@gantry/resources';
import type { Store } from '@gantry/store';
import type { MetricsSecretReader } from '@gantry/alerts';
import { actuationOf } from '@gantry/model';
import type { ChangeActuators } from './actuator.ts';
import { registerChangeAdmission } from './admission.ts';
import { ResourceDisruptionBudgets } from './budget.ts';
import { StoreDrainHolds } from './drain-holds.ts';
import { createChangeMetrics } from './gate-eval.ts';
import type { ChangeExceptionSink, ChangeHealthSignals } from './ports.ts';
import { createChangeController } from './change-controller.ts';
import { ChangeService } from './change-service.ts';
import { ChangeEngine } from './engine.ts';
import { JobRunActuator } from './job-actuator.ts';
import { NodeOperationActuator } from './node-actuator.ts';
import { ApplicationRevisionActuator } from './application-actuator.ts';
import { DefinitionUpgradeActuator } from './definition-actuator.ts';
import { KubernetesJobActuator } from './kubernetes-job-actuator.ts';
import { WorkloadOperationActuator } from './workload-actuator.ts';

export interface ChangesModuleDeps {
  resources: ResourceService;
  store: Pick<Store, 'resources' | 'inventory' | 'leases' | 'changes' | 'audit' | 'disruptionHolds'>;
  fleet: Pick<FleetService, 'nodeOperation'>;
  /** Cluster API servers, for application rollouts by StatefulSet partition (ADR 0036). */
  clusters?: Pick<ClusterClients, 'get'>;
  /** Job runs on hosts, for `jobRun` changes; absent: such changes wait (ActuatorUnavailable). */
  jobs?: { service: Pick<JobService, 'create' | 'list' | 'get'>; hosts: HostDirectory };
  feed: ChangeSource;
  recorder: EventRecorder;
  /** The health center read (health gate, pause on an exception); see `createStoreHealthSignals`. */
  signals?: ChangeHealthSignals;
  /** Where the Alert policy opens exceptions (the health center's exception service). */
  exceptions?: ChangeExceptionSink;
  /** MetricsSource credentials, for metric and canary gates (absent: those gates have no data). */
  metricsSecrets?: MetricsSecretReader;
  clock: Clock;
  logger: Logger;
}

export interface ChangesModuleOptions {
  holder: string;
  leaseDurationMs: number;
  /** Longest wait between looks at a waiting, paused or observing change. Default 5 s. */
  pollMs?: number;
}

export interface ChangesModule {
  service: ChangeService;
  engine: ChangeEngine;
  /** The budget drains by hand hold (ADR 0033): the server passes it to the FleetService. */
  drainHolds: StoreDrainHolds;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Changes (ADR 0026): admission, the API's service, and the engine under the `controller/change` lease. */
export function createChangesModule(deps: ChangesModuleDeps, options: ChangesModuleOptions): ChangesModule {
  const now = () => deps.clock.now();
  registerChangeAdmission({ resources: deps.resources, repository: deps.store.resources, now });
  const actuators: ChangeActuators = {
    nodeOperation: new NodeOperationActuator({
      repository: deps.store.resources,
      inventory: deps.store.inventory,
      fleet: deps.fleet,
    }),
    ...(deps.jobs ? { jobRun: new JobRunActuator({ jobs: deps.jobs.service, hosts: deps.jobs.hosts }) } : {}),
    applicationRevision: new ApplicationRevisionActuator({
      repository: deps.store.resources,
      resources: deps.resources,
      ...(deps.clusters ? { clients: deps.clusters } : {}),
      now,
    }),
    definitionUpgrade: new DefinitionUpgradeActuator({
      repository: deps.store.resources,
      resources: deps.resources,
      revisions: new RevisionManager({
        resources: deps.resources,
        repository: deps.store.resources,
        definitions: new DefinitionSource(deps.store.resources),
      }),
      ...(deps.clusters ? { clients: deps.clusters } : {}),
      now,
    }),
    ...(deps.clusters
      ? {
          workloadOperation: new WorkloadOperationActuator({
            clients: deps.clusters,
            operationOf: (spec) => spec.workloadOperation,
          }),
          kubernetesJob: new KubernetesJobActuator({ clients: deps.clusters, now }),
        }
      : {}),
  };
  const budgets = new ResourceDisruptionBudgets({
    repository: deps.store.resources,
    labels: async (team, kind) => {
      const actuator = Object.values(actuators).find((candidate) => candidate.entityKind === kind);
      return (await actuator?.labels?.(team)) ?? new Map();
    },
  });
  const engine = new ChangeEngine({
    repository: deps.store.resources,
    resources: deps.resources,
    journal: deps.store.changes,
    leases: deps.store.leases,
    actuators,
    recorder: deps.recorder,
    holder: options.holder,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(deps.signals ? { signals: deps.signals } : {}),
    ...(deps.exceptions ? { exceptions: deps.exceptions } : {}),
    ...(deps.metricsSecrets
      ? { metrics: createChangeMetrics({ resources: deps.store.resources, secrets: deps.metricsSecrets }) }
      : {}),
    budgets,
    holds: {
      live: (team, at) => deps.store.disruptionHolds.live(team, at),
      epoch: (team) => deps.store.disruptionHolds.epoch(team),
      now,
    },
  });
  let enqueue: ((key: ObjectKey) => void) | undefined;
  const controllers = new ControllerManager(
    { changes: deps.feed, objects: deps.store.resources, leases: deps.store.leases },
    {
      holder: options.holder,
      leaseDurationMs: options.leaseDurationMs,
      clock: deps.clock,
      logger: deps.logger,
    },
  ).register(createChangeController(engine, { onLeading: (next) => (enqueue = next) }));
  const service = new ChangeService({
    resources: deps.resources,
    journal: deps.store.changes,
    recorder: deps.recorder,
    audit: deps.store.audit,
    now,
    wake: (team, name) => enqueue?.({ team, name }),
    canUndo: (spec) => {
      const action = actuationOf(spec);
      const actuator = action ? actuators[action] : undefined;
      return !!actuator?.undo && (actuator.canUndo?.(spec) ?? true);
    },
    wakeTeam: (team) => {
      if (!enqueue) return;
      void deps.store.resources
        .list({ kind: 'Change', ...(team !== '' ? { teams: [team] } : {}), limit: 100_000 })
        .then((page) => page.items.forEach((item) => enqueue?.({ team: item.team, name: item.name })))
        .catch((error: unknown) =>
          deps.logger.warn({ err: error }, 'waking changes after a released line failed'),
        );
    },
  });
  return {
    service,
    engine,
    drainHolds: new StoreDrainHolds({
      holds: deps.store.disruptionHolds,
      repository: deps.store.resources,
      journal: deps.store.changes,
      budgets,
      now,
    }),
    start: () => controllers.start(),
    stop: () => controllers.stop(),
  };
}
