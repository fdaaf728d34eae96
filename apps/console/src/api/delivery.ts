import {
  applicationActionPath,
  applicationSelector,
  type Application,
  type ApplicationDiff,
  type ApplicationRevision,
  type ComponentDefinition,
  type Resource,
  type RollbackRequest,
  type TraitDefinition,
} from '@gantry/client';
import { apiRequest } from './client';
import { collectionPath, listResources } from './resources';
import type { KindInfo } from './types';

/** The delivery kinds as the console addresses them (packages/model/src/kinds/delivery.ts). */
export const applicationKind = { plural: 'applications', scope: 'Team' } as const;
export const applicationRevisionKind = { plural: 'applicationrevisions', scope: 'Team' } as const;
export const componentDefinitionKind = { plural: 'componentdefinitions', scope: 'Global' } as const;
export const traitDefinitionKind = { plural: 'traitdefinitions', scope: 'Global' } as const;
export const environmentKind = { plural: 'environments', scope: 'Team' } as const;

const listPageSize = 500;

/** Every item of a list, page after page (definitions, a team's clusters, an application's revisions). */
export async function listAll(
  kind: Pick<KindInfo, 'plural' | 'scope'>,
  options: { team?: string; labelSelector?: string; signal?: AbortSignal } = {},
): Promise<Resource[]> {
  const items: Resource[] = [];
  let continueToken: string | undefined;
  do {
    const page = await listResources(kind, { ...options, limit: listPageSize, continueToken });
    items.push(...page.items);
    continueToken = page.metadata.continue || undefined;
  } while (continueToken);
  return items;
}

export async function listComponentDefinitions(signal?: AbortSignal): Promise<ComponentDefinition[]> {
  return (await listAll(componentDefinitionKind, { signal })) as ComponentDefinition[];
}

export async function listTraitDefinitions(signal?: AbortSignal): Promise<TraitDefinition[]> {
  return (await listAll(traitDefinitionKind, { signal })) as TraitDefinition[];
}

/** An application's revisions, newest first. */
export async function listApplicationRevisions(
  team: string,
  application: string,
  signal?: AbortSignal,
): Promise<ApplicationRevision[]> {
  const items = (await listAll(applicationRevisionKind, {
    team,
    labelSelector: applicationSelector(application),
    signal,
  })) as ApplicationRevision[];
  return items.sort((a, b) => (b.spec.revision ?? 0) - (a.spec.revision ?? 0));
}

/** Writes revision N's spec back to the application; the answer is the updated Application. */
export function rollbackApplication(team: string, name: string, revision: number): Promise<Application> {
  const body: RollbackRequest = { revision };
  return apiRequest<Application>(applicationActionPath(team, name, 'rollback'), { method: 'POST', body });
}

/** What applying the application now would do on each target; nothing is written. */
export function diffApplication(team: string, name: string, signal?: AbortSignal): Promise<ApplicationDiff> {
  return apiRequest<ApplicationDiff>(applicationActionPath(team, name, 'diff'), {
    method: 'POST',
    body: {},
    signal,
  });
}

/** `POST` an Application into its team; with `dryRun` the server runs every check and stores nothing. */
export function createApplication(application: Resource, options: { dryRun: boolean }): Promise<Application> {
  return apiRequest<Application>(collectionPath(applicationKind, application.metadata.team), {
    method: 'POST',
    body: application,
    query: { dryRun: options.dryRun ? 'All' : undefined },
  });
}
