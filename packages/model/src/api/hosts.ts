import { Type, type Static } from '@sinclair/typebox';

/** A host's state as the servers see it: Online while it heartbeats, Offline after missed heartbeats. */
export const HostStatus = Type.Union([
  Type.Literal('Online'),
  Type.Literal('Offline'),
  Type.Literal('Unknown'),
]);
export type HostStatus = Static<typeof HostStatus>;

/** A host label naming its Kubernetes node when that name differs from the host's. */
export const HOST_NODE_LABEL = 'hosts.gantry.dev/node-name';

export const HostDisk = Type.Object(
  {
    mount: Type.String(),
    filesystem: Type.String(),
    sizeBytes: Type.Number(),
    usedBytes: Type.Number(),
  },
  { additionalProperties: false },
);
export type HostDisk = Static<typeof HostDisk>;

/** What an agent reports about its machine. */
export const HostFacts = Type.Object(
  {
    hostname: Type.String({ maxLength: 253 }),
    os: Type.String({ maxLength: 200, description: 'Operating system name and version.' }),
    platform: Type.String({ maxLength: 50 }),
    arch: Type.String({ maxLength: 50 }),
    kernel: Type.String({ maxLength: 200 }),
    cpus: Type.Integer({ minimum: 0 }),
    memoryBytes: Type.Number({ minimum: 0 }),
    disks: Type.Array(HostDisk, { maxItems: 200 }),
    addresses: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 200 }),
    uptimeSeconds: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type HostFacts = Static<typeof HostFacts>;

export const HostLabels = Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 63 }));
export type HostLabels = Static<typeof HostLabels>;

/** The Kubernetes node of the same machine, when a cluster of the host's team has one. */
export const HostNodeLink = Type.Object(
  { cluster: Type.String({ description: 'The Cluster resource name.' }), node: Type.String() },
  { additionalProperties: false },
);
export type HostNodeLink = Static<typeof HostNodeLink>;

/** A host record: one machine running `gantry agent`. */
export const Host = Type.Object(
  {
    name: Type.String(),
    team: Type.String(),
    status: HostStatus,
    /** When the status last changed. */
    statusSince: Type.String({ format: 'date-time' }),
    connected: Type.Boolean({ description: 'The agent has an open connection to a server now.' }),
    labels: HostLabels,
    facts: Type.Union([HostFacts, Type.Null()]),
    agentVersion: Type.String(),
    lastHeartbeat: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    credentialId: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    node: Type.Union([HostNodeLink, Type.Null()]),
  },
  { additionalProperties: false },
);
export type Host = Static<typeof Host>;

export const HostList = Type.Object(
  { items: Type.Array(Host), continue: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
export type HostList = Static<typeof HostList>;

/** `POST /api/teams/{team}/join-tokens`. */
export const JoinTokenCreate = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 200 })),
    ttlSeconds: Type.Optional(
      Type.Integer({ minimum: 60, maximum: 30 * 86_400, description: 'Default 86400 (a day).' }),
    ),
    uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Default 1.' })),
    labels: Type.Optional(HostLabels),
  },
  { additionalProperties: false },
);
export type JoinTokenCreate = Static<typeof JoinTokenCreate>;

/** A join token as listed: never its secret. */
export const JoinToken = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    description: Type.String(),
    labels: HostLabels,
    maxUses: Type.Integer(),
    uses: Type.Integer(),
    createdBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    state: Type.Union([
      Type.Literal('Active'),
      Type.Literal('Expired'),
      Type.Literal('UsedUp'),
      Type.Literal('Revoked'),
    ]),
  },
  { additionalProperties: false },
);
export type JoinToken = Static<typeof JoinToken>;

/** The answer to a create: the token itself, `<id>.<secret>`, shown this once. */
export const JoinTokenCreated = Type.Object(
  { token: Type.String(), joinToken: JoinToken },
  { additionalProperties: false },
);
export type JoinTokenCreated = Static<typeof JoinTokenCreated>;

export const JoinTokenList = Type.Object({ items: Type.Array(JoinToken) }, { additionalProperties: false });
export type JoinTokenList = Static<typeof JoinTokenList>;
