import type { FencedWriteRefused } from '@gantry/store';
import type { ControllerMetrics } from './controller-metrics.ts';

/**
 * What a loop with its own lease does with a refused write of its term (ADR 0028): count it in
 * `gantry_controller_fenced_writes_total{controller}` and log it once per term (`reset` when a term begins).
 */
export class RefusalReporter {
  #logged = false;

  constructor(
    private readonly controller: string,
    private readonly deps: {
      metrics?: Pick<ControllerMetrics, 'fencedWrites'> | undefined;
      logger?: { warn(object: object, message: string): void } | undefined;
    },
  ) {}

  report(error: FencedWriteRefused): void {
    this.deps.metrics?.fencedWrites.inc({ controller: this.controller });
    if (!this.#logged)
      this.deps.logger?.warn(
        { err: error },
        "a write was refused: this term is over; stopping the term's work",
      );
    this.#logged = true;
  }

  /** A new term: its first refusal is logged again. */
  reset(): void {
    this.#logged = false;
  }
}
