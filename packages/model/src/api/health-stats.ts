import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../resource.ts';

/** What failure statistics can be grouped by (ADR 0023). */
export const STATS_DIMENSIONS = ['team', 'application', 'cluster', 'class'] as const;
export type StatsDimensionName = (typeof STATS_DIMENSIONS)[number];

/** The figures a statistics answer can carry; `metrics` picks among them (all when absent). */
export const STATS_METRICS = ['count', 'mttd', 'mtta', 'mttr', 'mtbf', 'availability'] as const;
export type StatsMetricName = (typeof STATS_METRICS)[number];

export const HealthStatsQuery = Type.Object(
  {
    from: Type.Optional(
      Type.String({ description: 'Start of the range, RFC 3339 (inclusive). Default: `to` − 30 days.' }),
    ),
    to: Type.Optional(
      Type.String({ description: 'End of the range, RFC 3339 (exclusive). Default and latest: now.' }),
    ),
    by: Type.Optional(
      StringEnum(STATS_DIMENSIONS, {
        description:
          'Group by `team` (default), `application`, `cluster` or `class` (level P0–P4, else severity).',
      }),
    ),
    metrics: Type.Optional(
      Type.String({
        description: 'Comma-separated: count, mttd, mtta, mttr, mtbf, availability. Default: all of them.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type HealthStatsQuery = Static<typeof HealthStatsQuery>;

const Ms = (description: string) =>
  Type.Optional(Type.Number({ minimum: 0, description: `${description} In milliseconds.` }));

export const HealthStatsGroup = Type.Object(
  {
    key: Type.String({
      description: "The group: the application's, cluster's or team's name, or the class; '' for the total.",
    }),
    failures: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Episodes detected (opened) in the range, merged ones not counted.',
      }),
    ),
    detected: Type.Optional(Type.Integer({ minimum: 0, description: 'Of those, with a first alert.' })),
    acknowledged: Type.Optional(Type.Integer({ minimum: 0, description: 'Of those, acknowledged.' })),
    resolved: Type.Optional(Type.Integer({ minimum: 0, description: 'Of those, resolved.' })),
    mttdMs: Ms('Mean time to detect: opened − first alert start, over the detected ones.'),
    mttaMs: Ms('Mean time to acknowledge: first acknowledgement − opened, over the acknowledged ones.'),
    mttrMs: Ms('Mean time to resolve: resolved − impact start, over the resolved ones.'),
    mtbfMs: Ms('Mean time between failures: (range − downtime) / failures; absent without failures.'),
    downtimeMs: Ms('Impact within the range, overlapping episodes merged, open ones up to `to`.'),
    availability: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: '1 − downtime / range length.' }),
    ),
  },
  { additionalProperties: false },
);
export type HealthStatsGroup = Static<typeof HealthStatsGroup>;

export const HealthStats = Type.Object(
  {
    from: Type.String({ description: 'The range used, RFC 3339.' }),
    to: Type.String({ description: 'The range used (never later than now), RFC 3339.' }),
    by: StringEnum(STATS_DIMENSIONS),
    metrics: Type.Array(StringEnum(STATS_METRICS)),
    rangeMs: Type.Integer({ minimum: 1 }),
    groups: Type.Array(HealthStatsGroup),
    total: HealthStatsGroup,
  },
  { additionalProperties: false },
);
export type HealthStats = Static<typeof HealthStats>;
