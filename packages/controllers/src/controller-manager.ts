import type { Logger } from 'pino';
import type { BackoffOptions } from './backoff.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Controller } from './controller.ts';
import { noopControllerMetrics, type ControllerMetrics } from './controller-metrics.ts';
import {
  ControllerRunner,
  type ControllerRuntimeDeps,
  type ControllerRuntimeOptions,
} from './controller-runner.ts';

export interface ControllerManagerOptions {
  /** This server's name in leases; unique among the servers sharing a database. */
  holder: string;
  /** Lease lifetime without renewal; see LeaderElector for what follows from it. */
  leaseDurationMs: number;
  logger: Logger;
  /** Every object is enqueued again this often, whatever the feed said. Default 5 minutes. */
  resyncIntervalMs?: number;
  /** Per-key retry delays after failed reconciles. Default 5 ms doubling to 60 s. */
  backoff?: Partial<BackoffOptions>;
  /** Page size when listing a kind. Default 500. */
  listPageSize?: number;
  clock?: Clock;
  metrics?: ControllerMetrics;
}

export const CONTROLLER_DEFAULTS = {
  resyncIntervalMs: 5 * 60_000,
  backoff: { baseMs: 5, maxMs: 60_000 },
  listPageSize: 500,
} as const;

/** Runs every registered controller, each under its own lease, so that servers on one database share them. */
export class ControllerManager {
  readonly #runners = new Map<string, ControllerRunner>();
  readonly #options: ControllerRuntimeOptions;
  #started = false;

  constructor(
    private readonly deps: ControllerRuntimeDeps,
    options: ControllerManagerOptions,
  ) {
    if (options.holder === '') throw new RangeError('holder must not be empty');
    this.#options = {
      holder: options.holder,
      leaseDurationMs: options.leaseDurationMs,
      resyncIntervalMs: options.resyncIntervalMs ?? CONTROLLER_DEFAULTS.resyncIntervalMs,
      backoff: { ...CONTROLLER_DEFAULTS.backoff, ...options.backoff },
      listPageSize: options.listPageSize ?? CONTROLLER_DEFAULTS.listPageSize,
      clock: options.clock ?? systemClock(),
      logger: options.logger,
      metrics: options.metrics ?? noopControllerMetrics,
    };
  }

  register(controller: Controller): this {
    if (this.#started) throw new Error(`register ${controller.name} before starting the controllers`);
    if (this.#runners.has(controller.name))
      throw new Error(`a controller named ${controller.name} is already registered`);
    this.#runners.set(controller.name, new ControllerRunner(controller, this.deps, this.#options));
    return this;
  }

  /** Starts campaigning for every controller's lease; resolves after each made its first attempt. */
  async start(): Promise<void> {
    this.#started = true;
    await Promise.all([...this.#runners.values()].map((runner) => runner.start()));
  }

  /** Stops every controller, waits for in-flight reconciles, and releases the leases. */
  async stop(): Promise<void> {
    await Promise.all([...this.#runners.values()].map((runner) => runner.stop()));
  }

  /** Names of the controllers this server currently leads. */
  leading(): string[] {
    return [...this.#runners.values()]
      .filter((runner) => runner.leading)
      .map((runner) => runner.controller.name);
  }
}
