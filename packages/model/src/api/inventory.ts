import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { StringEnum } from '../resource.ts';
import { WORKLOAD_KINDS } from '../wire-constants.ts';

/**
 * The bodies of `GET /api/inventory/{view}` (docs/reference/api.md, "Fleet"): compact summaries of what
 * Gantry last saw in each cluster. `packages/fleet` writes the summaries; the item fields come from the row.
 */

const StringMap = Type.Record(Type.String(), Type.String());
const Timestamp = Type.String({ format: 'date-time' });

/** What every inventory item carries; `cluster` is `team/name`. */
export const InventoryItemFields = {
  cluster: Type.String({ description: '`team/name` of the cluster.' }),
  kind: Type.String(),
  namespace: Type.String({ description: 'Empty for nodes and namespaces.' }),
  name: Type.String(),
  updatedAt: Type.Optional(Timestamp),
};
export const InventoryItem = Type.Object(InventoryItemFields, { additionalProperties: false });
export type InventoryItem = Static<typeof InventoryItem>;

/** A node condition as the kubelet reports it (`Ready`, `MemoryPressure`...). */
export const NodeCondition = Type.Object(
  {
    type: Type.String(),
    status: Type.String(),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    lastTransitionTime: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type NodeCondition = Static<typeof NodeCondition>;

export const NodeTaint = Type.Object(
  { key: Type.String(), value: Type.Optional(Type.String()), effect: Type.String() },
  { additionalProperties: false },
);
export type NodeTaint = Static<typeof NodeTaint>;

export const NodeSummary = Type.Object(
  {
    ready: Type.Boolean(),
    unschedulable: Type.Boolean(),
    conditions: Type.Array(NodeCondition),
    labels: StringMap,
    taints: Type.Array(NodeTaint),
    capacity: StringMap,
    allocatable: StringMap,
    kubeletVersion: Type.Optional(Type.String()),
    createdAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type NodeSummary = Static<typeof NodeSummary>;

export const NamespaceSummary = Type.Object(
  { phase: Type.String(), labels: StringMap, createdAt: Type.Optional(Timestamp) },
  { additionalProperties: false },
);
export type NamespaceSummary = Static<typeof NamespaceSummary>;

export const WorkloadKindSchema = StringEnum(WORKLOAD_KINDS);

export const WorkloadSummary = Type.Object(
  {
    desired: Type.Integer(),
    ready: Type.Integer(),
    available: Type.Integer(),
    updated: Type.Integer(),
    healthy: Type.Boolean(),
    images: Type.Array(Type.String()),
    labels: StringMap,
    schedule: Type.Optional(Type.String({ description: 'CronJob only.' })),
    suspend: Type.Optional(Type.Boolean({ description: 'CronJob only.' })),
    lastScheduleTime: Type.Optional(Type.String({ description: 'CronJob only.' })),
    succeeded: Type.Optional(Type.Integer({ description: 'Job only.' })),
    failed: Type.Optional(Type.Integer({ description: 'Job only.' })),
    active: Type.Optional(Type.Integer({ description: 'Jobs and CronJobs.' })),
    createdAt: Type.Optional(Timestamp),
    podDisruptionBudget: Type.Optional(
      StringEnum(['covered', 'uncovered'], {
        description:
          "Whether a PodDisruptionBudget of the namespace selects the pod template's labels; absent until the cluster's PodDisruptionBudgets are listed.",
      }),
    ),
  },
  { additionalProperties: false },
);
export type WorkloadSummary = Static<typeof WorkloadSummary>;

/** A label selector as Kubernetes writes it (`matchLabels` and `matchExpressions` must all hold). */
export const LabelSelectorSummary = Type.Object(
  {
    matchLabels: Type.Optional(StringMap),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          { key: Type.String(), operator: Type.String(), values: Type.Optional(Type.Array(Type.String())) },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);
export type LabelSelectorSummary = Static<typeof LabelSelectorSummary>;

/** A PodDisruptionBudget (policy/v1) as the inventory holds it (kind `PodDisruptionBudget`). */
export const PodDisruptionBudgetSummary = Type.Object(
  {
    selector: Type.Union([LabelSelectorSummary, Type.Null()], {
      description: 'Null selects no pod; an empty selector every pod of the namespace.',
    }),
    minAvailable: Type.Optional(Type.String({ description: 'A count or a percentage, as written.' })),
    maxUnavailable: Type.Optional(Type.String({ description: 'A count or a percentage, as written.' })),
    currentHealthy: Type.Integer(),
    desiredHealthy: Type.Integer(),
    disruptionsAllowed: Type.Integer(),
    expectedPods: Type.Integer(),
    createdAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type PodDisruptionBudgetSummary = Static<typeof PodDisruptionBudgetSummary>;

/**
 * A `kubernetes.io/tls` Secret as the inventory holds it (kind `TLSCertificate`, collected only when
 * `GANTRY_FLEET_TLS_CERTIFICATES` is on): the expiry of its certificate, never the secret's data.
 */
export const TlsCertificateSummary = Type.Object(
  {
    notAfter: Type.Optional(
      Type.String({ format: 'date-time', description: "The first certificate's expiry." }),
    ),
    unreadable: Type.Optional(
      Type.String({ description: 'Why no expiry could be read (never the content).' }),
    ),
  },
  { additionalProperties: false },
);
export type TlsCertificateSummary = Static<typeof TlsCertificateSummary>;

export const InventoryNode = Type.Object(
  { ...InventoryItemFields, ...NodeSummary.properties },
  { additionalProperties: false },
);
export type InventoryNode = Static<typeof InventoryNode>;

export const InventoryNamespace = Type.Object(
  { ...InventoryItemFields, ...NamespaceSummary.properties },
  { additionalProperties: false },
);
export type InventoryNamespace = Static<typeof InventoryNamespace>;

export const InventoryWorkload = Type.Object(
  { ...InventoryItemFields, kind: WorkloadKindSchema, ...WorkloadSummary.properties },
  { additionalProperties: false },
);
export type InventoryWorkload = Static<typeof InventoryWorkload>;

/** One namespace's pods: a count per phase (`Running: 12`) next to the item fields. */
export const InventoryPods = Type.Object(InventoryItemFields, {
  additionalProperties: Type.Integer({ description: 'Pods in this phase.' }),
});
export type InventoryPods = InventoryItem & Record<string, unknown>;

export const InventoryPage = <T extends TSchema>(item: T) =>
  Type.Object(
    { items: Type.Array(item), continue: Type.Optional(Type.String()) },
    { additionalProperties: false },
  );
export interface InventoryPage<T> {
  items: T[];
  continue?: string;
}

/** The query of `GET /api/inventory/{view}`. */
export const InventoryQuery = Type.Object(
  {
    team: Type.Optional(Type.String({ maxLength: 63 })),
    cluster: Type.Optional(Type.String({ maxLength: 63, description: 'Needs team.' })),
    namespace: Type.Optional(Type.String({ maxLength: 253 })),
    name: Type.Optional(Type.String({ maxLength: 253 })),
    kind: Type.Optional(Type.String({ maxLength: 63, description: 'A workload kind (workloads only).' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1 to 5000; default 500.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type InventoryQuery = Static<typeof InventoryQuery>;
