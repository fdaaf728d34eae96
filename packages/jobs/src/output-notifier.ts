/**
 * Wakes followers of a run's output on this server when some arrives (or the run ends). Followers also
 * look again at least every second, for output another server stored.
 */
export class OutputNotifier {
  readonly #waiting = new Map<string, Set<() => void>>();

  notify(runId: string): void {
    const waiting = this.#waiting.get(runId);
    if (!waiting) return;
    this.#waiting.delete(runId);
    for (const wake of waiting) wake();
  }

  wait(runId: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.#waiting.get(runId) ?? new Set<() => void>();
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      timer.unref();
      set.add(done);
      this.#waiting.set(runId, set);
    });
  }
}
