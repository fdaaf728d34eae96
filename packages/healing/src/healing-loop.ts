import {
  termElector,
  type Clock,
  type ControllerMetrics,
  type LeaderElector,
  type LeaseStore,
  type Timer,
} from '@gantry/controllers';
import type { LeaseRepository } from '@gantry/store';
import type { Logger } from 'pino';
import type { HealingController, HealingTerm } from './healing-controller.ts';

/** The lease the healing controller runs under: one server decides at a time (writes are fenced anyway). */
export const HEALING_LEASE = 'controller/healing';

export interface HealingLoop {
  /** Passes run in `term` (its fence on every write) until `stop`. */
  start(term?: HealingTerm): void;
  /** Resolves once no pass is running. */
  stop(): Promise<void>;
  /** A pass as soon as the current one (if any) ends: a new exception, an approval. */
  wake(): void;
}

/**
 * Runs `reconcile` every `intervalMs` on the injected clock, one pass at a time; a pass that throws is
 * reported and the next one runs on time (level-triggered: it redoes what was left).
 */
export function createHealingLoop(deps: {
  controller: Pick<HealingController, 'reconcile'>;
  clock: Clock;
  intervalMs: number;
  onError: (error: unknown) => void;
}): HealingLoop {
  let running = false;
  let term: HealingTerm | undefined;
  let timer: Timer | undefined;
  let pass: Promise<void> | undefined;
  let again = false;
  const schedule = (delayMs: number) => {
    timer?.cancel();
    if (running) timer = deps.clock.setTimeout(tick, delayMs);
  };
  const tick = () => {
    if (!running) return;
    if (pass) {
      again = true;
      return;
    }
    pass = deps.controller
      .reconcile(term, () => again)
      .then(
        () => undefined,
        (error: unknown) => deps.onError(error),
      )
      .finally(() => {
        pass = undefined;
        if (again) {
          again = false;
          schedule(0);
        } else schedule(deps.intervalMs);
      });
  };
  return {
    start(inTerm) {
      if (running) return;
      running = true;
      term = inTerm;
      schedule(0);
    },
    async stop() {
      running = false;
      timer?.cancel();
      await pass;
      term = undefined;
    },
    wake() {
      if (pass) again = true;
      else schedule(0);
    },
  };
}

/**
 * The loop under the `controller/healing` lease: it runs only while this server holds it, each term's
 * passes writing with that term's fence (ADR 0028); a refused write ends the term at once.
 */
export function createHealingModule(deps: {
  controller: Pick<HealingController, 'reconcile'>;
  leases: LeaseStore & Pick<LeaseRepository, 'get'>;
  clock: Clock;
  logger: Logger;
  holder: string;
  leaseDurationMs: number;
  intervalMs: number;
  metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
}): { loop: HealingLoop; elector: LeaderElector; start(): Promise<void>; stop(): Promise<void> } {
  const loop = createHealingLoop({
    controller: deps.controller,
    clock: deps.clock,
    intervalMs: deps.intervalMs,
    onError: (error) => deps.logger.warn({ err: error }, 'healing pass failed'),
  });
  const elector = termElector(deps.leases, {
    leaseName: HEALING_LEASE,
    holder: deps.holder,
    leaseDurationMs: deps.leaseDurationMs,
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    onStartedLeading: (scope) => loop.start(scope),
    onStoppedLeading: () => loop.stop(),
  });
  return {
    loop,
    elector,
    start: () => elector.start(),
    async stop() {
      await elector.stop();
      await loop.stop();
    },
  };
}
