/**
 * Go-style durations as Alertmanager's configuration writes them (`30s`, `5m`, `4h`, `1h30m`, `500ms`,
 * `1d`, `1w`, `1y`), in milliseconds. Units must come from largest to smallest, each at most once.
 */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3_600_000],
  ['w', 7 * 24 * 3_600_000],
  ['d', 24 * 3_600_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

export type DurationParse = { ok: true; ms: number } | { ok: false; error: string };

export function parseDuration(text: string): DurationParse {
  if (text === '0') return { ok: true, ms: 0 };
  const parts = [...text.matchAll(/([0-9]+)(ms|y|w|d|h|m|s)/gu)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    return { ok: false, error: `"${text}" is not a duration like 30s, 5m, 4h or 1h30m` };
  }
  let ms = 0;
  let lastUnit = -1;
  for (const [, amount, unit] of parts) {
    const index = UNITS.findIndex(([name]) => name === unit);
    if (index <= lastUnit) return { ok: false, error: `"${text}": units must go from largest to smallest` };
    lastUnit = index;
    ms += Number(amount) * UNITS[index]![1];
  }
  return Number.isSafeInteger(ms) ? { ok: true, ms } : { ok: false, error: `"${text}" is too long` };
}

/** Writes milliseconds back in the shortest Go-style form (`90000` → `1m30s`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let text = '';
  for (const [unit, size] of UNITS) {
    if (unit === 'y' || unit === 'w') continue;
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      text += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return text;
}
