import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../resource.ts';
import { EventRecord } from '../event.ts';
import { AlertRecord } from './alerts.ts';
import { ExceptionRecord, ExceptionSeverity } from './health-exceptions.ts';
import { Risk } from './risks.ts';

/**
 * The health stream (ADR 0027, `GET /api/teams/{team}/health/stream`): a team's five health kinds in one
 * answer — Gantry events, alerts, risks, exceptions and failures (exceptions that reached a level) — each
 * item in its current state, read from the records' own tables and followed with a cursor.
 */

export const HEALTH_STREAM_KINDS = ['event', 'alert', 'risk', 'exception', 'failure'] as const;
export const HealthStreamKind = StringEnum(HEALTH_STREAM_KINDS);
export type HealthStreamKind = Static<typeof HealthStreamKind>;

const Time = Type.String({ format: 'date-time' });

const common = {
  key: Type.String({
    description:
      'Identifies the item across answers: `event/<id>`, `alert/<fingerprint>`, `risk/<id>`, `exception/<id>` (a failure keeps its exception’s key).',
  }),
  at: Time,
  changedAt: Time,
};
const options = { additionalProperties: false } as const;

export const HealthStreamItem = Type.Union(
  [
    Type.Object({ kind: Type.Literal('event'), ...common, event: EventRecord }, options),
    Type.Object({ kind: Type.Literal('alert'), ...common, alert: AlertRecord }, options),
    Type.Object({ kind: Type.Literal('risk'), ...common, risk: Risk }, options),
    Type.Object({ kind: Type.Literal('exception'), ...common, exception: ExceptionRecord }, options),
    Type.Object({ kind: Type.Literal('failure'), ...common, exception: ExceptionRecord }, options),
  ],
  {
    description:
      'One health object, by `kind`. `at` is when it happened (an event last seen, an alert started or resolved, an exception’s last change of state, level or assignee, a risk opened or gone); `changedAt` is when its record was last written, which the cursor follows.',
  },
);
export type HealthStreamItem = Static<typeof HealthStreamItem>;

export const HealthStreamPage = Type.Object(
  {
    items: Type.Array(HealthStreamItem, {
      description: 'Without `since`: newest change first. With `since`: oldest change first.',
    }),
    cursor: Type.String({ description: 'Pass as `since` to read what changed after this answer.' }),
    more: Type.Boolean({
      description: 'With `since`: more changes are waiting; call again with `cursor` right away.',
    }),
    continue: Type.Optional(
      Type.String({ description: 'Without `since`: pass as `continue` for the next, older page.' }),
    ),
    now: Time,
  },
  { additionalProperties: false },
);
export type HealthStreamPage = Static<typeof HealthStreamPage>;

export const HealthStreamQuery = Type.Object(
  {
    kinds: Type.Optional(
      Type.String({
        pattern: '^(event|alert|risk|exception|failure)(,(event|alert|risk|exception|failure))*$',
        maxLength: 100,
        description: 'One kind or several, comma-separated; default all five.',
      }),
    ),
    /** Exceptions and failures of this severity, and alerts with this `severity` label. */
    severity: Type.Optional(ExceptionSeverity),
    level: Type.Optional(
      Type.String({
        pattern: '^P[0-4](,P[0-4])*$',
        maxLength: 20,
        description: 'Failures that reached one of these levels.',
      }),
    ),
    entity: Type.Optional(
      Type.String({ maxLength: 320, description: '`Kind/name` of an entity the item concerns.' }),
    ),
    cluster: Type.Optional(Type.String({ maxLength: 63, description: 'Items on this cluster.' })),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Text the item contains (any case).' })),
    since: Type.Optional(Type.String({ maxLength: 1024, description: 'A `cursor` of an earlier answer.' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: '1-500, default 100.' })),
  },
  { additionalProperties: false },
);
export type HealthStreamQuery = Static<typeof HealthStreamQuery>;
