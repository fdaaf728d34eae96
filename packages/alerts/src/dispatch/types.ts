import type { AlertMatcher, AlertRoutingSpec, InhibitRuleSpec, TimeIntervalSpec } from '@gantry/model';
import type { LabelSet } from '../matchers.ts';

/**
 * One alert as the dispatcher sees it: a value the server maps from its alert record. Times are
 * milliseconds since the epoch; `endsAt` null means "until further notice" (firing). An alert is resolved
 * once `endsAt` is at or before now.
 */
export interface DispatchAlert {
  /** Alertmanager's fingerprint of the labels (identity: a later value with it replaces this one). */
  fingerprint: string;
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: number;
  endsAt: number | null;
  /** When the record last changed; a value older than the one held is ignored. */
  updatedAt: number;
  generatorURL: string;
}

/** An active or scheduled silence as a value; it mutes while `startsAt <= now < endsAt`. */
export interface DispatchSilence {
  id: string;
  matchers: AlertMatcher[];
  startsAt: number;
  endsAt: number;
}

/** A team's dispatch configuration: its resources by name, as stored (specs already admitted). */
export interface TeamDispatchConfig {
  routings: ReadonlyArray<{ name: string; spec: AlertRoutingSpec }>;
  inhibitRules: ReadonlyArray<{ name: string; spec: InhibitRuleSpec }>;
  timeIntervals: ReadonlyArray<{ name: string; spec: TimeIntervalSpec }>;
}

export type NotifiedStatus = 'firing' | 'resolved';

/** One alert in a notification, with what the Alertmanager v4 webhook payload carries. */
export interface NotifiedAlert {
  status: NotifiedStatus;
  fingerprint: string;
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: number;
  /** As received; for a resolved alert the time it resolved. */
  endsAt: number | null;
  generatorURL: string;
  /** Gantry: the alert is flapping; it is held as firing until it settles (docs/adr/0013). */
  flapping: boolean;
  /**
   * Gantry: this resolve is delivered although the alert is silenced or inhibited now, because the
   * receiver was told it fires (prometheus/alertmanager#226).
   */
  resolvedWhileMuted: boolean;
}

export type NotificationReason = 'new' | 'changed' | 'repeat' | 'resolved' | 'flapping';

/** What the dispatcher hands over for one group and one receiver (a NotificationChannel). */
export interface GroupNotification {
  /**
   * Stable for the same content at the same position in the group's history: a sink that stores
   * notifications under this id drops the copy a new leader makes after a crash (docs/adr/0013).
   */
  id: string;
  team: string;
  /** The NotificationChannel's name. */
  receiver: string;
  /** The AlertRouting the group's route belongs to, and the route's id within it. */
  routing: string;
  routeId: string;
  groupKey: string;
  /** `firing` when any alert fires, else `resolved`. */
  status: NotifiedStatus;
  groupLabels: LabelSet;
  commonLabels: LabelSet;
  commonAnnotations: LabelSet;
  /** Every alert of the group the receiver is told about, firing and resolved, sorted by labels. */
  alerts: NotifiedAlert[];
  firing: number;
  resolved: number;
  reason: NotificationReason;
  /** The dispatcher's clock when it flushed. */
  at: number;
}

/** Where notifications go: the notification outbox (alerts-notify). Resolves once the notification is durable. */
export interface NotificationSink {
  notify(notification: GroupNotification): Promise<void>;
}
