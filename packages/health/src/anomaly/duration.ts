const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A Prometheus duration (`90s`, `1h30m`, `14d`) in milliseconds. The Baseline schema's pattern has
 * already refused any other form, so a string that does not parse here is a bug and throws.
 */
export function parseBaselineDuration(text: string): number {
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== text.length) throw new RangeError(`not a duration: ${text}`);
  return total;
}
