import type { EventRecorder } from '@gantry/controllers';
import { authorize, type Caller } from '@gantry/identity';
import {
  ConflictError,
  ErrorCodes,
  InputError,
  decodeContinueToken,
  encodeContinueToken,
  NotAllowedError,
  type ChangeActionName,
  type ChangeActionRecord,
  type ChangeJournal,
  type ChangeJournalQuery,
  type ChangeSpec,
  type ChangeStatus,
  type LineStop,
  type Resource,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { AuditRepository, ChangeRepository, StoredLineStop } from '@gantry/store';
import { ChangeEventReason } from './change-reasons.ts';

const ENDED = new Set(['Succeeded', 'Aborted', 'Failed', 'RolledBack']);

export interface ChangeServiceDeps {
  resources: Pick<ResourceService, 'get'>;
  journal: Pick<
    ChangeRepository,
    'request' | 'pendingRequests' | 'entries' | 'stopLine' | 'releaseLine' | 'stops'
  >;
  recorder: EventRecorder;
  /** Every action is an audit entry too (actor, source, the request or stop as `after`). */
  audit: Pick<AuditRepository, 'record'>;
  now: () => number;
  /** Told of a request, so the server leading the engine looks at the change at once (it polls besides). */
  wake?: (team: string, name: string) => void;
  /** Told of a released line: the changes of `team` (`''`: every team) look again at once. */
  wakeTeam?: (team: string) => void;
  /** Whether this server can undo the change's action (a rollback is refused otherwise). */
  canUndo?: (spec: ChangeSpec) => boolean;
}

/**
 * What people do to changes through the API: pause, resume and abort (recorded as requests with who
 * and why; the engine carries each out at its next step and journals it), stop-the-line and its release,
 * and reading a change's journal.
 */
export class ChangeService {
  constructor(private readonly deps: ChangeServiceDeps) {}

  async act(
    caller: Caller,
    team: string,
    name: string,
    action: ChangeActionName,
    reason: string,
  ): Promise<ChangeActionRecord> {
    authorize(caller.principal, 'write', team, `changes in team ${team}`);
    const change = (await this.deps.resources.get(caller, 'Change', team, name)) as Resource<
      ChangeSpec,
      ChangeStatus
    >;
    const phase = change.status?.phase ?? 'Pending';
    const pending = await this.deps.journal.pendingRequests(change.metadata.uid);
    const last = pending[pending.length - 1]?.action;
    if (ENDED.has(phase) || last === 'abort')
      throw new ConflictError(
        `change ${name} has ended (${last === 'abort' ? 'abort requested' : phase}): nothing to ${action}`,
        ErrorCodes.changeState,
      );
    const paused = last !== undefined ? last === 'pause' : phase === 'Paused';
    if (action === 'resume' && !paused)
      throw new ConflictError(`change ${name} is not paused (${phase})`, ErrorCodes.changeState);
    if (action === 'pause' && paused)
      throw new ConflictError(`change ${name} is paused already`, ErrorCodes.changeState);
    if (action === 'approve' || action === 'reject') {
      const waiting = change.status?.batches?.find((batch) => batch.phase === 'AwaitingApproval');
      const asked = pending.some((request) => request.action === 'approve' || request.action === 'reject');
      if (!waiting || asked)
        throw new ConflictError(
          `change ${name} has no batch waiting for an approval${asked ? ' (one is being decided)' : ''} (${phase})`,
          ErrorCodes.changeState,
        );
    }
    if (action === 'rollback') {
      const asked = pending.some((request) => request.action === 'rollback');
      if (!change.status?.startedAt || change.status.rollback || asked)
        throw new ConflictError(
          `change ${name} cannot roll back: ${!change.status?.startedAt ? 'it has not started' : 'it is rolling back already'}`,
          ErrorCodes.changeState,
        );
      if (this.deps.canUndo && !this.deps.canUndo(change.spec))
        throw new ConflictError(
          `change ${name} cannot roll back: its action has no inverse (a jobRun needs rollbackTemplate)`,
          ErrorCodes.changeNoInverse,
        );
    }
    const stored = await this.deps.journal.request({
      team,
      change: name,
      uid: change.metadata.uid,
      action,
      actor: caller.principal.username,
      reason,
      requestedAt: new Date(this.deps.now()).toISOString(),
    });
    await this.deps.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action,
      kind: 'Change',
      team,
      name,
      after: { reason, request: stored.id },
    });
    this.deps.wake?.(team, name);
    return {
      id: stored.id,
      team,
      change: name,
      action,
      actor: stored.actor,
      reason: stored.reason,
      requestedAt: stored.requestedAt,
    };
  }

  /** A change's journal in order, a page at a time (`continue` from the previous page). */
  async journal(
    caller: Caller,
    team: string,
    name: string,
    page: ChangeJournalQuery = {},
  ): Promise<ChangeJournal> {
    const limit = page.limit === undefined ? 1000 : Number(page.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 5000)
      throw new InputError('limit must be from 1 to 5000', [
        { path: 'querystring/limit', message: 'must be 1-5000' },
      ]);
    const change = await this.deps.resources.get(caller, 'Change', team, name);
    const after =
      page.continue !== undefined
        ? decodeContinueToken(page.continue, (value): value is number => Number.isSafeInteger(value))
        : -1;
    const entries = await this.deps.journal.entries(change.metadata.uid, after, limit + 1);
    const more = entries.length > limit;
    if (more) entries.pop();
    return {
      ...(more ? { continue: encodeContinueToken(entries[entries.length - 1]!.seq) } : {}),
      items: entries.map((entry) => ({
        seq: entry.seq,
        key: entry.key,
        type: entry.type,
        ...(entry.batch !== undefined ? { batch: entry.batch } : {}),
        ...(entry.entity !== undefined ? { entity: entry.entity } : {}),
        at: entry.at,
        term: entry.term,
        data: entry.data,
      })),
    };
  }

  /** Stops every change of `team` (`''`: of the fleet, administrators only) at its next step. */
  async stopLine(caller: Caller, team: string, reason: string): Promise<LineStop> {
    this.#mayStop(caller, team);
    const stop = await this.deps.journal.stopLine({
      team,
      actor: caller.principal.username,
      reason,
      at: new Date(this.deps.now()).toISOString(),
    });
    this.#record(team, 'Warning', ChangeEventReason.LineStopped, `line stopped: ${reason}`, caller);
    await this.#audit(caller, team, 'stop-the-line', stop);
    return lineStop(stop);
  }

  async releaseLine(caller: Caller, team: string, reason: string): Promise<LineStop[]> {
    this.#mayStop(caller, team);
    const released = await this.deps.journal.releaseLine({
      team,
      actor: caller.principal.username,
      reason,
      at: new Date(this.deps.now()).toISOString(),
    });
    if (released.length > 0) {
      this.#record(team, 'Normal', ChangeEventReason.LineReleased, `line released: ${reason}`, caller);
      await this.#audit(caller, team, 'release-the-line', released);
      this.deps.wakeTeam?.(team);
    }
    return released.map(lineStop);
  }

  /** The newest stops (active and released) of `team` and of the fleet. */
  async lineStops(caller: Caller, team: string): Promise<LineStop[]> {
    authorize(caller.principal, 'read', team, `changes in team ${team}`);
    return (await this.deps.journal.stops([team, ''], 100)).map(lineStop);
  }

  #audit(caller: Caller, team: string, action: string, after: unknown): Promise<void> {
    return this.deps.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action,
      kind: 'Team',
      team,
      name: team === '' ? 'fleet' : team,
      after,
    });
  }

  #mayStop(caller: Caller, team: string): void {
    if (team === '') {
      if (!caller.principal.admin)
        throw new NotAllowedError(
          `${caller.principal.username} may not stop the fleet's line: administrators only`,
        );
      return;
    }
    authorize(caller.principal, 'write', team, `changes in team ${team}`);
  }

  #record(team: string, type: 'Normal' | 'Warning', reason: string, message: string, caller: Caller): void {
    this.deps.recorder.record({
      type,
      reason,
      message,
      regarding: { kind: 'Team', name: team === '' ? 'fleet' : team, team },
      actor: caller.principal.username,
    });
  }
}

function lineStop(stop: StoredLineStop): LineStop {
  return { ...stop };
}
