import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './resource.ts';

/**
 * Event records, the wire shape of `GET /api/events` (docs/reference/events.md). Two sources share one
 * record: the clusters' Kubernetes Events as Gantry saw them, and Gantry's own events (what a controller
 * or an operation did). The store keeps both in one table; the client, CLI and console read this type.
 */
export const EVENT_SOURCES = ['gantry', 'kubernetes'] as const;
export const EventSource = StringEnum(EVENT_SOURCES, {
  description: '`gantry` for what Gantry did, `kubernetes` for a cluster’s own Event.',
});
export type EventSource = Static<typeof EventSource>;

export const EVENT_TYPES = ['Normal', 'Warning'] as const;
export const EventType = StringEnum(EVENT_TYPES);
export type EventType = Static<typeof EventType>;

export const EventRecord = Type.Object(
  {
    id: Type.Integer(),
    source: EventSource,
    team: Type.String({
      description: 'The team of the object the event regards; `""` for global kinds (definitions).',
    }),
    cluster: Type.String({
      description: '`team/name` of the cluster the regarded object lives in (or is); `""` for none.',
    }),
    namespace: Type.String({ description: 'The Kubernetes namespace of the object; `""` for none.' }),
    objectKind: Type.String({ description: 'Kind of the object the event regards (`Pod`, `Application`).' }),
    objectName: Type.String(),
    type: Type.String({ description: '`Normal` or `Warning`.' }),
    reason: Type.String({ description: 'A reason in UpperCamelCase (`NodeCordoned`, `BackOff`).' }),
    message: Type.String(),
    actor: Type.String({
      description:
        'Who caused it: a user or `controller/<name>` for Gantry events; the reporting component for Kubernetes ones.',
    }),
    count: Type.Integer({ minimum: 1, description: 'How many times it happened (repeats are folded).' }),
    firstSeen: Type.String({ format: 'date-time' }),
    lastSeen: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type EventRecord = Static<typeof EventRecord>;

export const EventList = Type.Object(
  {
    items: Type.Array(EventRecord),
    continue: Type.Optional(Type.String({ description: 'Pass as `continue` for the next page.' })),
  },
  { additionalProperties: false },
);
export type EventList = Static<typeof EventList>;

/** `GET /api/events` query parameters. Every filter is exact; `cluster` needs `team`. */
export const EventQuery = Type.Object(
  {
    team: Type.Optional(Type.String({ maxLength: 63 })),
    cluster: Type.Optional(Type.String({ maxLength: 63 })),
    namespace: Type.Optional(Type.String({ maxLength: 253 })),
    kind: Type.Optional(Type.String({ maxLength: 63, description: 'The regarded object’s kind.' })),
    name: Type.Optional(Type.String({ maxLength: 253, description: 'The regarded object’s name.' })),
    type: Type.Optional(EventType),
    reason: Type.Optional(Type.String({ maxLength: 128 })),
    source: Type.Optional(EventSource),
    since: Type.Optional(
      Type.String({ maxLength: 40, description: 'Only events last seen at or after this RFC 3339 time.' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1-5000, default 500.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type EventQuery = Static<typeof EventQuery>;
