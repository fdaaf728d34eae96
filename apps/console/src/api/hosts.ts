import type {
  Host,
  HostList,
  HostStatus,
  JoinTokenCreate,
  JoinTokenCreated,
  JoinTokenList,
  JobRun,
  JobRunWithTargets,
} from '@gantry/client';
import { apiRequest } from './client';
import { getJobRun, listJobRuns } from './jobs';
import { listAll } from './delivery';

/** The HostGroup kind as the console addresses it (packages/model/src/kinds/hostgroup.ts). */
export const hostGroupKind = { plural: 'hostgroups', scope: 'Team' } as const;

const team$ = (team: string): string => `/api/teams/${encodeURIComponent(team)}`;

export interface HostFilter {
  readonly labelSelector?: string | undefined;
  readonly group?: string | undefined;
  readonly status?: HostStatus | undefined;
}

/** One page of a team's hosts, by name. */
export function listHosts(
  team: string,
  filter: HostFilter,
  options: { limit?: number; continueToken?: string | undefined; signal?: AbortSignal } = {},
): Promise<HostList> {
  return apiRequest<HostList>(`${team$(team)}/hosts`, {
    query: {
      labelSelector: filter.labelSelector,
      group: filter.group,
      status: filter.status,
      limit: options.limit,
      continue: options.continueToken,
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

export function getHost(team: string, name: string, signal?: AbortSignal): Promise<Host> {
  return apiRequest<Host>(`${team$(team)}/hosts/${encodeURIComponent(name)}`, signal ? { signal } : {});
}

/** The host records of a Kubernetes node (the other direction of the host–node link). */
export async function listNodeHosts(
  team: string,
  cluster: string,
  node: string,
  signal?: AbortSignal,
): Promise<Host[]> {
  const path = `${team$(team)}/clusters/${encodeURIComponent(cluster)}/nodes/${encodeURIComponent(node)}/hosts`;
  return (await apiRequest<HostList>(path, signal ? { signal } : {})).items;
}

/** The names of a team's HostGroups, for the group filter. */
export async function listHostGroupNames(team: string, signal?: AbortSignal): Promise<string[]> {
  const groups = await listAll(hostGroupKind, { team, ...(signal ? { signal } : {}) });
  return groups.map((group) => group.metadata.name).sort();
}

export async function listJoinTokens(team: string, signal?: AbortSignal): Promise<JoinTokenList> {
  return apiRequest<JoinTokenList>(`${team$(team)}/join-tokens`, signal ? { signal } : {});
}

export function createJoinToken(team: string, body: JoinTokenCreate): Promise<JoinTokenCreated> {
  return apiRequest<JoinTokenCreated>(`${team$(team)}/join-tokens`, { method: 'POST', body });
}

export function revokeJoinToken(team: string, id: string): Promise<unknown> {
  return apiRequest<unknown>(`${team$(team)}/join-tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/** A run that targeted a host, with that host's target. */
export interface HostJobRun {
  readonly run: JobRun;
  readonly target: JobRunWithTargets['targetList'][number];
}

/**
 * The team's recent runs that targeted a host. The runs list has no host filter, so this reads the
 * newest `scan` runs of the team and keeps those whose target list names the host.
 */
export async function listHostJobRuns(
  team: string,
  host: string,
  options: { scan?: number; signal?: AbortSignal } = {},
): Promise<HostJobRun[]> {
  const signal = options.signal ? { signal: options.signal } : {};
  const page = await listJobRuns({ team }, { limit: options.scan ?? 50, ...signal });
  // A run aimed at the host by name is certain to have it; by selector it may; a cluster run never.
  const candidates = page.items.filter(
    (run) => run.targets.cluster === undefined && (run.targets.hosts?.includes(host) ?? true),
  );
  const runs = await Promise.all(candidates.map((run) => getJobRun(run.id, options.signal)));
  const found: HostJobRun[] = [];
  for (const run of runs) {
    const target = run.targetList.find((candidate) => candidate.kind === 'host' && candidate.target === host);
    if (target) found.push({ run, target });
  }
  return found;
}
