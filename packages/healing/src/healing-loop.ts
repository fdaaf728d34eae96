import { LeaderElector, type Clock, type LeaseStore, type Timer } from '@gantry/controllers';
import type { Logger } from 'pino';
import type { HealingController } from './healing-controller.ts';

/** The lease the healing controller runs under: one server decides at a time (writes are fenced anyway). */
export const HEALING_LEASE = 'controller/healing';

export interface HealingLoop {
  start(): void;
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
      .reconcile()
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
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      running = false;
      timer?.cancel();
      await pass;
    },
    wake() {
      if (pass) again = true;
      else schedule(0);
    },
  };
}

/** The loop under the `controller/healing` lease: it runs only while this server holds it. */
export function createHealingModule(deps: {
  controller: Pick<HealingController, 'reconcile'>;
  leases: LeaseStore;
  clock: Clock;
  logger: Logger;
  holder: string;
  leaseDurationMs: number;
  intervalMs: number;
}): { loop: HealingLoop; elector: LeaderElector; start(): Promise<void>; stop(): Promise<void> } {
  const loop = createHealingLoop({
    controller: deps.controller,
    clock: deps.clock,
    intervalMs: deps.intervalMs,
    onError: (error) => deps.logger.warn({ err: error }, 'healing pass failed'),
  });
  const elector = new LeaderElector(deps.leases, {
    leaseName: HEALING_LEASE,
    holder: deps.holder,
    leaseDurationMs: deps.leaseDurationMs,
    clock: deps.clock,
    logger: deps.logger,
    onStartedLeading: () => loop.start(),
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
