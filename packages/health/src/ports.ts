import type { FencedWriteRefused, WriteFence } from '@gantry/store';
/**
 * The seams between the parts of the health center (docs/adr/0018 to 0021): correlation opens and feeds
 * exceptions through an ExceptionPort; inspections and baselines report risks through a RiskSink. Each
 * side is built and tested on its own; the server wires the real implementations together.
 */

/** What a health object concerns. `kind` is one of the inventory's or delivery's kinds. */
export interface EntityRef {
  kind: 'Application' | 'Component' | 'Cluster' | 'Node' | 'Namespace' | 'Workload' | 'Host' | 'Team';
  name: string;
  cluster?: string;
  namespace?: string;
  /** For a Component: its application. */
  application?: string;
}

/** One alert as correlation hands it over: its identity and where it stands. */
export interface CorrelatedAlert {
  fingerprint: string;
  labels: Record<string, string>;
  state: 'firing' | 'resolved';
  startsAt: string;
  endsAt: string;
}

/**
 * A correlation decision: these alerts belong together under `key` (stable for the same rule and shared
 * values), and why. Sent when the group first reaches its threshold (the exception is opened) and again
 * whenever alerts join or resolve.
 */
export interface CorrelationGroup {
  team: string;
  /** Stable identity: the same rule and shared values give the same key, across restarts and servers. */
  key: string;
  /** Why: the rule that grouped them (`topology` for the built-in topology correlation) and its values. */
  reason: { rule: string; ruleKind: 'Topology' | 'CorrelationRule'; shared: Record<string, string> };
  title: string;
  severity: 'critical' | 'major' | 'minor' | 'warning';
  entities: EntityRef[];
  /** The alerts added or changed since the last call for this key (all of them on the first call). */
  alerts: CorrelatedAlert[];
}

export interface ExceptionPort {
  /**
   * Opens the exception for the group's key, or adds its alerts to the open one with that key; reopens a
   * resolved one with that key when it was resolved within the reopen window (never a new record then),
   * and opens a new one after that. Never adds alerts to a resolved exception without reopening it.
   * Idempotent: the same call twice changes nothing the second time.
   */
  correlate(
    group: CorrelationGroup,
    at: Date,
    write?: LeaderWrite,
  ): Promise<{ exceptionId: string; outcome: 'opened' | 'joined' | 'reopened' | 'unchanged' }>;
  /** The group's last alert resolved: the exception resolves by itself when its rule says so. */
  groupResolved(team: string, key: string, at: Date, write?: LeaderWrite): Promise<void>;
  /** Adds an entry to the exception's timeline: a notification sent, an escalation step taken. */
  recordActivity(
    team: string,
    exceptionId: string,
    activity: ExceptionActivity,
    write?: LeaderWrite,
  ): Promise<void>;
}

/**
 * A port call made because the caller leads (correlation and escalation hold `health-correlation`; a
 * `TermScope` is one): with `fence`, the write checks the term in its own transaction and is refused
 * (`FencedWriteRefused`, nothing changed) once another server took the lease (ADR 0028), and the events it
 * records are written in the term too (refusals of those go to `refused`). Without a fence (the API,
 * tests) nothing is fenced.
 */
export interface LeaderWrite {
  readonly fence: WriteFence | undefined;
  refused?(error: FencedWriteRefused): void;
}

/** A port call made by no leader: nothing is fenced. */
export const UNFENCED: LeaderWrite = { fence: undefined };

export interface ExceptionActivity {
  type: 'notification' | 'escalation';
  at: Date;
  message: string;
  details?: Record<string, unknown>;
}

/** `merged`: folded into another exception (`mergedInto`); escalation stops for it as for a resolved one. */
export type ExceptionState = 'open' | 'acknowledged' | 'mitigated' | 'resolved' | 'merged';
export type FailureLevel = 'P0' | 'P1' | 'P2' | 'P3' | 'P4';

/** An exception as escalation and notifications read it. */
export interface ExceptionView {
  team: string;
  id: string;
  title: string;
  severity: CorrelationGroup['severity'];
  state: ExceptionState;
  /** Set once the exception lasted past its policy's first threshold (it is a failure then). */
  level?: FailureLevel;
  entities: EntityRef[];
  openedAt: string;
  acknowledgedAt?: string;
  /** The correlation key it was opened for; none when opened by hand. */
  correlationKey?: string;
  /** The EscalationPolicy that applies (from the HealthPolicy), when any. */
  escalationPolicy?: string;
  /** The last change of state, level or assignee: pass the last one seen as `since` to `changedSince`. */
  changedAt: string;
  /** Set when merged: the exception that carries on for it. */
  mergedInto?: string;
  assignee?: string;
}

export interface ExceptionReader {
  get(team: string, id: string): Promise<ExceptionView | undefined>;
  /** Exceptions changed after `since` (state, level), oldest first: escalation follows them. */
  changedSince(since: Date, limit: number): Promise<ExceptionView[]>;
}

/** One risk as its source sees it now. */
export interface RiskObservation {
  /** Stable within the source's check: the object or series it concerns. */
  key: string;
  title: string;
  /** 0 (negligible) to 100 (acting now is due). */
  score: number;
  entities: EntityRef[];
  /** What the check saw: values, thresholds, the series and its band. */
  details: Record<string, unknown>;
}

export interface RiskSource {
  team: string;
  kind: 'Inspection' | 'Baseline';
  /** The resource's name. */
  name: string;
  /** The check within an inspection, or the series within a baseline set. */
  check: string;
  /** The inspection run that saw them, when there is one. */
  runId?: string;
}

export interface RiskSink {
  /**
   * Level-triggered: `observations` is everything this source's check sees now. Risks not seen before
   * open, those seen again update, those of this source and check no longer seen close (gone). With
   * `fence` (the observer's term, ADR 0028) nothing changes once that term is over (`FencedWriteRefused`).
   */
  observe(source: RiskSource, observations: RiskObservation[], at: Date, fence?: WriteFence): Promise<void>;
}
