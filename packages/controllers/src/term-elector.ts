import type { LeaseRepository } from '@gantry/store';
import { LeaderElector, type LeaderElectionOptions, type LeaseStore } from './leader-election.ts';
import { leaseTermCheck, readTermFence, TermScope } from './term-scope.ts';

export interface TermElectorOptions extends Omit<
  LeaderElectionOptions,
  'onStartedLeading' | 'onStoppedLeading'
> {
  /** A term started: `scope` carries its fence and caches, and ends (whole) before `onStoppedLeading`. */
  onStartedLeading: (scope: TermScope) => void | Promise<void>;
  onStoppedLeading: (reason: string) => void | Promise<void>;
}

/**
 * A `LeaderElector` for loops that hold a lease of their own outside the controller runtime (alert
 * dispatch, health correlation, baselines...): each term gets a `TermScope` with its fence, as the
 * runtime's controllers do (ADR 0028). A term whose lease row already names another holder starts nothing.
 */
export function termElector(
  leases: LeaseStore & Pick<LeaseRepository, 'get'>,
  options: TermElectorOptions,
): LeaderElector {
  let scope: TermScope | undefined;
  const elector: LeaderElector = new LeaderElector(leases, {
    ...options,
    onStartedLeading: async () => {
      const fence = await readTermFence({
        leases,
        lease: options.leaseName,
        holder: options.holder,
        leaseDurationMs: options.leaseDurationMs,
        stillLeading: () => elector.isLeader(),
        clock: options.clock,
        logger: options.logger,
      });
      if (!fence) return;
      const started = new TermScope({
        fence,
        check: leaseTermCheck(leases),
        onCleanupError: (error) => options.logger.warn({ err: error }, 'ending a term: a cleanup failed'),
      });
      scope = started;
      await options.onStartedLeading(started);
    },
    onStoppedLeading: async (reason) => {
      const ended = scope;
      scope = undefined;
      if (!ended) return;
      ended.end();
      await options.onStoppedLeading(reason);
    },
  });
  return elector;
}
