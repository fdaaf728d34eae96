// The Gantry API as a client sees it, shared by the CLI (Node) and the console (browser): only fetch,
// ReadableStream and TextDecoder are used, never a Node module or a DOM-only API. The wire shapes are the
// model's schemas, imported as types only; the few constants come from @gantry/model/wire-constants, which
// imports nothing.
export { API_GROUP, API_VERSION, type ObjectMeta, type Resource, type ResourceList } from './resource.ts';
export type { KindList, KindScope, PrinterColumn, ServedKind, ServerVersion } from './meta.ts';
export { apiVersionOf, kindInfo, kindInfos, KINDS_TAG_HEADER, type KindInfo } from './kinds.ts';
export {
  TeamRoles,
  type ApiToken,
  type AuditEntry,
  type AuditPage,
  type CreatedToken,
  type CreateTokenRequest,
  type CreateUserRequest,
  type CookieLoginResult,
  type LoginResult,
  type Me,
  type PublicUser,
  type SecretSummary,
  type TeamRole,
  type UpdateUserRequest,
} from './auth.ts';
export { ApiError, isApiError, readApiError, type ErrorBody, type ErrorDetail } from './api-error.ts';
export { ErrorCodes, type ErrorCode } from '@gantry/model/errors';
export {
  bearerHeaders,
  HttpClient,
  parseWarnings,
  pathWithQuery,
  type HttpClientOptions,
  type Query,
  type QueryValue,
  type RequestInfo,
  type RequestOptions,
} from './http-client.ts';
export type { HttpRequestInit, HttpResponse, HttpTransport } from './transport.ts';
export { parseJsonOrUndefined } from './json.ts';
export { SseParser, type SseEvent } from './sse-parser.ts';
export { readSse } from './read-sse.ts';
export { toWatchEvent, watchEvents, type WatchEvent, type WatchEventType } from './watch.ts';
export {
  INVENTORY_VIEWS,
  WORKLOAD_KINDS,
  type ClusterInventoryCounts,
  type ClusterSpec,
  type ClusterStatus,
  type Condition,
  type DrainReport,
  type EventList,
  type EventQuery,
  type DrainRequest,
  type EventRecord,
  type EventSource,
  type EventType,
  type InventoryItem,
  type InventoryNamespace,
  type InventoryNode,
  type InventoryPage,
  type InventoryPods,
  type InventoryQuery,
  type InventoryView,
  type InventoryWorkload,
  type NodeCondition,
  type NodeSchedulability,
  type NodeTaint,
  type PodRef,
  type WorkloadKind,
} from './fleet.ts';
export {
  applicationActionPath,
  applicationSelector,
  deliveryAnnotations,
  deliveryLabels,
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
  type DiffRequest,
  type EnvironmentSpec,
  type FieldChange,
  type HealthState,
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
export type * from './jobs.ts';
export type * from './alerts.ts';
export type * from './hosts.ts';
export type * from './health.ts';
export * from './changes.ts';
export type * from './healing.ts';
