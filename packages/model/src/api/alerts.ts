import { Type, type Static } from '@sinclair/typebox';
import { AlertMatcher } from './alert-matcher.ts';

/*
 * Alerts on the wire: the Alertmanager API v2 shapes Prometheus and amtool speak (PostableAlert,
 * GettableAlert, AlertGroup, AlertmanagerStatus, the silences), Alertmanager's v4 webhook message, Gantry's
 * generic webhook, and Gantry's own alert record with the entities its labels name (ADR 0012).
 */

const Labels = Type.Record(Type.String(), Type.String());
const Time = Type.String({ format: 'date-time' });

/** One alert as Prometheus posts it to `POST /api/v2/alerts`. */
export const PostableAlert = Type.Object(
  {
    labels: Labels,
    annotations: Type.Optional(Labels),
    startsAt: Type.Optional(Time),
    endsAt: Type.Optional(Time),
    generatorURL: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type PostableAlert = Static<typeof PostableAlert>;

export const PostableAlerts = Type.Array(PostableAlert);
export type PostableAlerts = Static<typeof PostableAlerts>;

/** An error on an Alertmanager API v2 path: a JSON string, as Alertmanager answers. */
export const AlertmanagerError = Type.String({ description: "Alertmanager's error answer: a JSON string." });

export const AlertStatus = Type.Object(
  {
    state: Type.Union([Type.Literal('unprocessed'), Type.Literal('active'), Type.Literal('suppressed')]),
    silencedBy: Type.Array(Type.String()),
    inhibitedBy: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

/** One alert as `GET /api/v2/alerts` answers it. */
export const GettableAlert = Type.Object(
  {
    labels: Labels,
    annotations: Labels,
    startsAt: Time,
    endsAt: Time,
    updatedAt: Time,
    generatorURL: Type.Optional(Type.String()),
    fingerprint: Type.String(),
    receivers: Type.Array(Type.Object({ name: Type.String() }, { additionalProperties: false })),
    status: AlertStatus,
  },
  { additionalProperties: false },
);
export type GettableAlert = Static<typeof GettableAlert>;

export const GettableAlerts = Type.Array(GettableAlert);

export const AlertGroup = Type.Object(
  {
    labels: Labels,
    receiver: Type.Object({ name: Type.String() }, { additionalProperties: false }),
    alerts: Type.Array(GettableAlert),
  },
  { additionalProperties: false },
);
export const AlertGroups = Type.Array(AlertGroup);
export type AlertGroup = Static<typeof AlertGroup>;

const Bool = Type.Union([Type.Literal('true'), Type.Literal('false')]);

/** The query of `GET /api/v2/alerts` (and `/alerts/groups`), as Alertmanager takes it. */
export const AlertmanagerAlertQuery = Type.Object(
  {
    filter: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
    active: Type.Optional(Bool),
    silenced: Type.Optional(Bool),
    inhibited: Type.Optional(Bool),
    unprocessed: Type.Optional(Bool),
    receiver: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type AlertmanagerAlertQuery = Static<typeof AlertmanagerAlertQuery>;

export const AlertmanagerStatus = Type.Object(
  {
    cluster: Type.Object(
      {
        name: Type.Optional(Type.String()),
        status: Type.Union([Type.Literal('ready'), Type.Literal('settling'), Type.Literal('disabled')]),
        peers: Type.Array(Type.Object({ name: Type.String(), address: Type.String() })),
      },
      { additionalProperties: false },
    ),
    versionInfo: Type.Object({
      version: Type.String(),
      revision: Type.String(),
      branch: Type.String(),
      buildUser: Type.String(),
      buildDate: Type.String(),
      goVersion: Type.String(),
    }),
    config: Type.Object({ original: Type.String() }),
    uptime: Time,
  },
  { additionalProperties: false },
);
export type AlertmanagerStatus = Static<typeof AlertmanagerStatus>;

export const SilenceState = Type.Union([
  Type.Literal('pending'),
  Type.Literal('active'),
  Type.Literal('expired'),
]);
export type SilenceState = Static<typeof SilenceState>;

/** A silence as amtool posts it; with `id`, an update of that silence. */
export const PostableSilence = Type.Object(
  {
    id: Type.Optional(Type.String()),
    matchers: Type.Array(AlertMatcher, { minItems: 1 }),
    startsAt: Time,
    endsAt: Time,
    createdBy: Type.String({ maxLength: 253 }),
    comment: Type.String({ maxLength: 4096 }),
  },
  { additionalProperties: false },
);
export type PostableSilence = Static<typeof PostableSilence>;

export const GettableSilence = Type.Object(
  {
    id: Type.String(),
    status: Type.Object({ state: SilenceState }, { additionalProperties: false }),
    updatedAt: Time,
    matchers: Type.Array(AlertMatcher),
    startsAt: Time,
    endsAt: Time,
    createdBy: Type.String(),
    comment: Type.String(),
  },
  { additionalProperties: false },
);
export type GettableSilence = Static<typeof GettableSilence>;
export const GettableSilences = Type.Array(GettableSilence);

export const SilenceCreated = Type.Object({ silenceID: Type.String() }, { additionalProperties: false });

/** Alertmanager's webhook message (version 4), so an existing Alertmanager can forward to Gantry. */
export const AlertmanagerWebhookMessage = Type.Object(
  {
    version: Type.String(),
    groupKey: Type.Optional(Type.String()),
    truncatedAlerts: Type.Optional(Type.Integer()),
    status: Type.Optional(Type.String()),
    receiver: Type.Optional(Type.String()),
    groupLabels: Type.Optional(Labels),
    commonLabels: Type.Optional(Labels),
    commonAnnotations: Type.Optional(Labels),
    externalURL: Type.Optional(Type.String()),
    alerts: Type.Array(
      Type.Object(
        {
          status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
          labels: Labels,
          annotations: Type.Optional(Labels),
          startsAt: Type.Optional(Type.String()),
          endsAt: Type.Optional(Type.String()),
          generatorURL: Type.Optional(Type.String()),
          fingerprint: Type.Optional(Type.String()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);
export type AlertmanagerWebhookMessage = Static<typeof AlertmanagerWebhookMessage>;

/** Gantry's generic webhook: the smallest useful alert, for any tool. */
export const GenericAlert = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 256, description: 'Becomes the `alertname` label.' }),
    status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')], { default: 'firing' }),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Labels),
    summary: Type.Optional(Type.String({ description: 'Becomes the `summary` annotation.' })),
    description: Type.Optional(Type.String({ description: 'Becomes the `description` annotation.' })),
    severity: Type.Optional(Type.String({ maxLength: 64, description: 'Becomes the `severity` label.' })),
    startsAt: Type.Optional(Time),
    endsAt: Type.Optional(Time),
    url: Type.Optional(Type.String({ description: 'Becomes the generatorURL.' })),
  },
  { additionalProperties: false },
);
export type GenericAlert = Static<typeof GenericAlert>;

export const GenericAlertBatch = Type.Object(
  { alerts: Type.Array(GenericAlert, { minItems: 1 }) },
  { additionalProperties: false },
);
export type GenericAlertBatch = Static<typeof GenericAlertBatch>;

/** How many alerts an ingest took. */
export const AlertIngestResult = Type.Object(
  { accepted: Type.Integer({ description: 'Alerts stored (after folding duplicates in the batch).' }) },
  { additionalProperties: false },
);
export type AlertIngestResult = Static<typeof AlertIngestResult>;

export const AlertSource = Type.Union([
  Type.Literal('prometheus'),
  Type.Literal('alertmanager-webhook'),
  Type.Literal('generic'),
  Type.Literal('gantry-rule'),
]);
export type AlertSource = Static<typeof AlertSource>;

/** What an alert's labels say it concerns (docs/reference/alerts.md lists the labels read). */
export const AlertEntities = Type.Object(
  {
    cluster: Type.Optional(Type.String()),
    node: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    application: Type.Optional(Type.String()),
    component: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type AlertEntities = Static<typeof AlertEntities>;

/** Gantry's alert record: one per (team, fingerprint). */
export const AlertRecord = Type.Object(
  {
    team: Type.String(),
    fingerprint: Type.String({ description: "Alertmanager's fingerprint of the labels, 16 hex digits." }),
    labels: Labels,
    annotations: Labels,
    startsAt: Time,
    endsAt: Time,
    updatedAt: Time,
    generatorURL: Type.String(),
    source: AlertSource,
    state: Type.Union([Type.Literal('firing'), Type.Literal('resolved')], {
      description: 'resolved once endsAt has passed.',
    }),
    entities: AlertEntities,
    seq: Type.Integer({ description: 'The change sequence number of the last write.' }),
  },
  { additionalProperties: false },
);
export type AlertRecord = Static<typeof AlertRecord>;

export const AlertList = Type.Object(
  {
    items: Type.Array(AlertRecord),
    continue: Type.Optional(Type.String({ description: 'Pass as `continue` for the next page.' })),
  },
  { additionalProperties: false },
);
export type AlertList = Static<typeof AlertList>;

export const AlertQuery = Type.Object(
  {
    filter: Type.Optional(
      Type.String({ maxLength: 4096, description: 'Matchers as amtool writes them: `a="b",c=~"d.*"`.' }),
    ),
    state: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
    cluster: Type.Optional(Type.String()),
    node: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    application: Type.Optional(Type.String()),
    component: Type.Optional(Type.String()),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Updated at or after.' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type AlertQuery = Static<typeof AlertQuery>;

/** One alert of a dispatcher group: why it is muted now (silence ids; fingerprints of inhibiting alerts). */
export const DispatchGroupAlert = Type.Object(
  {
    fingerprint: Type.String(),
    silencedBy: Type.Array(Type.String(), { description: 'Silences (their ids) that match it now.' }),
    inhibitedBy: Type.Array(Type.String(), {
      description: 'Fingerprints of the firing alerts that inhibit it now.',
    }),
  },
  { additionalProperties: false },
);
export type DispatchGroupAlert = Static<typeof DispatchGroupAlert>;

/** An aggregation group as the dispatcher holds it: what the team's notifications are made of. */
export const DispatchGroup = Type.Object(
  {
    groupKey: Type.String({ description: 'As in the delivery log (`groupKey` of the notifications).' }),
    routing: Type.String({ description: 'The AlertRouting whose route made the group.' }),
    routeId: Type.String({ description: 'The route in that tree.' }),
    receivers: Type.Array(Type.String(), { description: "The route's NotificationChannels." }),
    groupLabels: Labels,
    nextFlushAt: Type.Optional(Type.String({ format: 'date-time', description: 'The next notification.' })),
    alerts: Type.Array(DispatchGroupAlert),
  },
  { additionalProperties: false },
);
export type DispatchGroup = Static<typeof DispatchGroup>;

export const DispatchGroupList = Type.Object(
  {
    dispatching: Type.Boolean({
      description:
        'Whether this server runs the dispatcher now (holds the alert-dispatch lease); if not, `groups` is empty.',
    }),
    groups: Type.Array(DispatchGroup),
    continue: Type.Optional(
      Type.String({
        description: 'Present when more groups follow: pass it as `continue` for the next page.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DispatchGroupList = Static<typeof DispatchGroupList>;

/** The query of `GET /api/teams/{team}/alerts/groups`: pages of groups in group-key order. */
export const DispatchGroupQuery = Type.Object(
  {
    limit: Type.Optional(
      Type.String({ pattern: '^[0-9]+$', description: 'Groups per page, 1-1000 (default 100).' }),
    ),
    continue: Type.Optional(Type.String({ maxLength: 8192 })),
  },
  { additionalProperties: false },
);
export type DispatchGroupQuery = Static<typeof DispatchGroupQuery>;
