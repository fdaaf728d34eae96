import type { InboundAlert } from './normalize.ts';

/** Where a body is not `PostableAlerts`: a JSON pointer into it (`/3/labels/job`) and what is wrong. */
export interface ShapeProblem {
  path: string;
  message: string;
}

/**
 * RFC 3339 date-time, as the schema's `format: date-time` (ajv-formats) takes it: a date, `T`, `t` or a
 * space, a time with optional fraction, and `Z` or an offset. Ranges (month 13, hour 25) are left to
 * `Date.parse` in `normalizeAlert`, which refuses what it cannot read.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function stringMap(value: unknown, path: string): ShapeProblem | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { path, message: 'must be object' };
  for (const name in value as Record<string, unknown>)
    if (typeof (value as Record<string, unknown>)[name] !== 'string')
      return { path: `${path}/${name}`, message: 'must be string' };
  return undefined;
}

function optionalTime(value: unknown, path: string): ShapeProblem | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') return { path, message: 'must be string' };
  return DATE_TIME.test(value) ? undefined : { path, message: 'must match format "date-time"' };
}

/**
 * Whether a parsed body is `PostableAlerts` (`@gantry/model`: Alertmanager's API v2 shape), the first
 * problem when it is not. This is the route's schema checked by hand, in one pass per alert: the route
 * takes its body raw (ADR 0042), so the ingest checks it wherever it parses it (its thread, or the event
 * loop). `postable.test.ts` holds it to the schema's answers.
 */
export function postableProblem(value: unknown): ShapeProblem | undefined {
  if (!Array.isArray(value)) return { path: '', message: 'must be array' };
  for (let i = 0; i < value.length; i++) {
    const alert = value[i] as Record<string, unknown> | null;
    const at = `/${i}`;
    if (alert === null || typeof alert !== 'object' || Array.isArray(alert))
      return { path: at, message: 'must be object' };
    if (alert.labels === undefined) return { path: at, message: "must have required property 'labels'" };
    const problem =
      stringMap(alert.labels, `${at}/labels`) ??
      (alert.annotations === undefined ? undefined : stringMap(alert.annotations, `${at}/annotations`)) ??
      optionalTime(alert.startsAt, `${at}/startsAt`) ??
      optionalTime(alert.endsAt, `${at}/endsAt`);
    if (problem) return problem;
    if (alert.generatorURL !== undefined && typeof alert.generatorURL !== 'string')
      return { path: `${at}/generatorURL`, message: 'must be string' };
  }
  return undefined;
}

/** A body that `postableProblem` passed, as the alerts it holds. */
export function asInboundAlerts(value: unknown): readonly InboundAlert[] {
  return value as readonly InboundAlert[];
}
