import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';
import { Condition, NAME_PATTERN, StringEnum } from '../resource.ts';
import { ALERT_DURATION_PATTERN, ALERT_LABEL_NAME_PATTERN } from './alert-rule.ts';

const Duration = (description: string, defaultValue: string) =>
  Type.String({ pattern: ALERT_DURATION_PATTERN, maxLength: 32, default: defaultValue, description });

export const BASELINE_ALGORITHMS = ['ewma', 'mad', 'seasonal', 'auto'] as const;
export const BASELINE_SENSITIVITIES = ['low', 'medium', 'high'] as const;
export const BASELINE_DIRECTIONS = ['up', 'down', 'both'] as const;
/** The kinds a series can name as the object its risk concerns. */
export const BASELINE_ENTITY_KINDS = [
  'Application',
  'Component',
  'Cluster',
  'Node',
  'Namespace',
  'Workload',
  'Host',
] as const;

const LabelName = (description: string) =>
  Type.String({ pattern: ALERT_LABEL_NAME_PATTERN, maxLength: 128, description });

export const BaselineSpec = Type.Object(
  {
    source: Type.Object(
      {
        name: Type.String({
          pattern: NAME_PATTERN,
          maxLength: 63,
          description: "A MetricsSource of the Baseline's team.",
        }),
      },
      { additionalProperties: false },
    ),
    query: Type.String({
      minLength: 1,
      maxLength: 10_000,
      description: 'A PromQL expression evaluated as a range query; every series it returns is checked.',
    }),
    step: Duration('The resolution of the range query: one point per step.', '1m'),
    lookback: Duration(
      'History read when the evaluator starts (or a new leader takes over). `seasonal` needs at least 2d; the weekly profile needs 14d of history.',
      '1d',
    ),
    interval: Duration('How often new points are read and checked.', '1m'),
    algorithm: StringEnum(BASELINE_ALGORITHMS, {
      default: 'auto',
      description:
        'ewma: mean/variance band. mad: rolling median/MAD band. seasonal: weekly profile after 2 weeks, daily one after 2 days, no verdict before. auto: seasonal, falling back on ewma before 2 days.',
    }),
    sensitivity: StringEnum(BASELINE_SENSITIVITIES, {
      default: 'medium',
      description: 'The band half width: low 4, medium 3, high 2.5 spreads (robust standard deviations).',
    }),
    sustained: Type.Object(
      {
        k: Type.Integer({ minimum: 1, maximum: 100, default: 3 }),
        n: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
      },
      {
        additionalProperties: false,
        default: { k: 3, n: 5 },
        description:
          'A series deviates when k of its last n points are outside the band (k = n = 1: any point).',
      },
    ),
    clearAfter: Duration(
      'A deviating series is back to normal after this long inside its band (at least n points).',
      '1h',
    ),
    direction: StringEnum(BASELINE_DIRECTIONS, {
      default: 'both',
      description: 'Which side of the band counts: up (above), down (below) or both.',
    }),
    score: Type.Object(
      {
        atEdge: Type.Integer({
          minimum: 0,
          maximum: 100,
          default: 40,
          description: "The risk's score for a series just outside its band.",
        }),
        max: Type.Integer({ minimum: 0, maximum: 100, default: 90, description: 'The highest score.' }),
        saturateAt: Type.Number({
          minimum: 1,
          maximum: 100,
          default: 3,
          description:
            'The deviation degree (distance from the centre in band half widths) that gets `max`; linear in between.',
        }),
      },
      { additionalProperties: false, default: { atEdge: 40, max: 90, saturateAt: 3 } },
    ),
    entity: Type.Optional(
      Type.Object(
        {
          kind: StringEnum(BASELINE_ENTITY_KINDS),
          nameLabel: LabelName("The series label holding the object's name."),
          clusterLabel: Type.Optional(LabelName('The series label holding its cluster, if any.')),
          namespaceLabel: Type.Optional(LabelName('The series label holding its namespace, if any.')),
        },
        {
          additionalProperties: false,
          description: 'What object each series is about, read from its labels; the risk names it.',
        },
      ),
    ),
    maxSeries: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      default: 1000,
      description: 'Most series checked; the rest (by label set order) are dropped and the Baseline says so.',
    }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type BaselineSpec = Static<typeof BaselineSpec>;

export const BaselineStatus = Type.Object(
  {
    observedGeneration: Type.Optional(Type.Integer()),
    conditions: Type.Optional(Type.Array(Condition)),
    series: Type.Optional(
      Type.Object(
        {
          checked: Type.Integer({ minimum: 0 }),
          deviating: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false, description: 'As of the last transition.' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type BaselineStatus = Static<typeof BaselineStatus>;

export const baselineKind: KindDefinition = {
  kind: 'Baseline',
  plural: 'baselines',
  shortNames: ['bl'],
  scope: 'Team',
  description:
    "A team's anomaly baseline: a PromQL range query whose series are checked against learned bands (EWMA, median/MAD, seasonal); a sustained deviation is a risk.",
  spec: BaselineSpec,
  status: BaselineStatus,
  printerColumns: [
    { name: 'Evaluating', jsonPath: '.status.conditions[?(@.type=="Evaluating")].status' },
    { name: 'Reason', jsonPath: '.status.conditions[?(@.type=="Evaluating")].reason' },
    { name: 'Series', jsonPath: '.status.series.checked' },
    { name: 'Deviating', jsonPath: '.status.series.deviating' },
  ],
};
