import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { ALERT_DURATION_PATTERN, ALERT_LABEL_NAME_PATTERN } from './alert-rule.ts';
import { StringEnum } from '../resource.ts';
import { EXCEPTION_SEVERITIES } from '../api/health-exceptions.ts';

/** When a correlated exception resolves by itself: at its first alert's resolve, its last's, or never. */
export const CORRELATION_RESOLVE_ON = ['first_resolved', 'last_resolved', 'never'] as const;

const Duration = (description: string, defaultValue: string) =>
  Type.String({ pattern: ALERT_DURATION_PATTERN, maxLength: 32, default: defaultValue, description });

/** One dimension of a rule's grouping: an alert label, or a named CEL expression over the alert. */
export const CorrelationGroupBy = Type.Object(
  {
    label: Type.Optional(
      Type.String({
        pattern: ALERT_LABEL_NAME_PATTERN,
        maxLength: 128,
        description: "An alert label; the alert's value (empty when absent) is the group's value.",
      }),
    ),
    name: Type.Optional(
      Type.String({
        pattern: ALERT_LABEL_NAME_PATTERN,
        maxLength: 128,
        description: 'The name the value of `cel` is shown under (required with `cel`).',
      }),
    ),
    cel: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          'A CEL expression over `labels`, `annotations` and `entities` (maps); its value, as a string, is the group value.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Exactly one of `label` and `cel` (with `name`).' },
);
export type CorrelationGroupBy = Static<typeof CorrelationGroupBy>;

export const CorrelationRuleSpec = Type.Object(
  {
    match: Type.String({
      minLength: 1,
      maxLength: 4096,
      description:
        'A CEL condition over the alert: `labels`, `annotations` (maps of strings) and `entities` (`cluster`, `node`, `namespace`, `application`, `component` when bound). Alerts it is true for are grouped by this rule instead of by topology.',
    }),
    groupBy: Type.Array(CorrelationGroupBy, {
      maxItems: 16,
      default: [],
      description:
        'The values matched alerts must share to be one exception; none: all matched alerts are one.',
    }),
    window: Duration(
      'Alerts count towards the threshold while they started within this window of each other.',
      '5m',
    ),
    threshold: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 1,
      description: 'Distinct firing alerts of one group, within the window, before its exception opens.',
    }),
    title: Type.String({
      minLength: 1,
      maxLength: 1024,
      description:
        "The exception's title: a `${...}` CEL template over `shared` (the group values), `labels` (the first alert's) and `rule`.",
    }),
    severity: StringEnum(EXCEPTION_SEVERITIES, {
      default: 'major',
      description: "The exception's severity.",
    }),
    resolveOn: StringEnum(CORRELATION_RESOLVE_ON, {
      default: 'last_resolved',
      description:
        'When the exception resolves by itself: when the first of its alerts resolves, when the last does, or never (by hand only).',
    }),
    enabled: Type.Boolean({ default: true }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type CorrelationRuleSpec = Static<typeof CorrelationRuleSpec>;

export const correlationRuleKind: KindDefinition = {
  kind: 'CorrelationRule',
  plural: 'correlationrules',
  shortNames: ['cr'],
  scope: 'Team',
  description:
    "A team's rule that groups its alerts into one exception: a CEL match, the values they share, a window and a threshold, the exception's title, severity and when it resolves.",
  spec: CorrelationRuleSpec,
  printerColumns: [
    { name: 'Threshold', jsonPath: '.spec.threshold' },
    { name: 'Window', jsonPath: '.spec.window' },
    { name: 'Enabled', jsonPath: '.spec.enabled' },
  ],
};
