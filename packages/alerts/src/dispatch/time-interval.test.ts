import { describe, expect, it } from 'vitest';
import { compileTimeInterval } from './time-interval.ts';

const at = (iso: string) => Date.parse(iso);

describe('time intervals', () => {
  it('reads times as [start, end) and weekdays as ranges', () => {
    const { interval, problems } = compileTimeInterval('office', {
      timeIntervals: [{ times: [{ startTime: '09:00', endTime: '17:00' }], weekdays: ['monday:friday'] }],
    });
    expect(problems).toEqual([]);
    expect(interval.contains(at('2026-01-05T09:00:00Z'))).toBe(true); // Monday
    expect(interval.contains(at('2026-01-05T16:59:59Z'))).toBe(true);
    expect(interval.contains(at('2026-01-05T17:00:00Z'))).toBe(false);
    expect(interval.contains(at('2026-01-05T08:59:59Z'))).toBe(false);
    expect(interval.contains(at('2026-01-10T10:00:00Z'))).toBe(false); // Saturday
  });

  it('counts negative days from the end of the month', () => {
    const { interval } = compileTimeInterval('month-end', { timeIntervals: [{ daysOfMonth: ['-3:-1'] }] });
    expect(interval.contains(at('2026-02-26T12:00:00Z'))).toBe(true); // February has 28 days
    expect(interval.contains(at('2026-02-25T12:00:00Z'))).toBe(false);
    expect(interval.contains(at('2026-01-29T00:00:00Z'))).toBe(true);
    expect(interval.contains(at('2026-01-28T23:59:00Z'))).toBe(false);
    const mixed = compileTimeInterval('from-10th', { timeIntervals: [{ daysOfMonth: ['10:-1'] }] }).interval;
    expect(mixed.contains(at('2026-04-30T00:00:00Z'))).toBe(true);
    expect(mixed.contains(at('2026-04-09T00:00:00Z'))).toBe(false);
  });

  it('reads months by name or number, and years', () => {
    const { interval } = compileTimeInterval('winter', {
      timeIntervals: [{ months: ['december', '1:2'], years: ['2026:2027'] }],
    });
    expect(interval.contains(at('2026-12-24T00:00:00Z'))).toBe(true);
    expect(interval.contains(at('2027-02-01T00:00:00Z'))).toBe(true);
    expect(interval.contains(at('2026-03-01T00:00:00Z'))).toBe(false);
    expect(interval.contains(at('2028-01-01T00:00:00Z'))).toBe(false);
  });

  it('reads the fields in the location given', () => {
    const { interval } = compileTimeInterval('tokyo-evening', {
      timeIntervals: [
        { times: [{ startTime: '19:00', endTime: '24:00' }], weekdays: ['monday'], location: 'Asia/Tokyo' },
      ],
    });
    expect(interval.contains(at('2026-01-05T10:00:00Z'))).toBe(true); // Monday 19:00 in Tokyo
    expect(interval.contains(at('2026-01-05T14:59:00Z'))).toBe(true); // 23:59
    expect(interval.contains(at('2026-01-05T15:00:00Z'))).toBe(false); // Tuesday 00:00
    expect(interval.contains(at('2026-01-04T10:00:00Z'))).toBe(false); // Sunday 19:00
  });

  it('holds when any of its ranges holds', () => {
    const { interval } = compileTimeInterval('either', {
      timeIntervals: [{ weekdays: ['saturday'] }, { weekdays: ['sunday'] }],
    });
    expect(interval.contains(at('2026-01-10T10:00:00Z'))).toBe(true);
    expect(interval.contains(at('2026-01-11T10:00:00Z'))).toBe(true);
    expect(interval.contains(at('2026-01-12T10:00:00Z'))).toBe(false);
  });

  it('names what is wrong with the field path', () => {
    const { problems } = compileTimeInterval('bad', {
      timeIntervals: [
        {
          weekdays: ['monday', 'funday', 'friday:monday'],
          daysOfMonth: ['0', '-5:-10'],
          months: ['13'],
          times: [{ startTime: '10:00', endTime: '09:00' }],
          location: 'Mars/Olympus',
        },
      ],
    });
    expect(problems.map((problem) => problem.path).sort()).toEqual([
      '/timeIntervals/0/daysOfMonth/0',
      '/timeIntervals/0/daysOfMonth/1',
      '/timeIntervals/0/location',
      '/timeIntervals/0/months/0',
      '/timeIntervals/0/times/0',
      '/timeIntervals/0/weekdays/1',
      '/timeIntervals/0/weekdays/2',
    ]);
  });
});
