import type { Logger } from 'pino';
import {
  termElector,
  type Clock,
  type ControllerMetrics,
  type EventRecorder,
  type LeaseStore,
} from '@gantry/controllers';
import type { ClusterSpec, Resource } from '@gantry/model';
import { createPrometheusQuerier, type PrometheusQuerier } from '@gantry/alerts';
import type { CelEngine } from '@gantry/delivery';
import type { ResourceService } from '@gantry/resources';
import type { InventoryRepository, LeaseRepository, ResourceRepository, RiskRepository } from '@gantry/store';
import type { RiskSink } from '../ports.ts';
import { RiskService } from '../risks/risk-service.ts';
import { StoreRiskSink } from '../risks/store-risk-sink.ts';
import { registerInspectionAdmission } from './admission.ts';
import {
  createInspectionData,
  kubeconfigClientCertificateNotAfter,
  type ClusterCertificates,
} from './inspection-data.ts';
import { InspectionRunner } from './inspection-runner.ts';
import {
  DEFAULT_INSPECTION_SCHEDULER_OPTIONS,
  InspectionScheduler,
  type InspectionSchedulerOptions,
} from './inspection-scheduler.ts';
import { InspectionService } from './inspection-service.ts';
import { createMetricsSourceResolver } from './metrics-sources.ts';

export interface InspectionsModuleDeps {
  resources: ResourceService;
  repository: Pick<ResourceRepository, 'list' | 'get'>;
  inventory: Pick<InventoryRepository, 'list'>;
  risks: RiskRepository;
  secrets: { reveal(team: string, name: string): Promise<Record<string, string>> };
  leases: LeaseStore & Pick<LeaseRepository, 'get'>;
  clock: Clock;
  recorder: EventRecorder;
  engine: CelEngine;
  logger: Logger;
  /** Where the scheduler's refused writes are counted (`controller="health-inspections"`). */
  metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
  /** Calls `listener` on every resource change (the change feed). Returns the unsubscribe function. */
  subscribe: (
    listener: (change: {
      kind: string;
      type: string;
      team: string;
      name: string;
      object: { metadata: { generation?: number } };
    }) => void,
  ) => () => void;
  prometheus?: PrometheusQuerier;
  /** Replaces the store-backed sink (tests); the risks' records are written through it. */
  sink?: RiskSink;
}

export interface InspectionsModuleOptions {
  holder: string;
  leaseDurationMs: number;
  leaseName?: string;
  scheduler?: Partial<InspectionSchedulerOptions>;
  onDrift?: (ms: number) => void;
}

export interface InspectionsModule {
  runner: InspectionRunner;
  scheduler: InspectionScheduler;
  service: InspectionService;
  riskService: RiskService;
  sink: RiskSink;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The lease the scheduler runs under: one server schedules, any server runs a manual trigger. */
export const INSPECTIONS_LEASE = 'health-inspections';

/** Reads a cluster's kubeconfig from its secret and the expiry of its client certificate, if any. */
export function kubeconfigCertificates(secrets: InspectionsModuleDeps['secrets']): ClusterCertificates {
  return {
    async clientCertificateNotAfter(team: string, cluster: Resource<ClusterSpec>) {
      const ref = cluster.spec.kubeconfigSecret;
      const kubeconfig = (await secrets.reveal(team, ref.name))[ref.key];
      return kubeconfig === undefined ? undefined : kubeconfigClientCertificateNotAfter(kubeconfig);
    },
  };
}

/** Wires risk inspection (ADR 0020): admission, the runner, the scheduler under its lease, the services. */
export function createInspectionsModule(
  deps: InspectionsModuleDeps,
  options: InspectionsModuleOptions,
): InspectionsModule {
  registerInspectionAdmission(deps.resources, deps.engine);
  const sink = deps.sink ?? new StoreRiskSink(deps.risks);
  const data = createInspectionData({
    resources: deps.repository,
    inventory: deps.inventory,
    certificates: kubeconfigCertificates(deps.secrets),
  });
  const runner = new InspectionRunner({
    runs: deps.risks,
    sink,
    data,
    prometheus: deps.prometheus ?? createPrometheusQuerier(),
    sources: createMetricsSourceResolver({ resources: deps.repository, secrets: deps.secrets }),
    resources: deps.resources,
    recorder: deps.recorder,
    engine: deps.engine,
    clock: deps.clock,
  });
  const scheduler = new InspectionScheduler(
    {
      resources: deps.repository,
      runs: deps.risks,
      sink,
      runner,
      data,
      clock: deps.clock,
      onError: (error, what) => deps.logger.warn({ err: error }, `${what} failed`),
      ...(options.onDrift ? { onDrift: options.onDrift } : {}),
    },
    { ...DEFAULT_INSPECTION_SCHEDULER_OPTIONS, ...options.scheduler },
  );
  // Each term's risk writes carry its fence (ADR 0028).
  const leader = termElector(deps.leases, {
    leaseName: options.leaseName ?? INSPECTIONS_LEASE,
    holder: options.holder,
    leaseDurationMs: options.leaseDurationMs,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    onStartedLeading: (term) => scheduler.start(term),
    onStoppedLeading: () => scheduler.stop(),
  });
  let unsubscribe: (() => void) | undefined;
  return {
    runner,
    scheduler,
    sink,
    service: new InspectionService({ resources: deps.resources, runs: deps.risks, runner }),
    riskService: new RiskService(deps.risks),
    async start() {
      unsubscribe = deps.subscribe((change) => {
        if (change.kind === 'Inspection') scheduler.changed(change);
      });
      await leader.start();
    },
    async stop() {
      unsubscribe?.();
      await leader.stop();
    },
  };
}
