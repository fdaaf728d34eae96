import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN } from '../resource.ts';

export const ClusterSpec = Type.Object(
  {
    kubeconfigSecret: Type.Object(
      {
        name: Type.String({
          pattern: NAME_PATTERN,
          maxLength: 63,
          description: "A secret of the cluster's team holding the kubeconfig.",
        }),
        key: Type.String({
          default: 'kubeconfig',
          maxLength: 253,
          description: 'The key within the secret.',
        }),
      },
      { additionalProperties: false },
    ),
    context: Type.Optional(
      Type.String({
        maxLength: 253,
        description: 'The kubeconfig context to use; default its current context.',
      }),
    ),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    paused: Type.Boolean({
      default: false,
      description: 'Stop watching the cluster (its inventory is kept as last seen).',
    }),
  },
  { additionalProperties: false },
);
export type ClusterSpec = Static<typeof ClusterSpec>;

export const ClusterStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
    server: Type.Optional(Type.String({ description: 'The API server URL from the kubeconfig.' })),
    serverVersion: Type.Optional(Type.String()),
    latencyMs: Type.Optional(
      Type.Number({ description: 'Round trip of a /version probe, updated when it moves by half or more.' }),
    ),
    inventory: Type.Optional(
      Type.Object(
        {
          nodes: Type.Integer(),
          readyNodes: Type.Integer(),
          namespaces: Type.Integer(),
          workloads: Type.Integer(),
          pods: Type.Record(Type.String(), Type.Integer(), { description: 'Pods by phase.' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ClusterStatus = Static<typeof ClusterStatus>;

export const clusterKind: KindDefinition = {
  kind: 'Cluster',
  plural: 'clusters',
  shortNames: ['cl'],
  scope: 'Team',
  description:
    'A Kubernetes cluster under management, reached through its API server with a kubeconfig kept as an encrypted secret.',
  spec: ClusterSpec,
  status: ClusterStatus,
  printerColumns: [
    { name: 'Ready', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
    { name: 'Version', jsonPath: '.status.serverVersion' },
    { name: 'Nodes', jsonPath: '.status.inventory.nodes' },
    { name: 'Ready-Nodes', jsonPath: '.status.inventory.readyNodes' },
  ],
};
