import type { NotificationChannelSpec } from '@gantry/model';

/**
 * The wait before attempt `attempt + 1` after `attempt` failed: a random time between half and all of
 * min(max, initial·2^(attempt-1)) ("equal jitter"), so servers retrying one receiver spread out, and
 * never longer than the policy's maximum. `random` is injected (a number in [0, 1)).
 */
export function retryDelayMs(
  policy: NotificationChannelSpec['retry'],
  attempt: number,
  random: () => number,
): number {
  const cap = policy.maxBackoffSeconds * 1000;
  const full = Math.min(cap, policy.initialBackoffSeconds * 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(full / 2 + random() * (full / 2));
}
