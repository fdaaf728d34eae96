/** `fenced`: the store refused a write because the term was over (ADR 0028). */
export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'fenced';

/**
 * The metrics the runtime reports, shaped so that prom-client metrics fit as they are (the server passes
 * its `Metrics`), without this package depending on prom-client.
 */
export interface ControllerMetrics {
  reconciles: { inc(labels: { controller: string; result: ReconcileOutcome }): void };
  /** Seconds. */
  reconcileDuration: { observe(labels: { controller: string }, value: number): void };
  queueDepth: { set(labels: { controller: string }, value: number): void };
  /** 1 while this server holds the controller's lease, else 0. */
  leader: { set(labels: { controller: string }, value: number): void };
  /** Writes the store refused because the term that made them was over (ADR 0028). */
  fencedWrites: { inc(labels: { controller: string }): void };
}

export const noopControllerMetrics: ControllerMetrics = {
  reconciles: { inc: () => undefined },
  reconcileDuration: { observe: () => undefined },
  queueDepth: { set: () => undefined },
  leader: { set: () => undefined },
  fencedWrites: { inc: () => undefined },
};
