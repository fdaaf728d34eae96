const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** `30m`, `1h30m`, `0s` → milliseconds; undefined for anything else (the schemas' pattern keeps it out). */
export function durationMs(text: string): number | undefined {
  if (!/^([0-9]+(ms|s|m|h|d|w))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g))
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return total;
}
