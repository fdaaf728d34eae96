import { Type, type TSchema } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { NAME_PATTERN } from '../resource.ts';

/**
 * The routing tree of a team's alerts (issue 10, part 2): which NotificationChannels an alert reaches,
 * grouped how and on which timers. The fields are Alertmanager 0.25's `route`, in camelCase. A team may
 * have several AlertRoutings; each is a root of its own and every alert of the team goes through each.
 * Semantics and decisions: docs/adr/0013-alert-dispatch.md, docs/reference/kinds/alertrouting.md.
 */

/** Go-style durations as Alertmanager writes them: `30s`, `5m`, `4h`, `1h30m`, `500ms`, `1d`, `1w`. */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w|y))+$';
export const AlertDuration = (description: string) =>
  Type.String({ pattern: DURATION_PATTERN, maxLength: 32, description });

const ChannelName = Type.String({ pattern: NAME_PATTERN, maxLength: 63 });
const IntervalName = Type.String({ pattern: NAME_PATTERN, maxLength: 63 });

/** How deep routes may nest: the schema is built level by level, so it stays free of recursion. */
export const MAX_ROUTE_DEPTH = 8;

function routeFields(child: TSchema | undefined) {
  return {
    matchers: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 4096 }), {
        maxItems: 64,
        description:
          'Label matchers as operators write them (`severity=~"critical|page"`); all must match. Empty: every alert.',
      }),
    ),
    receivers: Type.Optional(
      Type.Array(ChannelName, {
        maxItems: 16,
        description: "NotificationChannels of the team, by name; absent: the parent route's.",
      }),
    ),
    groupBy: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        maxItems: 64,
        description: "Label names that group alerts; `['...']` groups by all labels. Absent: the parent's.",
      }),
    ),
    groupWait: Type.Optional(
      AlertDuration('Wait before the first notification of a new group (default 30s).'),
    ),
    groupInterval: Type.Optional(
      AlertDuration('Wait between notifications of a changed group (default 5m).'),
    ),
    repeatInterval: Type.Optional(AlertDuration('Wait before repeating an unchanged group (default 4h).')),
    continue: Type.Optional(
      Type.Boolean({ description: 'Keep matching the following sibling routes after this one matched.' }),
    ),
    muteTimeIntervals: Type.Optional(
      Type.Array(IntervalName, {
        maxItems: 32,
        description: 'TimeIntervals during which it does not notify.',
      }),
    ),
    activeTimeIntervals: Type.Optional(
      Type.Array(IntervalName, {
        maxItems: 32,
        description: 'If set, it notifies only during these TimeIntervals.',
      }),
    ),
    ...(child
      ? {
          routes: Type.Optional(Type.Array(child, { maxItems: 256, description: 'Child routes, in order.' })),
        }
      : {}),
  };
}

function routeSchema(depth: number): TSchema {
  const child = depth > 1 ? routeSchema(depth - 1) : undefined;
  return Type.Object(routeFields(child), { additionalProperties: false });
}

/**
 * A route (the root's spec and every child: the same fields, nested up to MAX_ROUTE_DEPTH levels). Written
 * out because the schema's nesting is built in a loop, which Static<> cannot follow.
 */
export interface AlertRoute {
  matchers?: string[];
  receivers?: string[];
  groupBy?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  continue?: boolean;
  muteTimeIntervals?: string[];
  activeTimeIntervals?: string[];
  routes?: AlertRoute[];
}

export const AlertRoutingSpec = Type.Object(routeFields(routeSchema(MAX_ROUTE_DEPTH - 1)), {
  additionalProperties: false,
  description: 'The root route: it matches every alert of the team; its receivers are the default.',
});
export type AlertRoutingSpec = AlertRoute;

export const alertRoutingKind: KindDefinition = {
  kind: 'AlertRouting',
  plural: 'alertroutings',
  shortNames: ['ar'],
  scope: 'Team',
  description:
    "A routing tree for the team's alerts: matchers, receivers (NotificationChannels), grouping and timers.",
  spec: AlertRoutingSpec,
  printerColumns: [{ name: 'Receivers', jsonPath: '.spec.receivers' }],
};
