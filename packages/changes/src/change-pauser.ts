import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { ConflictError, type ChangeStatus, type Resource } from '@gantry/model';
import type { ResourceRepository } from '@gantry/store';
import type { ChangeService } from './change-service.ts';

/** Phases in which a change may still change something: the ones a pause stops. */
const RUNNING: ReadonlySet<string> = new Set(['Waiting', 'Progressing', 'Observing']);

/**
 * Pauses the running Changes that touch some entities (self-healing's `pauseChanges` action, ADR 0032):
 * those whose batches name any of them, each through the API's service (recorded with who and why), as a
 * person's pause would be. A change that ended or was paused meanwhile is left as it is.
 */
export function createChangePauser(deps: {
  service: Pick<ChangeService, 'act'>;
  repository: Pick<ResourceRepository, 'list'>;
  caller?: Caller;
}): { pauseTouching(team: string, entities: readonly string[], reason: string): Promise<string[]> } {
  const caller = deps.caller ?? { principal: SYSTEM_PRINCIPAL, source: 'controller/healing' };
  return {
    async pauseTouching(team, entities, reason) {
      const wanted = new Set(entities);
      const page = await deps.repository.list({ kind: 'Change', teams: [team], limit: 100_000 });
      const paused: string[] = [];
      for (const item of page.items) {
        const change = JSON.parse(item.json) as Resource<unknown, ChangeStatus>;
        const status = change.status;
        if (!status?.phase || !RUNNING.has(status.phase)) continue;
        const touches = (status.batches ?? []).some((batch) => batch.entities.some((e) => wanted.has(e)));
        if (!touches) continue;
        try {
          await deps.service.act(caller, team, change.metadata.name, 'pause', reason);
          paused.push(change.metadata.name);
        } catch (error) {
          // Paused or ended between the read and the request: nothing to do.
          if (!(error instanceof ConflictError)) throw error;
        }
      }
      return paused;
    },
  };
}
