const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `5m`, `1h30m`, `0s` → milliseconds (the schemas' duration pattern keeps anything else out; 0 then). */
export function durationMs(text: string): number {
  let total = 0;
  for (const match of text.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g))
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}
