import { Type, type Static } from '@sinclair/typebox';
import type { KindDefinition } from '../kind-registry.ts';

/**
 * A named set of time ranges, as Alertmanager's `time_intervals`: routes mute or activate notifications
 * by name. Each entry is one range; the interval holds when any entry holds. Within an entry every
 * field given must hold (absent: any). Decisions: docs/adr/0013-alert-dispatch.md.
 */
export const TimeRange = Type.Object(
  {
    times: Type.Optional(
      Type.Array(
        Type.Object(
          {
            startTime: Type.String({
              pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$',
              description: 'HH:MM, inclusive.',
            }),
            endTime: Type.String({
              pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$',
              description: 'HH:MM, exclusive; 24:00 is the end of the day.',
            }),
          },
          { additionalProperties: false },
        ),
        { maxItems: 32 },
      ),
    ),
    weekdays: Type.Optional(
      Type.Array(Type.String({ maxLength: 32 }), {
        maxItems: 7,
        description: '`monday`, or ranges `monday:friday`.',
      }),
    ),
    daysOfMonth: Type.Optional(
      Type.Array(Type.String({ maxLength: 16 }), {
        maxItems: 31,
        description: '`1`, `1:5`, or negative from the end of the month: `-1` is the last day, `-3:-1`.',
      }),
    ),
    months: Type.Optional(
      Type.Array(Type.String({ maxLength: 32 }), {
        maxItems: 12,
        description: '`1:3`, `january:march`, `december`.',
      }),
    ),
    years: Type.Optional(
      Type.Array(Type.String({ maxLength: 16 }), { maxItems: 32, description: '`2026`, `2026:2028`.' }),
    ),
    location: Type.Optional(
      Type.String({
        maxLength: 64,
        description: 'IANA time zone the fields are read in (`Europe/Berlin`); default UTC.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TimeRange = Static<typeof TimeRange>;

export const TimeIntervalSpec = Type.Object(
  {
    timeIntervals: Type.Array(TimeRange, {
      minItems: 1,
      maxItems: 64,
      description: 'The interval holds when any of these holds.',
    }),
  },
  { additionalProperties: false },
);
export type TimeIntervalSpec = Static<typeof TimeIntervalSpec>;

export const timeIntervalKind: KindDefinition = {
  kind: 'TimeInterval',
  plural: 'timeintervals',
  shortNames: ['ti'],
  scope: 'Team',
  description: 'Named time ranges (times, weekdays, days of month, months, years, time zone) for routes.',
  spec: TimeIntervalSpec,
};
