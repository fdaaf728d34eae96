// The Gantry API as a client sees it, shared by the CLI (Node) and the console (browser): only fetch,
// ReadableStream and TextDecoder are used, never a Node module or a DOM-only API.
export {
  apiGroup,
  apiVersion,
  resourceApiVersion,
  type ObjectMeta,
  type Resource,
  type ResourceList,
} from './resource.ts';
export type { KindList, KindScope, ServedKind, ServerVersion } from './meta.ts';
export type { LoginResult, Me } from './auth.ts';
export { ApiError, isApiError, readApiError, type ErrorBody, type ErrorDetail } from './api-error.ts';
export { parseJsonOrUndefined } from './json.ts';
export { SseParser, type SseEvent } from './sse-parser.ts';
export { readSse } from './read-sse.ts';
export { toWatchEvent, watchEvents, type WatchEvent, type WatchEventType } from './watch.ts';
export {
  workloadKinds,
  type ClusterInventoryCounts,
  type ClusterSpec,
  type ClusterStatus,
  type Condition,
  type DrainReport,
  type EventList,
  type EventQuery,
  type EventRecord,
  type EventSource,
  type EventType,
  type InventoryItem,
  type InventoryNamespace,
  type InventoryNode,
  type InventoryPage,
  type InventoryPods,
  type InventoryWorkload,
  type NodeTaint,
  type PodRef,
  type WorkloadKind,
} from './fleet.ts';
export {
  applicationActionPath,
  deliveryAnnotations,
  deliveryLabels,
  revisionSelector,
  type Application,
  type ApplicationDiff,
  type ApplicationRevision,
  type ApplicationRevisionSpec,
  type ApplicationSpec,
  type ApplicationStatus,
  type ApplicationTarget,
  type ComponentDefinition,
  type ComponentDefinitionSpec,
  type ComponentHealth,
  type ComponentSpec,
  type DefinitionSnapshot,
  type EnvironmentSpec,
  type FieldChange,
  type HealthState,
  type JsonSchema,
  type LabelSelectorSpec,
  type ObjectAction,
  type ObjectDiff,
  type OutputTemplate,
  type OverrideSpec,
  type RollbackRequest,
  type TargetDiff,
  type TargetPhase,
  type TopologySpec,
  type TraitDefinition,
  type TraitDefinitionSpec,
  type TraitSpec,
} from './delivery.ts';
