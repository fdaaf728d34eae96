import type { Logger } from 'pino';
import type { Resource, WatchEventType } from '@gantry/model';
import type { TermScope } from './term-scope.ts';

/** Which object a reconcile is about; `team` is `''` for kinds that belong to no team. */
export interface ObjectKey {
  team: string;
  name: string;
}

export interface ReconcileContext {
  /** A child logger carrying the controller and the object's identity. */
  logger: Logger;
  /** Aborted when this server loses the controller's lease: write nothing more once it is. */
  signal: AbortSignal;
  now(): number;
  /**
   * The term this reconcile runs in: its caches (`term.cache`) and its fence (`term.fence`), which every
   * write made because this server leads must carry.
   */
  term: TermScope;
}

export interface ReconcileResult {
  /** Look at the object again after this long even if nothing changes (e.g. to poll something external). */
  requeueAfterMs?: number;
}

/**
 * A level-triggered reconcile loop for one kind: given an object's key, read its desired and actual state,
 * act, and write status. It is told *which* object may need attention, never *what* changed, so running it
 * twice, late, or after a missed event is always correct. Throwing retries the key with backoff.
 */
export interface Controller {
  /** Unique; names the lease (`controller/<name>`), metrics and logs. */
  name: string;
  kind: string;
  /** Objects reconciled at once (never one object twice at once); default 2. */
  concurrency?: number;
  reconcile(ctx: ReconcileContext, key: ObjectKey): Promise<ReconcileResult>;
  /**
   * Called when this server starts leading the controller: a place to follow other sources (related
   * kinds, a cluster's watches) and enqueue the objects they concern, until `signal` aborts.
   */
  onLeading?(term: LeadingTerm): void;
  /** Changes of the kind that need no reconcile, e.g. the controller's own status writes. */
  ignore?(change: { type: WatchEventType; object: Resource }): boolean;
}

export interface LeadingTerm {
  enqueue(key: ObjectKey): void;
  /** Aborted when the lease is lost or the server stops. */
  signal: AbortSignal;
  logger: Logger;
  /** The term's caches and fence; the same object reconciles of this term get as `ctx.term`. */
  scope: TermScope;
}

/** The queue key of an object: `team/name`, or `name` for kinds without a team (names never hold `/`). */
export function queueKey(key: ObjectKey): string {
  return key.team === '' ? key.name : `${key.team}/${key.name}`;
}

export function parseQueueKey(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash < 0 ? { team: '', name: key } : { team: key.slice(0, slash), name: key.slice(slash + 1) };
}

export function leaseName(controller: Pick<Controller, 'name'>): string {
  return `controller/${controller.name}`;
}
