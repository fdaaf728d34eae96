import type { Clock, ControllerMetrics, EventRecorder, LeaseStore } from '@gantry/controllers';
import type { ResourceService } from '@gantry/resources';
import type { ExceptionRepository, LeaseRepository } from '@gantry/store';
import { ExceptionService, type ExceptionServiceOptions } from './exception-service.ts';
import {
  DEFAULT_FAILURE_CONTROLLER_OPTIONS,
  FailureController,
  type FailureControllerOptions,
} from './failure-controller.ts';
import { registerHealthPolicyAdmission, resourcePolicySource } from './health-policy.ts';

export interface ExceptionsModuleDeps {
  resources: ResourceService;
  /** `store.exceptions`. */
  repository: ExceptionRepository;
  /** With `get`, the failure controller fences its raises (ADR 0028). */
  leases: LeaseStore & Partial<Pick<LeaseRepository, 'get'>>;
  clock: Clock;
  recorder: EventRecorder;
  /** Where the failure controller counts refused writes, and logs. */
  metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
  logger?: { warn(object: object, message: string): void };
  /** After an exception opened or reopened: self-healing looks at once (`ExceptionServiceDeps`). */
  onActivated?: (team: string) => void;
}

export interface ExceptionsModule {
  /** The API's service, correlation's `ExceptionPort` and escalation's `ExceptionReader`. */
  service: ExceptionService;
  failures: FailureController;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Exceptions and failures on one server: the HealthPolicy admission, the service (every server) and the
 * failure controller (on the server holding `controller/failures`).
 */
export function createExceptionsModule(
  deps: ExceptionsModuleDeps,
  options: {
    holder: string;
    service?: Partial<ExceptionServiceOptions>;
    failures?: Partial<Omit<FailureControllerOptions, 'holder'>>;
  },
): ExceptionsModule {
  registerHealthPolicyAdmission(deps.resources);
  const service = new ExceptionService(
    {
      repository: deps.repository,
      policies: resourcePolicySource(deps.resources),
      recorder: deps.recorder,
      clock: deps.clock,
      ...(deps.onActivated ? { onActivated: deps.onActivated } : {}),
    },
    options.service,
  );
  const failures = new FailureController(
    {
      repository: deps.repository,
      policies: (team) => service.policiesOf(team),
      leases: deps.leases,
      clock: deps.clock,
      recorder: deps.recorder,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      ...(deps.logger ? { logger: deps.logger } : {}),
    },
    { ...DEFAULT_FAILURE_CONTROLLER_OPTIONS, ...options.failures, holder: options.holder },
  );
  return {
    service,
    failures,
    start: () => failures.start(),
    stop: () => failures.stop(),
  };
}
