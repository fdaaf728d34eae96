import { Type, type Static } from '@sinclair/typebox';

/**
 * What a workload operation does to one workload or pod (the healing actions "restart a rollout", "scale",
 * "delete a pod"), for a Change's `workloadOperation` once the Change kind carries it (ADR 0037). Entities
 * are `<cluster>/<namespace>/<Kind>/<name>`: Deployment, StatefulSet or DaemonSet for `restart`,
 * Deployment or StatefulSet for `scale`, Pod for `deletePod`.
 */
export const WORKLOAD_OPERATIONS = ['restart', 'scale', 'deletePod'] as const;

export const ChangeWorkloadOperation = Type.Object(
  {
    operation: Type.Union(
      WORKLOAD_OPERATIONS.map((op) => Type.Literal(op)),
      {
        description:
          'restart: a new rollout of the pod template (as `kubectl rollout restart`); scale: set replicas; ' +
          'deletePod: delete the pod (its controller makes a new one).',
      },
    ),
    replicas: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'For scale.' })),
  },
  { additionalProperties: false },
);
export type ChangeWorkloadOperation = Static<typeof ChangeWorkloadOperation>;
