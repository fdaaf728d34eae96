/**
 * "Full jitter" exponential backoff: a uniformly random wait between 0 and min(cap, base * 2^attempt), so
 * that thousands of agents cut off by one server restart come back spread over the window, not at once.
 */
export function fullJitterDelay(
  attempt: number,
  random: () => number,
  baseMs = 1000,
  capMs = 60_000,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
