/**
 * Time as the agent side sees it (the same shape as the controllers' `Clock`, declared here so that the
 * agent's bundle does not pull in the controller runtime). Tests pass a manual clock to fire timeouts.
 */
export interface AgentClock {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): { cancel(): void };
}

export const realAgentClock: AgentClock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
