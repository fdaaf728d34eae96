import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN, StringEnum } from '../resource.ts';

/** A Prometheus duration (`30s`, `5m`, `1h30m`); units ms, s, m, h, d, w. */
export const ALERT_DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w))+$';
const Duration = (description: string, defaultValue: string) =>
  Type.String({ pattern: ALERT_DURATION_PATTERN, maxLength: 32, default: defaultValue, description });

/** Alert label names as Prometheus and Alertmanager accept them. */
export const ALERT_LABEL_NAME_PATTERN = '^[a-zA-Z_][a-zA-Z0-9_]*$';
const TemplateMap = (description: string) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    maxProperties: 64,
    propertyNames: { type: 'string', pattern: ALERT_LABEL_NAME_PATTERN, maxLength: 128 },
    additionalProperties: { type: 'string', maxLength: 16384 },
    description,
  });

/** What a CEL rule's condition is evaluated over, one object at a time. */
export const ALERT_RULE_CEL_SUBJECTS = ['clusters', 'nodes', 'applications'] as const;
export type AlertRuleCelSubject = (typeof ALERT_RULE_CEL_SUBJECTS)[number];

export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;

export const AlertRuleSpec = Type.Object(
  {
    promql: Type.Optional(
      Type.Object(
        {
          expr: Type.String({
            minLength: 1,
            maxLength: 10_000,
            description: 'A PromQL instant query; every series it returns is an alert candidate.',
          }),
          source: Type.Object(
            {
              name: Type.String({ pattern: NAME_PATTERN, maxLength: 63, description: 'A MetricsSource.' }),
              team: Type.Optional(
                Type.String({
                  pattern: NAME_PATTERN,
                  maxLength: 63,
                  description:
                    "The MetricsSource's team. Only a GlobalAlertRule names it; an AlertRule uses its own team's sources.",
                }),
              ),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false, description: 'Evaluate PromQL against a Prometheus server.' },
      ),
    ),
    cel: Type.Optional(
      Type.Object(
        {
          over: StringEnum(ALERT_RULE_CEL_SUBJECTS, {
            description:
              'The objects the condition is evaluated over, each bound to a variable of that name.',
          }),
          condition: Type.String({
            minLength: 1,
            maxLength: 4096,
            description: 'A CEL expression; every object for which it is true is an alert candidate.',
          }),
          value: Type.Optional(
            Type.String({
              maxLength: 4096,
              description: "A CEL expression giving the sample's number (default 1).",
            }),
          ),
        },
        { additionalProperties: false, description: "Evaluate a CEL condition over Gantry's own data." },
      ),
    ),
    interval: Duration('How often the rule is evaluated.', '1m'),
    for: Duration('How long a condition must hold before its alert fires (pending until then).', '0s'),
    keepFiringFor: Duration(
      'How long a firing alert keeps firing after its condition stopped holding (Prometheus `keep_firing_for`).',
      '0s',
    ),
    severity: StringEnum(ALERT_SEVERITIES, {
      default: 'warning',
      description: 'Sent as the `severity` label.',
    }),
    labels: Type.Optional(
      TemplateMap('Labels added to every alert; `${...}` CEL templates over `labels` and `value`.'),
    ),
    annotations: Type.Optional(
      TemplateMap('Annotations of every alert; `${...}` CEL templates over `labels` and `value`.'),
    ),
    maxSeries: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 500,
      description: 'Most alerts one evaluation keeps; the rest are dropped and the rule says so.',
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type AlertRuleSpec = Static<typeof AlertRuleSpec>;

export const AlertRuleStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
    alerts: Type.Optional(
      Type.Object(
        {
          pending: Type.Integer({ minimum: 0 }),
          firing: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false, description: 'Alerts of the rule now, as of the last transition.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type AlertRuleStatus = Static<typeof AlertRuleStatus>;

const printerColumns = [
  { name: 'Evaluating', jsonPath: '.status.conditions[?(@.type=="Evaluating")].status' },
  { name: 'Reason', jsonPath: '.status.conditions[?(@.type=="Evaluating")].reason' },
  { name: 'Firing', jsonPath: '.status.alerts.firing' },
  { name: 'Pending', jsonPath: '.status.alerts.pending' },
];

export const alertRuleKind: KindDefinition = {
  kind: 'AlertRule',
  plural: 'alertrules',
  shortNames: ['ar'],
  scope: 'Team',
  description:
    "A team's alert rule: PromQL against a MetricsSource, or a CEL condition over Gantry's clusters, nodes and applications, with for and keepFiringFor.",
  spec: AlertRuleSpec,
  status: AlertRuleStatus,
  printerColumns,
};

export const globalAlertRuleKind: KindDefinition = {
  kind: 'GlobalAlertRule',
  plural: 'globalalertrules',
  shortNames: ['gar'],
  scope: 'Global',
  description:
    "An administrator's alert rule evaluated for every team: a CEL condition over every team's objects, or PromQL whose series name their team in a `team` label.",
  spec: AlertRuleSpec,
  status: AlertRuleStatus,
  printerColumns,
};
