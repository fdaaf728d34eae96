import { Type, type Static } from '@sinclair/typebox';

/** `POST /api/teams/{team}/clusters/{cluster}/nodes/{node}/drain`; no body means the defaults. */
const OverrideReason = Type.String({
  minLength: 1,
  maxLength: 500,
  description:
    'Act despite a stopped line or a closed ChangeWindow (ADR 0033); the reason is kept in the audit log.',
});

/** The body of a cordon or uncordon by hand: nothing, or an override of the fleet gate with its reason. */
export const NodeOperationRequest = Type.Object(
  { overrideReason: Type.Optional(OverrideReason) },
  { additionalProperties: false },
);
export type NodeOperationRequest = Static<typeof NodeOperationRequest>;

export const DrainRequest = Type.Object(
  {
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 300 }),
    force: Type.Boolean({ default: false, description: 'Also evict pods that no controller manages.' }),
    overrideReason: Type.Optional(OverrideReason),
  },
  { additionalProperties: false },
);
export type DrainRequest = Static<typeof DrainRequest>;

export const PodRef = Type.Object(
  { namespace: Type.String(), name: Type.String() },
  { additionalProperties: false },
);
export type PodRef = Static<typeof PodRef>;

const PodWithReason = Type.Object(
  { namespace: Type.String(), name: Type.String(), reason: Type.String() },
  { additionalProperties: false },
);

/** What a drain did: the pods it evicted, those left (each with why), and those a drain leaves alone. */
export const DrainReport = Type.Object(
  {
    node: Type.String(),
    cordoned: Type.Boolean(),
    evicted: Type.Array(PodRef),
    remaining: Type.Array(PodWithReason, { description: 'Pods left on the node, each with why.' }),
    skipped: Type.Array(PodWithReason, {
      description: 'DaemonSet, mirror and already terminating pods, which a drain leaves alone.',
    }),
    timedOut: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type DrainReport = Static<typeof DrainReport>;

/** The answer to cordon and uncordon. */
export const NodeSchedulability = Type.Object(
  { node: Type.String(), unschedulable: Type.Boolean() },
  { additionalProperties: false },
);
export type NodeSchedulability = Static<typeof NodeSchedulability>;
