import { ErrorCodes, InputError, isGantryError, parseLabelSelector, type LabelSelector } from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';

/** A HostGroup's selector, parsed; a bad one is refused at the field's path. */
export function hostGroupSelector(selector: string, path = '/spec/selector'): LabelSelector {
  try {
    return parseLabelSelector(selector);
  } catch (error) {
    if (isGantryError(error))
      throw new InputError(error.message, [{ path, message: error.message }], ErrorCodes.badSelector);
    throw error;
  }
}

/** Refuses a HostGroup whose selector does not parse, before it is stored. */
export function registerHostGroupAdmission(resources: ResourceService): void {
  resources.admit('HostGroup', (request) => {
    if (request.operation === 'delete' || !request.object) return Promise.resolve();
    hostGroupSelector((request.object.spec as { selector: string }).selector);
    return Promise.resolve();
  });
}

/** The selector of a team's HostGroup, for `GET /api/teams/{team}/hosts?group=NAME`. */
export async function resolveHostGroup(
  repository: ResourceRepository,
  team: string,
  name: string,
): Promise<LabelSelector | undefined> {
  const group = await repository.get({ kind: 'HostGroup', team, name });
  return group ? hostGroupSelector((group.spec as { selector: string }).selector) : undefined;
}
