import { CronExpressionParser } from 'cron-parser';
import type { ChangeWindowPeriod, ChangeWindowSpec, ErrorDetail } from '@gantry/model';
import { durationMs } from './duration.ts';

/** One allowed period or freeze of a ChangeWindow, compiled. */
export interface CompiledPeriod {
  window: string;
  type: 'allow' | 'freeze';
  index: number;
  cron: string;
  timeZone: string;
  durationMs: number;
  reason?: string;
}

/** How far ahead `nextOpen` looks before it calls a set of windows closed for good. */
export const WINDOW_HORIZON_MS = 400 * 86_400_000;
/** Cron steps spent looking ahead, at most (a freeze every minute for a week is ~10,000). */
const MAX_STEPS = 50_000;

export type CompileResult = { ok: true; periods: CompiledPeriod[] } | { ok: false; errors: ErrorDetail[] };

function validTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** A window's periods, checked: cron fields, time zones, durations; errors carry `/spec/...` paths. */
export function compileWindow(name: string, spec: ChangeWindowSpec): CompileResult {
  const errors: ErrorDetail[] = [];
  const periods: CompiledPeriod[] = [];
  if (!validTimeZone(spec.timeZone))
    errors.push({ path: '/spec/timeZone', message: 'is not an IANA time zone' });
  const add = (type: 'allow' | 'freeze', list: readonly ChangeWindowPeriod[]) =>
    list.forEach((period, index) => {
      const path = `/spec/${type}/${index}`;
      const timeZone = period.timeZone ?? spec.timeZone;
      if (period.timeZone !== undefined && !validTimeZone(period.timeZone))
        errors.push({ path: `${path}/timeZone`, message: 'is not an IANA time zone' });
      const duration = durationMs(period.duration);
      if (duration === undefined || duration <= 0)
        errors.push({ path: `${path}/duration`, message: 'must be a duration longer than zero (`6h`)' });
      const fields = period.cron.trim().split(/\s+/);
      if (fields.length < 5 || fields.length > 6) {
        errors.push({ path: `${path}/cron`, message: 'must have five fields (or six, with seconds first)' });
        return;
      }
      try {
        CronExpressionParser.parse(period.cron, { tz: validTimeZone(timeZone) ? timeZone : 'UTC' });
      } catch (error) {
        errors.push({
          path: `${path}/cron`,
          message: error instanceof Error ? error.message : String(error),
        });
        return;
      }
      periods.push({
        window: name,
        type,
        index,
        cron: period.cron,
        timeZone,
        durationMs: duration ?? 0,
        ...(period.reason !== undefined ? { reason: period.reason } : {}),
      });
    });
  add('allow', spec.allow);
  add('freeze', spec.freeze);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, periods };
}

function parse(period: CompiledPeriod, at: number) {
  return CronExpressionParser.parse(period.cron, { currentDate: new Date(at), tz: period.timeZone });
}

/** The latest start of `period` at or before `at`, if any. */
function latestStart(period: CompiledPeriod, at: number): number | undefined {
  try {
    return parse(period, at + 1)
      .prev()
      .getTime();
  } catch {
    return undefined;
  }
}

/** The first start of `period` after `at`, if any. */
function nextStart(period: CompiledPeriod, at: number): number | undefined {
  try {
    return parse(period, at).next().getTime();
  } catch {
    return undefined;
  }
}

/** When the occurrence of `period` running at `at` ends, or undefined if none runs. */
function activeUntil(period: CompiledPeriod, at: number): number | undefined {
  const start = latestStart(period, at);
  if (start === undefined) return undefined;
  const end = start + period.durationMs;
  return end > at ? end : undefined;
}

/**
 * The end of a run of back-to-back occurrences of `period` from the one ending at `end`: a freeze every
 * minute for a minute is one long freeze, found in one pass of its cron rather than one step a minute.
 */
function chainEnd(period: CompiledPeriod, end: number, limit: number, budget: { steps: number }): number {
  let until = end;
  try {
    const iterator = parse(period, until - period.durationMs);
    for (;;) {
      if (--budget.steps <= 0 || until > limit) return until;
      const start = iterator.next().getTime();
      if (start > until) return until;
      until = Math.max(until, start + period.durationMs);
    }
  } catch {
    return until;
  }
}

export type WindowVerdict =
  | {
      open: true;
      /** When the first allowed period running now ends or the next freeze starts, if any. */
      closesAt?: number;
    }
  | {
      open: false;
      /** What closes it now: a freeze, or no allowed period running. */
      reason: 'Frozen' | 'OutsideAllowed';
      /** The freeze that holds it (Frozen). */
      by?: CompiledPeriod;
      /** When the windows open next; undefined when not within the horizon. */
      nextOpen?: number;
    };

/**
 * Whether changes may act at `now` under these periods taken together: inside some allowed period (or
 * there are none), and inside no freeze — a freeze overrides an allow. Durations are elapsed time: a
 * 6-hour window starting at 22:00 on the night clocks go forward ends at 05:00 local time.
 */
export function evaluateWindows(periods: readonly CompiledPeriod[], now: number): WindowVerdict {
  const allows = periods.filter((period) => period.type === 'allow');
  const freezes = periods.filter((period) => period.type === 'freeze');
  const freeze = freezes.find((period) => activeUntil(period, now) !== undefined);
  const allowEnds = allows.map((period) => activeUntil(period, now)).filter((end) => end !== undefined);
  if (!freeze && (allows.length === 0 || allowEnds.length > 0)) {
    const ends = [
      ...(allowEnds.length > 0 ? [Math.max(...allowEnds)] : []),
      ...freezes.map((period) => nextStart(period, now)).filter((start) => start !== undefined),
    ];
    return ends.length > 0 ? { open: true, closesAt: Math.min(...ends) } : { open: true };
  }
  const next = nextOpen(periods, now);
  return {
    open: false,
    reason: freeze ? 'Frozen' : 'OutsideAllowed',
    ...(freeze ? { by: freeze } : {}),
    ...(next !== undefined ? { nextOpen: next } : {}),
  };
}

/** The first instant at or after `from` at which the periods let a change act; undefined if none within the horizon. */
export function nextOpen(periods: readonly CompiledPeriod[], from: number): number | undefined {
  const allows = periods.filter((period) => period.type === 'allow');
  const freezes = periods.filter((period) => period.type === 'freeze');
  const budget = { steps: MAX_STEPS };
  let at = from;
  while (at - from <= WINDOW_HORIZON_MS && budget.steps > 0) {
    budget.steps -= 1;
    let frozenUntil: number | undefined;
    for (const period of freezes) {
      const end = activeUntil(period, at);
      if (end !== undefined)
        frozenUntil = Math.max(frozenUntil ?? end, chainEnd(period, end, from + WINDOW_HORIZON_MS, budget));
    }
    if (frozenUntil !== undefined) {
      at = frozenUntil;
      continue;
    }
    if (allows.length === 0 || allows.some((period) => activeUntil(period, at) !== undefined)) return at;
    const starts = allows.map((period) => nextStart(period, at)).filter((start) => start !== undefined);
    if (starts.length === 0) return undefined;
    at = Math.min(...starts);
  }
  return undefined;
}
