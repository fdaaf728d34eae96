import { compileWindow, evaluateWindows, type CompiledPeriod } from '@gantry/changes';
import {
  InputError,
  type CalendarInterval,
  type ChangeCalendarQuery,
  type ChangeWindowCalendar,
  type ChangeWindowOccurrence,
  type ChangeWindowSpec,
} from '@gantry/model';

const DAY_MS = 86_400_000;
/** The longest range a calendar covers. */
export const CALENDAR_MAX_RANGE_MS = 31 * DAY_MS;
/** Occurrences (and open intervals) per window, at most: a period every minute for a month is 44,640. */
export const CALENDAR_MAX_INTERVALS = 2_000;

const iso = (ms: number) => new Date(ms).toISOString();

/** The query's range, checked: RFC 3339 instants, `from` before `to`, at most 31 days. */
export function calendarRange(query: ChangeCalendarQuery, now: number): { from: number; to: number } {
  const parse = (value: string | undefined, field: string, fallback: number) => {
    if (value === undefined) return fallback;
    const at = Date.parse(value);
    if (!Number.isFinite(at))
      throw new InputError(`${field} is not an RFC 3339 time`, [
        { path: `querystring/${field}`, message: 'must be an RFC 3339 time' },
      ]);
    return at;
  };
  const from = parse(query.from, 'from', now);
  const to = parse(query.to, 'to', from + 7 * DAY_MS);
  if (to <= from || to - from > CALENDAR_MAX_RANGE_MS)
    throw new InputError('to must be after from, by at most 31 days', [
      { path: 'querystring/to', message: 'must be after from, by at most 31 days' },
    ]);
  return { from, to };
}

/**
 * When `periods` taken together let a change act within [from, to), as intervals — walked with the
 * engine's own `evaluateWindows` (and its `nextOpen`), so the calendar shows exactly what the engine
 * decides: a freeze overrides an allow, daylight saving is followed, durations are elapsed time.
 */
export function openIntervals(
  periods: readonly CompiledPeriod[],
  from: number,
  to: number,
): { intervals: CalendarInterval[]; truncated: boolean } {
  const intervals: { start: number; end: number }[] = [];
  let at = from;
  while (at < to) {
    if (intervals.length >= CALENDAR_MAX_INTERVALS)
      return { intervals: intervals.map(toIso), truncated: true };
    const verdict = evaluateWindows(periods, at);
    if (verdict.open) {
      const end = Math.min(verdict.closesAt ?? to, to);
      const last = intervals[intervals.length - 1];
      if (last && last.end === at) last.end = end;
      else intervals.push({ start: at, end });
      // A period that ends as another starts: evaluateWindows answers the end of this one; go on from there.
      at = Math.max(end, at + 1);
    } else {
      if (verdict.nextOpen === undefined || verdict.nextOpen >= to) break;
      at = verdict.nextOpen;
    }
  }
  return { intervals: intervals.map(toIso), truncated: false };
}

function toIso(interval: { start: number; end: number }): CalendarInterval {
  return { start: iso(interval.start), end: iso(interval.end) };
}

/**
 * A ChangeWindow's calendar in [from, to): each period's occurrences (each period alone, read as an
 * allowed period, through the same walk) and when the window as a whole lets a change act.
 */
export function windowCalendar(
  name: string,
  spec: ChangeWindowSpec,
  from: number,
  to: number,
): ChangeWindowCalendar {
  const compiled = compileWindow(name, spec);
  const periods = compiled.ok ? compiled.periods : [];
  let truncated = false;
  const occurrences: ChangeWindowOccurrence[] = [];
  for (const period of periods) {
    // An occurrence running at `from` started at most its duration before: it is shown from its start.
    const lookBack = from - period.durationMs;
    const alone = openIntervals([{ ...period, type: 'allow' }], lookBack, to);
    truncated ||= alone.truncated;
    for (const interval of alone.intervals) {
      if (Date.parse(interval.end) <= from) continue;
      occurrences.push({
        type: period.type,
        index: period.index,
        cron: period.cron,
        timeZone: period.timeZone,
        ...(period.reason !== undefined ? { reason: period.reason } : {}),
        start: interval.start,
        end: interval.end,
      });
    }
  }
  occurrences.sort((a, b) => a.start.localeCompare(b.start));
  const open = openIntervals(periods, from, to);
  return {
    window: name,
    appliesToAllChanges: spec.appliesToAllChanges,
    timeZone: spec.timeZone,
    occurrences,
    open: open.intervals,
    ...(truncated || open.truncated ? { truncated: true } : {}),
  };
}
