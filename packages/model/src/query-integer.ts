import { ErrorCodes, InputError } from './errors.ts';

/**
 * A query string's whole number from 1 to `max` (`limit=100`), `fallback` when absent; anything else is a
 * 400 naming `querystring/<name>`.
 */
export function queryInteger(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new InputError(
      `${name} must be from 1 to ${max}`,
      [{ path: `querystring/${name}`, message: `must be 1-${max}` }],
      ErrorCodes.invalid,
    );
  return n;
}
