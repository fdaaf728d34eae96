import { Type, type Static } from '@sinclair/typebox';
import { EventRecord } from '../event.ts';
import { FAILURE_LEVELS } from '../kinds/health-policy.ts';
import { StringEnum } from '../resource.ts';

/*
 * Exceptions and failures on the wire (ADR 0018, docs/reference/exceptions.md): the exception record with
 * its lifecycle and failure review, its timeline, the actions' bodies and the list queries.
 */

const Time = Type.String({ format: 'date-time' });

export const EXCEPTION_SEVERITIES = ['critical', 'major', 'minor', 'warning'] as const;
export const ExceptionSeverity = StringEnum(EXCEPTION_SEVERITIES);
export type ExceptionSeverity = Static<typeof ExceptionSeverity>;

/** `merged`: folded into another exception (`mergedInto`); nothing happens to it any more. */
export const EXCEPTION_STATES = ['open', 'acknowledged', 'mitigated', 'resolved', 'merged'] as const;
export const ExceptionStateSchema = StringEnum(EXCEPTION_STATES);
export type ExceptionRecordState = Static<typeof ExceptionStateSchema>;

export const FailureLevelSchema = StringEnum(FAILURE_LEVELS, {
  description: 'P4 (least severe) to P0, by how long the exception lasted.',
});
export type FailureLevelName = Static<typeof FailureLevelSchema>;

export const ENTITY_KINDS = [
  'Application',
  'Component',
  'Cluster',
  'Node',
  'Namespace',
  'Workload',
  'Host',
  'Team',
] as const;

/** What a health object concerns (the `EntityRef` of the health ports). */
export const EntityRefSchema = Type.Object(
  {
    kind: StringEnum(ENTITY_KINDS),
    name: Type.String({ minLength: 1, maxLength: 253 }),
    cluster: Type.Optional(Type.String({ maxLength: 63 })),
    namespace: Type.Optional(Type.String({ maxLength: 253 })),
    application: Type.Optional(
      Type.String({ maxLength: 63, description: 'For a Component: its application.' }),
    ),
  },
  { additionalProperties: false },
);
export type EntityRefRecord = Static<typeof EntityRefSchema>;

export const CorrelationReasonSchema = Type.Object(
  {
    rule: Type.String({ description: '`topology`, or the CorrelationRule that grouped the alerts.' }),
    ruleKind: StringEnum(['Topology', 'CorrelationRule']),
    shared: Type.Record(Type.String(), Type.String(), {
      description: 'The values the grouped alerts share (a rack, a cluster, a group-by).',
    }),
  },
  { additionalProperties: false },
);
export type CorrelationReason = Static<typeof CorrelationReasonSchema>;

export const FollowUp = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 500 }),
    owner: Type.Optional(Type.String({ maxLength: 253 })),
    done: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);
export type FollowUp = Static<typeof FollowUp>;

export const ExceptionRecord = Type.Object(
  {
    id: Type.String(),
    team: Type.String(),
    title: Type.String(),
    severity: ExceptionSeverity,
    state: ExceptionStateSchema,
    entities: Type.Array(EntityRefSchema),
    assignee: Type.Optional(Type.String()),
    origin: StringEnum(['correlation', 'manual']),
    correlationKey: Type.Optional(Type.String()),
    correlationReason: Type.Optional(CorrelationReasonSchema),
    openedAt: Type.String({ format: 'date-time', description: 'When it was first opened.' }),
    episodeOpenedAt: Type.String({
      format: 'date-time',
      description:
        'When the current episode began: openedAt, or the last reopen. Failure levels count from it.',
    }),
    acknowledgedAt: Type.Optional(Time),
    mitigatedAt: Type.Optional(Time),
    resolvedAt: Type.Optional(Time),
    level: Type.Optional(FailureLevelSchema),
    levelRaisedAt: Type.Record(Type.String(), Time, {
      description: 'When each level was reached (the threshold’s instant), by level.',
    }),
    impact: Type.Optional(Type.String()),
    rootCause: Type.Optional(Type.String()),
    followUps: Type.Array(FollowUp),
    mergedInto: Type.Optional(Type.String()),
    alertCount: Type.Integer({ description: 'Alerts that ever joined.' }),
    firingAlertCount: Type.Integer({ description: 'Member alerts firing now.' }),
    reopenCount: Type.Integer(),
    createdBy: Type.String(),
    changedAt: Type.String({
      format: 'date-time',
      description: 'The last change of state, level or assignee.',
    }),
    updatedAt: Time,
  },
  { additionalProperties: false },
);
export type ExceptionRecord = Static<typeof ExceptionRecord>;

export const ExceptionList = Type.Object(
  {
    items: Type.Array(ExceptionRecord),
    continue: Type.Optional(Type.String({ description: 'Pass as `continue` for the next page.' })),
  },
  { additionalProperties: false },
);
export type ExceptionList = Static<typeof ExceptionList>;

