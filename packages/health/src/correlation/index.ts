export { registerCorrelationAdmission } from './admission.ts';
export { compileCorrelationRule, type CompiledCorrelationRule } from './compile-rule.ts';
export { CorrelationEngine, type EngineAlert, type GroupRecord, type MemberRecord } from './engine.ts';
export { MemoryExceptions, type MemoryException } from './memory-exceptions.ts';
export {
  createCorrelationRunner,
  type CorrelationRunner,
  type CorrelationRunnerDeps,
  type CorrelationRunnerOptions,
} from './runner.ts';
export { DEFAULT_TOPOLOGY_LABELS, type TopologyLabels } from './topology.ts';
export { inventoryTopology, type TopologySource } from './topology-source.ts';
export {
  createHealthCorrelation,
  type HealthCorrelation,
  type HealthCorrelationDeps,
  type HealthCorrelationOptions,
} from './health-correlation.ts';
