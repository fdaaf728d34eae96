/**
 * Gantry's own events: the least severe health object, an objective record of something Gantry did (or
 * saw fail) at a point in time. Controllers and operations record them through this interface; the
 * implementation stores them beside the clusters' Kubernetes Events, folding repeats of the same
 * (regarding, type, reason, message) into one record with a count and first/last seen.
 *
 * Recording never fails the caller and never waits for the database: an event is a fact about an action
 * that already happened, not part of it.
 */
import type { EventType } from '@gantry/model';
import type { FencedWriteRefused, WriteFence } from '@gantry/store';

export type { EventType } from '@gantry/model';

/** The object an event is about. Gantry resources have a team (unless global); cluster objects a cluster. */
export interface EventSubject {
  kind: string;
  name: string;
  /** The owning team; '' for global kinds (definitions). */
  team: string;
  /** For an object on a cluster (a node, a Deployment): the cluster's name. */
  cluster?: string;
  namespace?: string;
}

export interface GantryEvent {
  type: EventType;
  /** A reason constant in UpperCamelCase (`RevisionCreated`, `ObjectsApplied`, `NodeCordoned`). */
  reason: string;
  message: string;
  regarding: EventSubject;
  /** Who caused it: a user name for an operation, `controller/<name>` for a controller's own action. */
  actor: string;
}

/**
 * The term of a lease an event was recorded in, when a leader records what it did because it leads (ADR
 * 0028; a `TermScope` is one). The event is written with the term's fence: once another server leads,
 * the store refuses it and the refusal goes to `refused` (which counts it, logs once and ends the term).
 */
export interface EventTerm {
  readonly fence: WriteFence | undefined;
  refused?(error: FencedWriteRefused): void;
}

export interface EventRecorder {
  /** Records `event`; with `term`, only while that term is the lease's current one. */
  record(event: GantryEvent, term?: EventTerm): void;
}

/** `recorder`, recording every event in `term` (for code handed a recorder while leading). */
export function termEventRecorder(recorder: EventRecorder, term: EventTerm): EventRecorder {
  return { record: (event) => recorder.record(event, term) };
}

/** Keeps every event in memory, for tests of the code that records them. */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: GantryEvent[] = [];
  record(event: GantryEvent): void {
    this.events.push(event);
  }
  reasons(): string[] {
    return this.events.map((event) => event.reason);
  }
}
