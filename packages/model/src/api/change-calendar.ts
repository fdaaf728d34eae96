import { Type, type Static } from '@sinclair/typebox';

/** `from` and `to` of a calendar: RFC 3339 instants, at most 31 days apart (default: the next 7 days). */
export const ChangeCalendarQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339; default now.' })),
    to: Type.Optional(Type.String({ maxLength: 40, description: 'RFC 3339; default `from` + 7 days.' })),
  },
  { additionalProperties: false },
);
export type ChangeCalendarQuery = Static<typeof ChangeCalendarQuery>;

export const CalendarInterval = Type.Object(
  {
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type CalendarInterval = Static<typeof CalendarInterval>;

/** One occurrence of an allowed period or a freeze, clipped to the calendar's range. */
export const ChangeWindowOccurrence = Type.Object(
  {
    type: Type.Union([Type.Literal('allow'), Type.Literal('freeze')]),
    index: Type.Integer({ minimum: 0, description: 'The period’s index in `spec.allow` or `spec.freeze`.' }),
    cron: Type.String(),
    timeZone: Type.String(),
    reason: Type.Optional(Type.String()),
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type ChangeWindowOccurrence = Static<typeof ChangeWindowOccurrence>;

/**
 * A ChangeWindow's periods as they fall in a range, computed with the engine's own window code: each
 * period's occurrences, and `open` — when a change honouring only this window may act (an allow, no freeze).
 */
export const ChangeWindowCalendar = Type.Object(
  {
    window: Type.String(),
    appliesToAllChanges: Type.Boolean(),
    timeZone: Type.String(),
    occurrences: Type.Array(ChangeWindowOccurrence),
    open: Type.Array(CalendarInterval),
    truncated: Type.Optional(
      Type.Boolean({ description: 'Too many occurrences in the range: the first ones only.' }),
    ),
  },
  { additionalProperties: false },
);
export type ChangeWindowCalendar = Static<typeof ChangeWindowCalendar>;

/** A team's ChangeWindows in a range; `open` is when a change honouring none but those that apply to all may act. */
export const ChangeCalendar = Type.Object(
  {
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
    items: Type.Array(ChangeWindowCalendar),
    open: Type.Array(CalendarInterval),
  },
  { additionalProperties: false },
);
export type ChangeCalendar = Static<typeof ChangeCalendar>;
