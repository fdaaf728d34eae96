import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../resource.ts';
import { BASELINE_ALGORITHMS } from '../kinds/baseline.ts';

/** The band a point was checked against: the expected centre and the edges beyond which it deviates. */
export const BaselineBand = Type.Object(
  { lower: Type.Number(), centre: Type.Number(), upper: Type.Number() },
  { additionalProperties: false },
);
export type BaselineBand = Static<typeof BaselineBand>;

/** One point of a series with its band (absent while the baseline had none: too little history). */
export const BaselinePoint = Type.Object(
  {
    t: Type.String({ format: 'date-time' }),
    value: Type.Number(),
    band: Type.Optional(BaselineBand),
    deviation: Type.Boolean({ description: 'Outside the band on a side the Baseline watches.' }),
  },
  { additionalProperties: false },
);
export type BaselinePoint = Static<typeof BaselinePoint>;

const Labels = Type.Record(Type.String(), Type.String());

/** A risk's `details` when its source is a Baseline: enough for a console to draw the series and band. */
export const BaselineRiskDetails = Type.Object(
  {
    baseline: Type.String(),
    algorithm: StringEnum(BASELINE_ALGORITHMS),
    series: Labels,
    /** The latest band. */
    band: BaselineBand,
    /** The largest distance from the centre among the last n points, in band half widths (1 = edge). */
    degree: Type.Number(),
    direction: StringEnum(['up', 'down'] as const),
    since: Type.String({ format: 'date-time' }),
    points: Type.Array(BaselinePoint),
  },
  { additionalProperties: false },
);
export type BaselineRiskDetails = Static<typeof BaselineRiskDetails>;

export const BaselineSeriesQuery = Type.Object(
  {
    series: Type.String({
      minLength: 2,
      maxLength: 8192,
      description: 'The series key, as in a risk\'s check: its labels sorted, `{job="api",instance="a"}`.',
    }),
  },
  { additionalProperties: false },
);
export type BaselineSeriesQuery = Static<typeof BaselineSeriesQuery>;

/** One series over the Baseline's lookback, checked again from its start, with its deviation episodes. */
export const BaselineSeriesView = Type.Object(
  {
    team: Type.String(),
    baseline: Type.String(),
    series: Type.String(),
    labels: Labels,
    algorithm: StringEnum(BASELINE_ALGORITHMS),
    stepSeconds: Type.Number(),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    points: Type.Array(BaselinePoint),
    /** Runs during which the series counted as deviating (k of n); `end` absent while it still does. */
    deviations: Type.Array(
      Type.Object(
        {
          start: Type.String({ format: 'date-time' }),
          end: Type.Optional(Type.String({ format: 'date-time' })),
        },
        { additionalProperties: false },
      ),
    ),
    deviating: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type BaselineSeriesView = Static<typeof BaselineSeriesView>;
