import { describe, expect, it } from 'vitest';
import { calendarRange, windowCalendar } from './change-calendar.ts';

const at = (text: string) => Date.parse(text);

describe('the ChangeWindow calendar', () => {
  it('lists each period’s occurrences and the open time, a freeze overriding an allow', () => {
    // Weeknights 22:00-06:00 Berlin; frozen Wednesday 00:00 for a day. 2026-03-02 is a Monday.
    const calendar = windowCalendar(
      'nights',
      {
        timeZone: 'Europe/Berlin',
        allow: [{ cron: '0 22 * * 1-5', duration: '8h' }],
        freeze: [{ cron: '0 0 * * 3', duration: '24h', reason: 'release day' }],
        appliesToAllChanges: true,
      },
      at('2026-03-02T00:00:00Z'),
      at('2026-03-09T00:00:00Z'),
    );
    const allows = calendar.occurrences.filter((o) => o.type === 'allow');
    expect(allows.map((o) => o.start)).toEqual([
      '2026-03-02T21:00:00.000Z',
      '2026-03-03T21:00:00.000Z',
      '2026-03-04T21:00:00.000Z',
      '2026-03-05T21:00:00.000Z',
      '2026-03-06T21:00:00.000Z',
    ]);
    expect(allows[0]!.end).toBe('2026-03-03T05:00:00.000Z');
    expect(calendar.occurrences.filter((o) => o.type === 'freeze')).toEqual([
      expect.objectContaining({
        start: '2026-03-03T23:00:00.000Z',
        end: '2026-03-04T23:00:00.000Z',
        reason: 'release day',
      }),
    ]);
    // Tuesday night is cut by the freeze at midnight; Wednesday night opens when the freeze ends.
    expect(calendar.open).toEqual([
      { start: '2026-03-02T21:00:00.000Z', end: '2026-03-03T05:00:00.000Z' },
      { start: '2026-03-03T21:00:00.000Z', end: '2026-03-03T23:00:00.000Z' },
      { start: '2026-03-04T23:00:00.000Z', end: '2026-03-05T05:00:00.000Z' },
      { start: '2026-03-05T21:00:00.000Z', end: '2026-03-06T05:00:00.000Z' },
      { start: '2026-03-06T21:00:00.000Z', end: '2026-03-07T05:00:00.000Z' },
    ]);
  });

  it('follows daylight saving: the Berlin 22:00 start moves by an hour in UTC', () => {
    const calendar = windowCalendar(
      'nightly',
      {
        timeZone: 'Europe/Berlin',
        allow: [{ cron: '0 22 * * *', duration: '1h' }],
        freeze: [],
        appliesToAllChanges: false,
      },
      at('2026-03-28T00:00:00Z'),
      at('2026-03-30T00:00:00Z'),
    );
    expect(calendar.occurrences.map((o) => o.start)).toEqual([
      '2026-03-28T21:00:00.000Z',
      '2026-03-29T20:00:00.000Z',
    ]);
  });

  it('shows an occurrence already running at from from its start; no allows means always open', () => {
    const calendar = windowCalendar(
      'freeze-only',
      {
        timeZone: 'UTC',
        allow: [],
        freeze: [{ cron: '0 10 * * *', duration: '4h' }],
        appliesToAllChanges: false,
      },
      at('2026-03-02T12:00:00Z'),
      at('2026-03-03T12:00:00Z'),
    );
    expect(calendar.occurrences[0]).toMatchObject({
      start: '2026-03-02T10:00:00.000Z',
      end: '2026-03-02T14:00:00.000Z',
    });
    expect(calendar.open).toEqual([{ start: '2026-03-02T14:00:00.000Z', end: '2026-03-03T10:00:00.000Z' }]);
  });

  it('refuses a range that is reversed, too long or not a time, with the field', () => {
    const now = at('2026-03-02T00:00:00Z');
    expect(calendarRange({}, now)).toEqual({ from: now, to: now + 7 * 86_400_000 });
    expect(() => calendarRange({ from: 'yesterday' }, now)).toThrow(/from is not/);
    expect(() => calendarRange({ to: '2026-03-01T00:00:00Z' }, now)).toThrow(/after from/);
    expect(() => calendarRange({ to: '2026-05-01T00:00:00Z' }, now)).toThrow(/31 days/);
  });
});
