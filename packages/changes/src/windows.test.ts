import { describe, expect, it } from 'vitest';
import type { ChangeWindowSpec } from '@gantry/model';
import { compileWindow, evaluateWindows, nextOpen, type CompiledPeriod } from './windows.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function periods(spec: Partial<ChangeWindowSpec>, name = 'w'): CompiledPeriod[] {
  const compiled = compileWindow(name, {
    timeZone: 'UTC',
    allow: [],
    freeze: [],
    appliesToAllChanges: false,
    ...spec,
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return compiled.periods;
}

describe('change windows', () => {
  const nights = periods({ timeZone: 'Europe/Berlin', allow: [{ cron: '0 22 * * *', duration: '6h' }] });

  it('is open inside an allowed period and says when it opens next outside one', () => {
    expect(evaluateWindows(nights, at('2026-01-14T22:30:00Z'))).toEqual({
      open: true,
      closesAt: at('2026-01-15T03:00:00Z'),
    });
    expect(evaluateWindows(nights, at('2026-01-14T12:00:00Z'))).toEqual({
      open: false,
      reason: 'OutsideAllowed',
      nextOpen: at('2026-01-14T21:00:00Z'),
    });
    // The start instant is inside; the end instant is not.
    expect(evaluateWindows(nights, at('2026-01-14T21:00:00Z')).open).toBe(true);
    expect(evaluateWindows(nights, at('2026-01-15T03:00:00Z')).open).toBe(false);
  });

  it('follows the time zone across daylight saving: 22:00 Berlin is 21:00Z in winter, 20:00Z in summer', () => {
    expect(iso(nextOpen(nights, at('2026-01-10T12:00:00Z')))).toBe('2026-01-10T21:00:00.000Z');
    expect(iso(nextOpen(nights, at('2026-07-10T12:00:00Z')))).toBe('2026-07-10T20:00:00.000Z');
    // The night clocks go forward (29 March 2026, 02:00 → 03:00): 6 hours of elapsed time from 22:00 CET
    // (21:00Z) end at 03:00Z, which is 05:00 CEST, not 04:00 local.
    expect(evaluateWindows(nights, at('2026-03-29T02:59:00Z')).open).toBe(true);
    expect(evaluateWindows(nights, at('2026-03-29T03:00:00Z')).open).toBe(false);
    // The night clocks go back (25 October 2026): 22:00 CEST = 20:00Z, open until 02:00Z (03:00 CET).
    expect(evaluateWindows(nights, at('2026-10-24T20:00:00Z')).open).toBe(true);
    expect(evaluateWindows(nights, at('2026-10-25T01:59:00Z')).open).toBe(true);
    expect(evaluateWindows(nights, at('2026-10-25T02:00:00Z')).open).toBe(false);
  });

  it('lets a freeze override an allow, and opens when the freeze ends if an allowed period still runs', () => {
    const window = periods({
      allow: [{ cron: '0 0 * * *', duration: '1d' }],
      freeze: [{ cron: '0 0 24 12 *', duration: '3d', reason: 'holidays' }],
    });
    const verdict = evaluateWindows(window, at('2026-12-25T10:00:00Z'));
    expect(verdict).toMatchObject({
      open: false,
      reason: 'Frozen',
      by: { type: 'freeze', reason: 'holidays' },
    });
    expect(iso(verdict.open ? undefined : verdict.nextOpen)).toBe('2026-12-27T00:00:00.000Z');
    expect(evaluateWindows(window, at('2026-12-23T10:00:00Z'))).toEqual({
      open: true,
      closesAt: at('2026-12-24T00:00:00Z'),
    });
  });

  it('takes several windows together: any allowed period of any of them, no freeze of any', () => {
    const both = [
      ...periods({ allow: [{ cron: '0 9 * * *', duration: '1h' }] }, 'morning'),
      ...periods({ allow: [{ cron: '0 15 * * *', duration: '1h' }] }, 'afternoon'),
      ...periods({ freeze: [{ cron: '0 15 * * 5', duration: '1h' }] }, 'no-friday-afternoons'),
    ];
    expect(evaluateWindows(both, at('2026-06-01T15:30:00Z')).open).toBe(true); // a Monday
    expect(evaluateWindows(both, at('2026-06-05T15:30:00Z')).open).toBe(false); // a Friday
    expect(iso(nextOpen(both, at('2026-06-05T15:30:00Z')))).toBe('2026-06-06T09:00:00.000Z');
  });

  it('finds windows that never open: a freeze that covers every allowed period, back-to-back minute freezes', () => {
    const covered = periods({
      allow: [{ cron: '0 2 * * *', duration: '1h' }],
      freeze: [{ cron: '0 0 * * *', duration: '1d' }],
    });
    expect(nextOpen(covered, at('2026-01-01T00:00:00Z'))).toBeUndefined();
    const started = Date.now();
    const weekdays = periods({ freeze: [{ cron: '* * * * 1-5', duration: '1m' }] });
    // Frozen every minute Monday to Friday: opens Saturday 00:00.
    expect(iso(nextOpen(weekdays, at('2026-06-01T08:00:00Z')))).toBe('2026-06-06T00:00:00.000Z');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports bad crons, zones and durations with their paths', () => {
    const compiled = compileWindow('w', {
      timeZone: 'Mars/Olympus',
      allow: [
        { cron: '0 0 30 2 *', duration: '1h' },
        { cron: '0 0 * *', duration: '1h' },
      ],
      freeze: [{ cron: '0 0 * * *', duration: '0s', timeZone: 'Nowhere/Town' }],
      appliesToAllChanges: false,
    });
    expect(compiled.ok).toBe(false);
    expect(compiled.ok ? [] : compiled.errors.map((error) => error.path)).toEqual([
      '/spec/timeZone',
      '/spec/allow/0/cron',
      '/spec/allow/1/cron',
      '/spec/freeze/0/timeZone',
      '/spec/freeze/0/duration',
    ]);
  });
});
