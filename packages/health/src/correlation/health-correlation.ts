import { watchAlertChanges } from '@gantry/alerts';
import type { Clock, EventRecorder, TermScope } from '@gantry/controllers';
import type { CelEngine } from '@gantry/delivery';
import type { Store, StoredChange } from '@gantry/store';
import { createEscalator, type Escalator, type NotificationEnqueuer } from '../escalation/escalator.ts';
import { escalationPolicySource } from '../escalation/policy-source.ts';
import type { ExceptionPort, ExceptionReader } from '../ports.ts';
import { createCorrelationRunner, type CorrelationRunner } from './runner.ts';
import { inventoryTopology } from './topology-source.ts';

export interface HealthCorrelationDeps {
  store: Pick<Store, 'alerts' | 'correlation' | 'resources' | 'inventory' | 'listenForChanges'>;
  /** The exception service, through the ports. */
  port: ExceptionPort;
  reader: ExceptionReader;
  /** The alert pipeline's outbox (`NotificationService`). */
  notifications: NotificationEnqueuer;
  /** The resource change feed (`feed.subscribe`): CorrelationRule edits apply at once. */
  subscribe(listener: (change: StoredChange) => void): () => void;
  cel: CelEngine;
  clock: Clock;
  externalUrl: string;
  onError(error: unknown, what: string): void;
  /** The server's EventRecorder: Warning events for rules and policies that cannot apply. */
  events?: EventRecorder;
}

export interface HealthCorrelationOptions {
  /** `GANTRY_HEALTH_GROUP_WAIT` in milliseconds. */
  groupWaitMs: number;
  /** `GANTRY_HEALTH_RACK_LABEL`. */
  rackLabel: string;
  /** `GANTRY_HEALTH_ESCALATION_POLICY`. */
  defaultPolicy: string;
}

export interface HealthCorrelation {
  runner: CorrelationRunner;
  escalator: Escalator;
  /**
   * Run from the `health-correlation` lease's `onStartedLeading`; `term` (from `termElector`, ADR 0028):
   * every write of the term — exceptions, correlation state, escalation state and timeline entries,
   * notifications, events — carries its fence, and a refusal ends it (`term.refused`).
   */
  start(term?: TermScope): Promise<void>;
  /** Run from its `onStoppedLeading`. */
  stop(): Promise<void>;
}

/**
 * Correlation and escalation wired over a server's store, outbox and change feed, for one term of the
 * `health-correlation` lease: the escalator starts first (so correlation's first opening is escalated
 * at once), and stops last.
 */
export function createHealthCorrelation(
  deps: HealthCorrelationDeps,
  options: HealthCorrelationOptions,
): HealthCorrelation {
  const escalator = createEscalator(
    {
      reader: deps.reader,
      port: deps.port,
      notifications: deps.notifications,
      state: deps.store.correlation,
      policies: escalationPolicySource(deps.store.resources),
      clock: deps.clock,
      externalUrl: deps.externalUrl,
      onError: deps.onError,
      ...(deps.events ? { events: deps.events } : {}),
    },
    { defaultPolicy: options.defaultPolicy },
  );
  const runner = createCorrelationRunner(
    {
      port: deps.port,
      alerts: deps.store.alerts,
      state: deps.store.correlation,
      resources: deps.store.resources,
      subscribe: deps.subscribe,
      watchAlerts: (onChange) =>
        watchAlertChanges(deps.store, onChange, (error) => deps.onError(error, 'alert change notifications')),
      topology: inventoryTopology(deps.store.inventory, deps.clock),
      cel: deps.cel,
      clock: deps.clock,
      onError: deps.onError,
      ...(deps.events ? { events: deps.events } : {}),
      onException: (team, id, outcome) => escalator.exceptionOpened(team, id, outcome),
    },
    { groupWaitMs: options.groupWaitMs, topologyLabels: { rackLabel: options.rackLabel } },
  );
  return {
    runner,
    escalator,
    async start(scope) {
      await escalator.start(scope);
      await runner.start(scope);
    },
    async stop() {
      await runner.stop();
      await escalator.stop();
    },
  };
}
