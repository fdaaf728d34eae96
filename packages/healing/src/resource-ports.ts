import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { API_VERSION, ErrorCodes, isGantryError, type ChangeStatus, type Resource } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { ChangeSubmitter, HealingOutcomePort, SilenceCreator } from './ports.ts';

/** Who healing writes as: the system, named after the controller (audit entries say `controller/healing`). */
export const HEALING_CALLER: Caller = { principal: SYSTEM_PRINCIPAL, source: 'controller/healing' };

type Writes = Pick<ResourceService, 'create' | 'get'>;

const failure = (error: unknown) => {
  if (isGantryError(error)) return { ok: false as const, reason: error.code, message: error.message };
  throw error;
};

/**
 * Changes submitted through the generic resource API, so a healing Change passes the same admission as a
 * person's (plan, windows) and the change engine picks it up like any other. Idempotent by name: a Change
 * that exists already answers `created: false`.
 */
export function createResourceChangeSubmitter(
  resources: Writes,
  caller: Caller = HEALING_CALLER,
): ChangeSubmitter {
  return {
    async submit(team, name, spec, labels) {
      try {
        await resources.create(caller, 'Change', team, {
          apiVersion: API_VERSION,
          kind: 'Change',
          metadata: { name, team, labels },
          spec,
        });
        return { ok: true, created: true };
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.alreadyExists)
          return { ok: true, created: false };
        return failure(error);
      }
    },
    async phase(team, name) {
      try {
        const change = (await resources.get(caller, 'Change', team, name)) as Resource<unknown, ChangeStatus>;
        return {
          phase: change.status?.phase ?? 'Pending',
          ...(change.status?.message ? { message: change.status.message } : {}),
        };
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.notFound) return undefined;
        throw error;
      }
    },
  };
}

/** Silences as Silence resources of the team (the alert pipeline applies them). Idempotent by name. */
export function createResourceSilenceCreator(
  resources: Writes,
  caller: Caller = HEALING_CALLER,
): SilenceCreator {
  return {
    async create(team, name, silence) {
      try {
        await resources.create(caller, 'Silence', team, {
          apiVersion: API_VERSION,
          kind: 'Silence',
          metadata: { name, team },
          spec: {
            matchers: silence.matchers.map((m) => ({
              name: m.name,
              value: m.value,
              isRegex: false,
              isEqual: true,
            })),
            startsAt: silence.startsAt,
            endsAt: silence.endsAt,
            createdBy: caller.source,
            comment: silence.comment,
          },
        });
        return { ok: true };
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.alreadyExists) return { ok: true };
        return failure(error);
      }
    },
  };
}

/**
 * Marks a healed exception mitigated through the exception service (its lifecycle rules and audit). An
 * exception that resolved by itself meanwhile cannot be mitigated: that is not an error for healing.
 */
export function createExceptionOutcomePort(
  exceptions: { mitigate(caller: Caller, team: string, id: string, reason?: string): Promise<unknown> },
  caller: Caller = HEALING_CALLER,
): HealingOutcomePort {
  return {
    async markHealed(team, exceptionId, message) {
      try {
        await exceptions.mitigate(caller, team, exceptionId, message.slice(0, 2000));
      } catch (error) {
        if (isGantryError(error) && error.code === ErrorCodes.exceptionState) return;
        throw error;
      }
    },
  };
}
