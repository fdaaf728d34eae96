/**
 * What the change engine reads and writes outside its journal, as interfaces (ADR 0030): the health
 * center's alerts and exceptions (health gate, automatic pause, the Alert policy) and Prometheus (metric
 * and canary gates). The server wires them to `@gantry/store` and `@gantry/alerts`; tests use fakes.
 */

/** An entity as the health center names it (the actuator's `subject`). */
export interface GateEntity {
  kind: string;
  name: string;
  team: string;
  cluster?: string;
}

export interface HealthSignal {
  id: string;
  title: string;
  at: string;
}

/** The health center, read. */
export interface ChangeHealthSignals {
  /** Alerts on these entities that started firing at or after `since` (their fingerprints and names). */
  alertsSince(team: string, entities: readonly GateEntity[], since: string): Promise<HealthSignal[]>;
  /** Exceptions on these entities opened at or after `since` and not resolved (nor merged). */
  openExceptionsSince(team: string, entities: readonly GateEntity[], since: string): Promise<HealthSignal[]>;
}

/** The Alert policy's side: an exception in the health center, and entries on its timeline. */
export interface ChangeExceptionSink {
  /**
   * Opens the exception for `key`, or answers the one already opened for it (a repeat after a crash
   * opens nothing more).
   */
  open(input: {
    team: string;
    key: string;
    title: string;
    severity: 'critical' | 'major' | 'minor' | 'warning';
    entities: readonly GateEntity[];
    change: string;
    at: Date;
  }): Promise<{ exceptionId: string }>;
  /** An entry on the exception's timeline: the change it paused, or that opened it. */
  link(team: string, exceptionId: string, message: string, at: Date): Promise<void>;
}

export type MetricsRead =
  | { ok: true; series: { labels: Record<string, string>; values: number[] }[] }
  | { ok: false; reason: string; message: string };

/** PromQL range queries against a team's MetricsSource; failures are outcomes, never exceptions. */
export interface ChangeMetrics {
  queryRange(
    team: string,
    source: string,
    expr: string,
    start: number,
    end: number,
    stepMs: number,
  ): Promise<MetricsRead>;
}