export const TIMELINE_ENTRY_TYPES = [
  'opened',
  'alert-joined',
  'alert-resolved',
  'notification',
  'escalation',
  'state-changed',
  'assigned',
  'comment',
  'level-raised',
  'severity-changed',
  'review-updated',
  'merged',
  'event',
] as const;
export const TimelineEntryType = StringEnum(TIMELINE_ENTRY_TYPES);
export type TimelineEntryType = Static<typeof TimelineEntryType>;

export const ExceptionTimelineEntry = Type.Object(
  {
    type: TimelineEntryType,
    at: Time,
    actor: Type.String({ description: 'A user, `controller/<name>`, or for an event its actor.' }),
    message: Type.String(),
    reason: Type.Optional(Type.String({ description: 'Why, as the actor gave it.' })),
    fromState: Type.Optional(ExceptionStateSchema),
    toState: Type.Optional(ExceptionStateSchema),
    level: Type.Optional(FailureLevelSchema),
    fingerprint: Type.Optional(Type.String({ description: 'The alert, for alert entries.' })),
    exception: Type.Optional(
      Type.String({ description: 'The exception the entry was first written on, when it came by a merge.' }),
    ),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    event: Type.Optional(EventRecord),
  },
  { additionalProperties: false },
);
export type ExceptionTimelineEntry = Static<typeof ExceptionTimelineEntry>;

export const ExceptionTimeline = Type.Object(
  {
    exception: ExceptionRecord,
    from: Type.String({
      format: 'date-time',
      description: 'Events are shown from 30 minutes before opening…',
    }),
    to: Type.String({ format: 'date-time', description: '…to resolution (or now).' }),
    entries: Type.Array(ExceptionTimelineEntry),
    truncated: Type.Boolean({ description: 'More entries or events exist than were returned.' }),
  },
  { additionalProperties: false },
);
export type ExceptionTimeline = Static<typeof ExceptionTimeline>;

const Reason = Type.Optional(Type.String({ maxLength: 2000, description: 'Why, for the timeline.' }));

export const CreateExceptionRequest = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 500 }),
    severity: ExceptionSeverity,
    entities: Type.Array(EntityRefSchema, { maxItems: 1000, default: [] }),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    reason: Reason,
  },
  { additionalProperties: false },
);
export type CreateExceptionRequest = Static<typeof CreateExceptionRequest>;

export const ExceptionActionRequest = Type.Object({ reason: Reason }, { additionalProperties: false });
export type ExceptionActionRequest = Static<typeof ExceptionActionRequest>;

export const AssignExceptionRequest = Type.Object(
  {
    assignee: Type.Union([Type.String({ minLength: 1, maxLength: 253 }), Type.Null()], {
      description: 'A user name; null unassigns.',
    }),
    reason: Reason,
  },
  { additionalProperties: false },
);
export type AssignExceptionRequest = Static<typeof AssignExceptionRequest>;

export const CommentExceptionRequest = Type.Object(
  { message: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);
export type CommentExceptionRequest = Static<typeof CommentExceptionRequest>;

export const MergeExceptionRequest = Type.Object(
  {
    from: Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        'The exception merged into this one: its alerts and timeline move here, it becomes merged.',
    }),
    reason: Reason,
  },
  { additionalProperties: false },
);
export type MergeExceptionRequest = Static<typeof MergeExceptionRequest>;

/** The failure review (merge patch: null clears a field). */
export const ExceptionReviewPatch = Type.Object(
  {
    impact: Type.Optional(Type.Union([Type.String({ maxLength: 20_000 }), Type.Null()])),
    rootCause: Type.Optional(Type.Union([Type.String({ maxLength: 20_000 }), Type.Null()])),
    followUps: Type.Optional(Type.Array(FollowUp, { maxItems: 200 })),
  },
  { additionalProperties: false },
);
export type ExceptionReviewPatch = Static<typeof ExceptionReviewPatch>;

export const ExceptionQuery = Type.Object(
  {
    state: Type.Optional(
      Type.String({
        pattern: '^[a-z]+(,[a-z]+)*$',
        maxLength: 100,
        description: 'One state or several, comma-separated; `active` = open, acknowledged, mitigated.',
      }),
    ),
    severity: Type.Optional(ExceptionSeverity),
    level: Type.Optional(
      Type.String({ pattern: '^P[0-4](,P[0-4])*$', maxLength: 20, description: 'One level or several.' }),
    ),
    entity: Type.Optional(
      Type.String({ maxLength: 320, description: '`Kind/name` of an entity the exception concerns.' }),
    ),
    cluster: Type.Optional(Type.String({ maxLength: 63, description: 'With `entity`: its cluster.' })),
    assignee: Type.Optional(Type.String({ maxLength: 253 })),
    since: Type.Optional(
      Type.String({
        maxLength: 40,
        description: 'RFC 3339: still unresolved at or resolved after this time.',
      }),
    ),
    until: Type.Optional(
      Type.String({ maxLength: 40, description: 'RFC 3339: opened at or before this time.' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1-1000, default 100.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type ExceptionQuery = Static<typeof ExceptionQuery>;
