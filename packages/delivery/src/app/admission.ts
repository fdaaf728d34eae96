import {
  ConflictError,
  ErrorCodes,
  UnprocessableError,
  type ApplicationSpec,
  type ErrorDetail,
} from '@gantry/model';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { AdmissionRequest, ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';
import type { Composer } from '../compose/compose.ts';
import { checkApplication, definitionsUsed } from '../check/trait-check.ts';
import { withDefinition, type DefinitionSource } from './definitions.ts';
import type { ApplicationObject } from './revisions.ts';

export interface DeliveryAdmissionDeps {
  resources: ResourceService;
  repository: Pick<ResourceRepository, 'list'>;
  definitions: DefinitionSource;
  composer: Composer;
}

/** The most affected applications named in one refusal; the message gives the total. */
const MAX_LISTED = 50;

/**
 * Registers delivery's checks on the resource API: the trait check for applications, the impact check
 * for definition updates and deletes, and the immutability of revisions.
 */
export function registerDeliveryAdmission(deps: DeliveryAdmissionDeps): void {
  deps.resources.admit('Application', async (request) => {
    if (request.operation === 'delete' || !request.object) return;
    const spec = request.object.spec as ApplicationSpec;
    const errors = await checkApplication(spec, await deps.definitions.all(), deps.composer, {
      team: request.team,
      app: request.name,
    });
    if (errors.length > 0) {
      throw new UnprocessableError(
        `application ${request.name} fails the trait check: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        errors,
        ErrorCodes.traitCheck,
      );
    }
  });

  for (const kind of ['ComponentDefinition', 'TraitDefinition'] as const) {
    deps.resources.admit(kind, (request) => checkDefinitionImpact(deps, kind, request));
  }

  deps.resources.admit('ApplicationRevision', (request) => {
    if (request.operation !== 'delete' && request.caller.principal !== SYSTEM_PRINCIPAL) {
      return Promise.reject(
        new ConflictError(
          'application revisions are written by Gantry only: change the Application, or roll it back to a revision',
          ErrorCodes.immutable,
          [{ path: '/spec', message: 'immutable' }],
        ),
      );
    }
    return Promise.resolve();
  });
}

/**
 * A definition update or delete is refused when an application that uses it would fail the trait check
 * with the new definition, unless forced (the forced write is recorded as such in the audit log).
 */
async function checkDefinitionImpact(
  deps: DeliveryAdmissionDeps,
  kind: 'ComponentDefinition' | 'TraitDefinition',
  request: AdmissionRequest,
): Promise<void> {
  if (request.operation === 'create' || request.force) return;
  const name = request.name;
  const proposed = request.operation === 'delete' ? undefined : request.object?.spec;
  const current = await deps.definitions.all();
  const next = withDefinition(current, kind, name, proposed);
  const page = await deps.repository.list({ kind: 'Application', limit: 100_000 });
  const affected: ErrorDetail[] = [];
  let count = 0;
  for (const item of page.items) {
    const app = JSON.parse(item.json) as ApplicationObject;
    const used = definitionsUsed(app.spec);
    if (!(kind === 'ComponentDefinition' ? used.components : used.traits).has(name)) continue;
    const errors = await checkApplication(app.spec, next, deps.composer, { team: item.team, app: item.name });
    if (errors.length === 0) continue;
    count += 1;
    if (affected.length < MAX_LISTED)
      affected.push({
        path: `/applications/${item.team}/${item.name}`,
        message: errors.map((e) => `${e.path} ${e.message}`).join('; '),
      });
  }
  if (count === 0) return;
  const verb = request.operation === 'delete' ? 'deleting' : 'this update of';
  throw new ConflictError(
    `${verb} ${kind} ${name} would break ${count} application(s): ${affected.map((a) => a.path.slice('/applications/'.length)).join(', ')}${count > affected.length ? ', ...' : ''}; fix them first or repeat with force=true`,
    ErrorCodes.definitionInUse,
    affected,
  );
}
