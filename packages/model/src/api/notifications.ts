import { Type, type Static } from '@sinclair/typebox';

const LabelSet = Type.Record(Type.String(), Type.String());

/** One alert of an Alertmanager v4 webhook notification. */
export const WebhookAlert = Type.Object(
  {
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    labels: LabelSet,
    annotations: LabelSet,
    startsAt: Type.String({ description: 'RFC 3339.' }),
    endsAt: Type.String({ description: 'RFC 3339; `0001-01-01T00:00:00Z` while the end is unknown.' }),
    generatorURL: Type.String(),
    fingerprint: Type.String({ description: 'Alertmanager’s fingerprint of the labels (16 hex digits).' }),
  },
  { additionalProperties: false },
);
export type WebhookAlert = Static<typeof WebhookAlert>;

/**
 * A group notification as Alertmanager's webhook receiver posts it (version 4). A `webhook` channel posts
 * exactly this; the other channel types render it through their templates.
 */
export const WebhookMessage = Type.Object(
  {
    version: Type.Literal('4'),
    groupKey: Type.String(),
    truncatedAlerts: Type.Integer({ minimum: 0 }),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    receiver: Type.String(),
    groupLabels: LabelSet,
    commonLabels: LabelSet,
    commonAnnotations: LabelSet,
    externalURL: Type.String(),
    alerts: Type.Array(WebhookAlert),
  },
  { additionalProperties: false },
);
export type WebhookMessage = Static<typeof WebhookMessage>;

export const NOTIFICATION_STATES = ['pending', 'sending', 'delivered', 'failed', 'superseded'] as const;
export const NotificationState = Type.Union(
  NOTIFICATION_STATES.map((state) => Type.Literal(state)),
  {
    description:
      'pending: waiting in the outbox (new, backing off or rate limited); sending: claimed by a server; delivered; failed: gave up; superseded: a newer notification of the same group and channel was enqueued before this one was sent.',
  },
);
export type NotificationState = Static<typeof NotificationState>;

/** How an attempt ended. `interrupted`: its server died mid-attempt, so whether it arrived is unknown. */
export const AttemptOutcome = Type.Union([
  Type.Literal('delivered'),
  Type.Literal('retryable'),
  Type.Literal('permanent'),
  Type.Literal('interrupted'),
]);
export type AttemptOutcome = Static<typeof AttemptOutcome>;

/** Why an attempt failed, as a stable class (never parsed from a message). */
export const AttemptErrorClass = Type.Union([
  Type.Literal('http4xx'),
  Type.Literal('http5xx'),
  Type.Literal('http429'),
  Type.Literal('rejected'),
  Type.Literal('timeout'),
  Type.Literal('network'),
  Type.Literal('smtp'),
  Type.Literal('secret'),
  Type.Literal('template'),
  Type.Literal('channelNotFound'),
  Type.Literal('interrupted'),
]);
export type AttemptErrorClass = Static<typeof AttemptErrorClass>;

export const NotificationAttempt = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    at: Type.String({ description: 'When the attempt started (RFC 3339).' }),
    latencyMs: Type.Number({ description: 'Until the answer, the error or the timeout.' }),
    outcome: AttemptOutcome,
    statusCode: Type.Optional(Type.Integer({ description: 'The HTTP status, or the SMTP reply code.' })),
    errorClass: Type.Optional(AttemptErrorClass),
    error: Type.Optional(Type.String({ description: 'What failed, secrets masked.' })),
    response: Type.Optional(Type.String({ description: 'The first 512 characters of the answer.' })),
    server: Type.String({ description: 'The server (worker id) that made the attempt.' }),
  },
  { additionalProperties: false },
);
export type NotificationAttempt = Static<typeof NotificationAttempt>;

/** A notification in the delivery log (the outbox row). */
export const NotificationRecord = Type.Object(
  {
    id: Type.String({ description: 'Sent as `X-Gantry-Notification-Id` and `Idempotency-Key`.' }),
    team: Type.String(),
    channel: Type.String(),
    groupKey: Type.String(),
    dedupKey: Type.String(),
    state: NotificationState,
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    alerts: Type.Integer({ description: 'Alerts in the message.' }),
    attempts: Type.Integer(),
    createdAt: Type.String(),
    updatedAt: Type.String(),
    nextAttemptAt: Type.Optional(Type.String({ description: 'While pending.' })),
    deliveredAt: Type.Optional(Type.String()),
    lastError: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type NotificationRecord = Static<typeof NotificationRecord>;

export const NotificationDetail = Type.Object(
  {
    notification: NotificationRecord,
    message: WebhookMessage,
    attempts: Type.Array(NotificationAttempt),
  },
  { additionalProperties: false },
);
export type NotificationDetail = Static<typeof NotificationDetail>;

export const NotificationList = Type.Object(
  {
    items: Type.Array(NotificationRecord),
    continue: Type.Optional(Type.String({ description: 'Pass as `continue` for the next page.' })),
  },
  { additionalProperties: false },
);
export type NotificationList = Static<typeof NotificationList>;

/** `GET /api/teams/{team}/notifications` query parameters. */
export const NotificationQuery = Type.Object(
  {
    channel: Type.Optional(Type.String({ maxLength: 63 })),
    state: Type.Optional(NotificationState),
    groupKey: Type.Optional(Type.String({ maxLength: 4096 })),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only notifications created at or after this time.' }),
    ),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1-1000, default 100.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type NotificationQuery = Static<typeof NotificationQuery>;

/** What `POST .../notificationchannels/{name}/test` answers: the one attempt it made. */
export const ChannelTestResult = Type.Object(
  { channel: Type.String(), attempt: NotificationAttempt },
  { additionalProperties: false },
);
export type ChannelTestResult = Static<typeof ChannelTestResult>;
