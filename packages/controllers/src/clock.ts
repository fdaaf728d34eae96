/** A pending timer; only `cancel` is needed by the runtime. */
export interface Timer {
  cancel(): void;
}

/**
 * Time as the controller runtime sees it. Everything time-driven (backoff, lease renewal, resync) goes
 * through one of these, so tests drive it with fake timers instead of sleeping.
 */
export interface Clock {
  now(): number;
  /** Runs `callback` once after `delayMs`. The timer never keeps the process alive on its own. */
  setTimeout(callback: () => void, delayMs: number): Timer;
}

/**
 * The real clock. `now` may be replaced (the server's injected clock); timers are Node's, looked up at
 * call time so that fake timers installed after import still apply.
 */
export function systemClock(now: () => number = () => Date.now()): Clock {
  return {
    now,
    setTimeout(callback, delayMs) {
      const handle = setTimeout(callback, Math.max(0, delayMs));
      handle.unref?.();
      return { cancel: () => clearTimeout(handle) };
    },
  };
}
