import type { TimeIntervalSpec, TimeRange } from '@gantry/model';

/**
 * Time intervals as Alertmanager defines them: an interval holds at an instant when any of its ranges
 * holds; a range holds when each of its fields given holds, read in the range's time zone (IANA, via
 * Intl; default UTC). Times are [start, end) in minutes of the day; days of month may count from the end
 * (`-1` is the last day).
 */
export interface CompiledTimeInterval {
  readonly name: string;
  contains(instant: number): boolean;
}

interface Span {
  start: number;
  end: number;
}

interface CompiledRange {
  times: Span[] | undefined;
  weekdays: Span[] | undefined;
  daysOfMonth: Span[] | undefined;
  months: Span[] | undefined;
  years: Span[] | undefined;
  zone: string;
}

export interface IntervalProblem {
  /** JSON pointer below the spec, e.g. `/timeIntervals/0/weekdays/1`. */
  path: string;
  message: string;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

type Bound = (text: string) => number | undefined;

const named =
  (names: readonly string[], offset: number): Bound =>
  (text) => {
    const index = names.indexOf(text.toLowerCase());
    if (index >= 0) return index + offset;
    return undefined;
  };
const integer =
  (min: number, max: number, allowNegative = false): Bound =>
  (text) => {
    if (!/^-?[0-9]+$/u.test(text)) return undefined;
    const value = Number(text);
    if (value >= min && value <= max) return value;
    if (allowNegative && value <= -1 && value >= -max) return value;
    return undefined;
  };
const monthBound: Bound = (text) => named(MONTHS, 1)(text) ?? integer(1, 12)(text);

function parseSpans(
  items: readonly string[] | undefined,
  bound: Bound,
  what: string,
  path: string,
  problems: IntervalProblem[],
  ordered: (start: number, end: number) => boolean = (start, end) => start <= end,
): Span[] | undefined {
  if (!items || items.length === 0) return undefined;
  return items.flatMap((item, index) => {
    const [first, second, extra] = item.split(':');
    const start = first === undefined ? undefined : bound(first.trim());
    const end = second === undefined ? start : bound(second.trim());
    if (extra !== undefined || start === undefined || end === undefined) {
      problems.push({
        path: `${path}/${index}`,
        message: `"${item}" is not a valid ${what} or range of them`,
      });
      return [];
    }
    if (!ordered(start, end)) {
      problems.push({ path: `${path}/${index}`, message: `"${item}": the range ends before it starts` });
      return [];
    }
    return [{ start, end }];
  });
}

function minutes(text: string): number {
  const [hours, mins] = text.split(':').map(Number);
  return (hours ?? 0) * 60 + (mins ?? 0);
}

function compileRange(range: TimeRange, path: string, problems: IntervalProblem[]): CompiledRange {
  const zone = range.location ?? 'UTC';
  if (!zoneFormatter(zone))
    problems.push({ path: `${path}/location`, message: `unknown time zone "${zone}"` });
  const times = range.times?.map((time, index) => {
    const span = { start: minutes(time.startTime), end: minutes(time.endTime) };
    if (span.end <= span.start) {
      problems.push({ path: `${path}/times/${index}`, message: 'endTime must be after startTime' });
    }
    return span;
  });
  return {
    zone,
    times: times && times.length > 0 ? times : undefined,
    weekdays: parseSpans(range.weekdays, named(WEEKDAYS, 0), 'weekday', `${path}/weekdays`, problems),
    daysOfMonth: parseSpans(
      range.daysOfMonth,
      integer(1, 31, true),
      'day of month',
      `${path}/daysOfMonth`,
      problems,
      // Mixed signs are resolved per month (`1:-1` is every day); same signs must be ordered.
      (start, end) => Math.sign(start) !== Math.sign(end) || start <= end,
    ),
    months: parseSpans(range.months, monthBound, 'month', `${path}/months`, problems),
    years: parseSpans(range.years, integer(1, 9999), 'year', `${path}/years`, problems),
  };
}

const formatters = new Map<string, Intl.DateTimeFormat | undefined>();

function zoneFormatter(zone: string): Intl.DateTimeFormat | undefined {
  if (!formatters.has(zone)) {
    let formatter: Intl.DateTimeFormat | undefined;
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        weekday: 'long',
      });
    } catch {
      formatter = undefined;
    }
    formatters.set(zone, formatter);
  }
  return formatters.get(zone);
}

interface Calendar {
  year: number;
  month: number;
  day: number;
  weekday: number;
  minute: number;
}

function calendarAt(instant: number, zone: string): Calendar | undefined {
  const formatter = zoneFormatter(zone);
  if (!formatter) return undefined;
  const parts: Record<string, string> = {};
  for (const part of formatter.formatToParts(new Date(instant))) parts[part.type] = part.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: WEEKDAYS.indexOf((parts.weekday ?? '').toLowerCase()),
    minute: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

const within = (spans: Span[] | undefined, value: number) =>
  !spans || spans.some((span) => value >= span.start && value <= span.end);

function rangeHolds(range: CompiledRange, instant: number): boolean {
  const at = calendarAt(instant, range.zone);
  if (!at) return false;
  if (range.times && !range.times.some((span) => at.minute >= span.start && at.minute < span.end))
    return false;
  if (!within(range.weekdays, at.weekday)) return false;
  if (!within(range.months, at.month)) return false;
  if (!within(range.years, at.year)) return false;
  if (range.daysOfMonth) {
    const length = new Date(Date.UTC(at.year, at.month, 0)).getUTCDate();
    const resolve = (day: number) => (day < 0 ? length + day + 1 : day);
    const hit = range.daysOfMonth.some((span) => {
      const start = Math.max(1, resolve(span.start));
      const end = Math.min(length, resolve(span.end));
      return at.day >= start && at.day <= end;
    });
    if (!hit) return false;
  }
  return true;
}

/** Compiles a TimeInterval's spec; problems name the field (a compiled interval skips bad entries). */
export function compileTimeInterval(
  name: string,
  spec: TimeIntervalSpec,
): { interval: CompiledTimeInterval; problems: IntervalProblem[] } {
  const problems: IntervalProblem[] = [];
  const ranges = spec.timeIntervals.map((range, index) =>
    compileRange(range, `/timeIntervals/${index}`, problems),
  );
  return {
    interval: { name, contains: (instant) => ranges.some((range) => rangeHolds(range, instant)) },
    problems,
  };
}
