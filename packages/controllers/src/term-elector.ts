import type { LeaseRepository, WriteFence } from '@gantry/store';
import type { ControllerMetrics } from './controller-metrics.ts';
import { LeaderElector, type LeaderElectionOptions, type LeaseStore } from './leader-election.ts';
import { leaseTermCheck, readTermFence, TermScope } from './term-scope.ts';

export interface TermElectorOptions extends Omit<
  LeaderElectionOptions,
  'onStartedLeading' | 'onStoppedLeading'
> {
  /** A term started: `scope` carries its fence and caches, and ends (whole) before `onStoppedLeading`. */
  onStartedLeading: (scope: TermScope) => void | Promise<void>;
  onStoppedLeading: (reason: string) => void | Promise<void>;
  /** Where refusals are counted (`gantry_controller_fenced_writes_total{controller=<lease name>}`). */
  metrics?: Pick<ControllerMetrics, 'fencedWrites'>;
}

/**
 * A `LeaderElector` for loops that hold a lease of their own outside the controller runtime (alert
 * dispatch, health correlation, baselines...): each term gets a `TermScope` with its fence, as the
 * runtime's controllers do (ADR 0028). A term whose lease row already names another holder starts nothing.
 *
 * A refusal the loop reports through `scope.refused(error)` is counted, logged once per term and ends the
 * term at once (`onStoppedLeading('fenced')`), without waiting for the elector's next renewal; if this
 * server still leads and the lease row names a newer term of its own (it took the lease back), a new term
 * starts, else nothing does until the elector next takes the lease.
 */
export function termElector(
  leases: LeaseStore & Pick<LeaseRepository, 'get'>,
  options: TermElectorOptions,
): LeaderElector {
  let scope: TermScope | undefined;
  // Starts, stops and refusals run one at a time, in order.
  let chain: Promise<void> = Promise.resolve();
  const serially = (step: () => Promise<void>): Promise<void> => {
    const next = chain.then(step);
    chain = next.catch(() => undefined);
    return next;
  };

  const begin = async (refused?: WriteFence): Promise<void> => {
    const fence = await readTermFence({
      leases,
      lease: options.leaseName,
      holder: options.holder,
      leaseDurationMs: options.leaseDurationMs,
      stillLeading: () => elector.isLeader(),
      clock: options.clock,
      logger: options.logger,
    });
    // After a refusal, a row that still names the refused term starts nothing (a refusal never loops).
    if (!fence || (refused && fence.transitions === refused.transitions)) return;
    let logged = false;
    const started: TermScope = new TermScope({
      fence,
      check: leaseTermCheck(leases),
      onCleanupError: (error) => options.logger.warn({ err: error }, 'ending a term: a cleanup failed'),
      onRefused: (error) => {
        options.metrics?.fencedWrites.inc({ controller: options.leaseName });
        if (!logged) {
          logged = true;
          options.logger.warn(
            { err: error, lease: options.leaseName },
            "a write was refused: this term is over; stopping the term's work",
          );
        }
        if (started.ended) return;
        started.end();
        void serially(async () => {
          if (scope !== started) return;
          await end('fenced');
          if (elector.isLeader()) await begin(fence);
        }).catch((failure: unknown) =>
          options.logger.error({ err: failure, lease: options.leaseName }, 'ending a fenced term failed'),
        );
      },
    });
    scope = started;
    await options.onStartedLeading(started);
  };

  const end = async (reason: string): Promise<void> => {
    const ended = scope;
    scope = undefined;
    if (!ended) return;
    ended.end();
    await options.onStoppedLeading(reason);
  };

  const elector: LeaderElector = new LeaderElector(leases, {
    ...options,
    onStartedLeading: () => serially(() => begin()),
    onStoppedLeading: (reason) => serially(() => end(reason)),
  });
  return elector;
}
