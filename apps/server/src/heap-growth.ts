import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what survived the last full garbage collection before it collects
 * again (ADR 0038). V8 picks a factor between 1.1 and 4 from its own timing; under a sustained ingest it
 * picks 2.5-3.5, and RSS follows the heap it lets grow, not the live set. V8's `--heap-growing-percent`
 * fixes the factor at 1 + percent/100. V8 reads the flag at every full collection when it sets the next
 * limit, so it takes effect when set in a running process (unlike `--max-old-space-size`). Not a cap:
 * a live set that grows is given room, never an out-of-memory abort; what it costs is more frequent
 * full collections (mostly concurrent marking) when the live set is large.
 *
 * 0 leaves V8's own choice. `setFlags` is injectable for tests.
 */
export function applyHeapGrowth(
  percent: number,
  setFlags: (flags: string) => void = setFlagsFromString,
): void {
  if (!Number.isInteger(percent) || percent < 0)
    throw new Error(`heap growth must be a whole number of percent, not ${percent}`);
  if (percent === 0) return;
  setFlags(`--heap-growing-percent=${percent}`);
}
