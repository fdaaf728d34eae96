import type {
  CreateJobRunRequest,
  JobOutputPage,
  JobRun,
  JobRunPage,
  JobRunState,
  JobRunWithTargets,
  JobTemplateSpec,
  Resource,
} from '@gantry/client';
import { apiRequest } from './client';
import { listAll } from './delivery';
import { getResource } from './resources';

/** The JobTemplate kind as the console addresses it (packages/model/src/kinds/job-template.ts). */
export const jobTemplateKind = { plural: 'jobtemplates', scope: 'Team' } as const;
export const clusterKind = { plural: 'clusters', scope: 'Team' } as const;

export type JobTemplate = Resource & { spec: JobTemplateSpec };

const runsPath = '/api/jobs/runs';
const runPath = (id: string): string => `${runsPath}/${encodeURIComponent(id)}`;

/** Every JobTemplate the caller can read, in one team or across teams. */
export async function listJobTemplates(
  team: string | undefined,
  signal?: AbortSignal,
): Promise<JobTemplate[]> {
  return (await listAll(jobTemplateKind, {
    ...(team ? { team } : {}),
    ...(signal ? { signal } : {}),
  })) as JobTemplate[];
}

export async function getJobTemplate(team: string, name: string, signal?: AbortSignal): Promise<JobTemplate> {
  return (await getResource({ kind: jobTemplateKind, team, name }, signal)) as JobTemplate;
}

/** The names of a team's Clusters, for a cluster target. */
export async function listClusterNames(team: string, signal?: AbortSignal): Promise<string[]> {
  const clusters = await listAll(clusterKind, { team, ...(signal ? { signal } : {}) });
  return clusters.map((cluster) => cluster.metadata.name).sort();
}

export function createJobRun(request: CreateJobRunRequest): Promise<JobRun> {
  return apiRequest<JobRun>(runsPath, { method: 'POST', body: request });
}

export interface JobRunFilter {
  readonly team?: string | undefined;
  readonly template?: string | undefined;
  readonly state?: JobRunState | undefined;
  /** Runs with this host among their targets. */
  readonly host?: string | undefined;
}

/** One page of runs, newest first. */
export function listJobRuns(
  filter: JobRunFilter,
  options: { limit?: number; continueToken?: string | undefined; signal?: AbortSignal } = {},
): Promise<JobRunPage> {
  return apiRequest<JobRunPage>(runsPath, {
    query: {
      team: filter.team,
      template: filter.template,
      state: filter.state,
      host: filter.host,
      limit: options.limit,
      continue: options.continueToken,
    },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

export function getJobRun(id: string, signal?: AbortSignal): Promise<JobRunWithTargets> {
  return apiRequest<JobRunWithTargets>(runPath(id), signal ? { signal } : {});
}

/**
 * The output after `after` (of one target when given); with `waitSeconds` the server holds the request
 * until there is some, the run ends, or the time is up.
 */
export function readJobOutput(
  id: string,
  options: { after: number; target?: string | undefined; waitSeconds?: number; signal?: AbortSignal },
): Promise<JobOutputPage> {
  return apiRequest<JobOutputPage>(`${runPath(id)}/output`, {
    query: { after: options.after, target: options.target, waitSeconds: options.waitSeconds },
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

export function cancelJobRun(id: string): Promise<JobRun> {
  return apiRequest<JobRun>(`${runPath(id)}/cancel`, { method: 'POST', body: {} });
}

/** A new run of the same job over the run's failed, timed-out and lost targets. */
export function rerunFailedTargets(id: string): Promise<JobRun> {
  return apiRequest<JobRun>(`${runPath(id)}/rerun-failed`, { method: 'POST', body: {} });
}
