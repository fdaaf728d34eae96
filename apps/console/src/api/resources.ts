import { ApiError, ErrorCodes, type Resource, API_VERSION, type ResourceList } from '@gantry/client';
import { apiRequest, buildUrl, type QueryValue } from './client';
import type { KindInfo } from './types';

const base = `/apis/${API_VERSION}`;

/** What identifies one resource: its kind's plural and scope, its team (team-scoped kinds) and name. */
export interface ResourceRef {
  readonly kind: Pick<KindInfo, 'plural' | 'scope'>;
  readonly team?: string | undefined;
  readonly name: string;
}

export interface ListOptions {
  readonly team?: string | undefined;
  readonly labelSelector?: string | undefined;
  readonly limit?: number;
  readonly continueToken?: string | undefined;
  readonly signal?: AbortSignal;
}

/** The collection path: across teams, or within one team for team-scoped kinds. */
export function collectionPath(kind: Pick<KindInfo, 'plural' | 'scope'>, team?: string): string {
  if (kind.scope === 'Global' || !team) return `${base}/${kind.plural}`;
  return `${base}/teams/${encodeURIComponent(team)}/${kind.plural}`;
}

export function resourcePath(ref: ResourceRef): string {
  if (ref.kind.scope === 'Global') return `${base}/${ref.kind.plural}/${encodeURIComponent(ref.name)}`;
  if (!ref.team) throw new Error('A team-scoped resource needs metadata.team');
  return `${collectionPath(ref.kind, ref.team)}/${encodeURIComponent(ref.name)}`;
}

export function watchUrl(
  kind: Pick<KindInfo, 'plural' | 'scope'>,
  query: {
    team?: string | undefined;
    labelSelector?: string | undefined;
    resourceVersion?: string | undefined;
  },
): string {
  const params: Record<string, QueryValue> = {
    watch: 'true',
    labelSelector: query.labelSelector,
    resourceVersion: query.resourceVersion,
  };
  return buildUrl(collectionPath(kind, query.team), params);
}

export function listResources(
  kind: Pick<KindInfo, 'plural' | 'scope'>,
  options: ListOptions = {},
): Promise<ResourceList> {
  return apiRequest<ResourceList>(collectionPath(kind, options.team), {
    query: { labelSelector: options.labelSelector, limit: options.limit, continue: options.continueToken },
    signal: options.signal,
  });
}

export function getResource(ref: ResourceRef, signal?: AbortSignal): Promise<Resource> {
  return apiRequest<Resource>(resourcePath(ref), { signal });
}

export interface WriteOptions {
  readonly dryRun?: boolean;
}

export function createResource(
  kind: KindInfo,
  body: Resource,
  options: WriteOptions = {},
): Promise<Resource> {
  const team = kind.scope === 'Global' ? undefined : body.metadata.team;
  if (kind.scope !== 'Global' && !team) {
    const detail = { path: '/metadata/team', message: `${kind.plural} belong to a team: set metadata.team` };
    return Promise.reject(new ApiError(400, ErrorCodes.invalid, 'metadata.team is required', [detail]));
  }
  return apiRequest<Resource>(collectionPath(kind, team), {
    method: 'POST',
    body,
    query: { dryRun: options.dryRun ? 'All' : undefined },
  });
}

export function replaceResource(
  ref: ResourceRef,
  body: Resource,
  options: WriteOptions = {},
): Promise<Resource> {
  return apiRequest<Resource>(resourcePath(ref), {
    method: 'PUT',
    body,
    query: { dryRun: options.dryRun ? 'All' : undefined },
  });
}

export function deleteResource(ref: ResourceRef): Promise<unknown> {
  return apiRequest<unknown>(resourcePath(ref), { method: 'DELETE' });
}
