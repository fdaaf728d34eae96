export {
  DEFAULT_EXCEPTION_SERVICE_OPTIONS,
  ExceptionService,
  type ExceptionServiceDeps,
  type ExceptionServiceOptions,
} from './exception-service.ts';
export {
  DEFAULT_FAILURE_CONTROLLER_OPTIONS,
  FailureController,
  dueFailureLevels,
  type FailureControllerDeps,
  type FailureControllerOptions,
  type FailureOutcome,
} from './failure-controller.ts';
export {
  DEFAULT_HEALTH_POLICY,
  checkHealthPolicy,
  registerHealthPolicyAdmission,
  resolveHealthPolicy,
  resourcePolicySource,
  type HealthPolicyObject,
  type HealthPolicySource,
  type ResolvedHealthPolicy,
} from './health-policy.ts';
export { createExceptionsModule, type ExceptionsModule, type ExceptionsModuleDeps } from './module.ts';
export {
  ExceptionActors,
  ExceptionEventReasons,
  FailureReasons,
  ExceptionTimelineReasons,
} from './reasons.ts';
export { checkExceptionTransition, type ExceptionAction } from './transitions.ts';
