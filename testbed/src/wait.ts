import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, logTail, type ProcessRecord } from './processes.ts';
import { TestbedError } from './testbed-error.ts';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly cluster?: string;
  /** Processes whose death ends the wait at once, with the tail of the dead one's log. */
  readonly watch?: readonly ProcessRecord[];
}

/**
 * Polls `check` until it returns a value other than undefined. Errors thrown by `check` count as "not yet"
 * (a starting apiserver refuses connections); the last one is in the timeout message.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastProblem = '';
  for (;;) {
    const dead = options.watch?.find((record) => !isAlive(record));
    if (dead) {
      throw new TestbedError(`${dead.name} exited while waiting for ${what}:\n${logTail(dead.logFile)}`, {
        step: what,
        cluster: options.cluster,
        logFile: dead.logFile,
      });
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      throw new TestbedError(
        `timed out after ${options.timeoutMs} ms waiting for ${what}${lastProblem ? ` (last: ${lastProblem})` : ''}`,
        {
          step: what,
          cluster: options.cluster,
        },
      );
    }
    await sleep(options.intervalMs ?? 250);
  }
}
