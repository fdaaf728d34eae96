import { CliError } from './errors.ts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration the way kubectl's flags do (Go's time.ParseDuration, without the sub-millisecond
 * units): `30s`, `5m`, `1h`, `1h30m`, `1.5h`, `500ms`; a bare `0` is zero. Returns milliseconds.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const part = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  while (at < trimmed.length) {
    part.lastIndex = at;
    const match = part.exec(trimmed);
    if (match === null) break;
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
    at = part.lastIndex;
  }
  if (trimmed === '' || at !== trimmed.length) {
    throw new CliError(
      `invalid duration "${text}": use a number and a unit (ms, s, m, h), e.g. 30s, 5m, 1h30m`,
    );
  }
  return Math.round(total);
}

/** The reverse, for messages: 90000 → `1m30s`, 300000 → `5m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  let seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  seconds -= hours * 3600;
  const minutes = Math.floor(seconds / 60);
  seconds -= minutes * 60;
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 ? `${seconds}s` : ''}`;
}
