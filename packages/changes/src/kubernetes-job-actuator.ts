import { createHash } from 'node:crypto';
import { KubeApiError, type KubeClient, type KubeObject } from '@gantry/fleet';
import {
  NODE_NAME_PATTERN,
  type ChangeKubernetesJob,
  type ChangeSpec,
  type ChangeTargets,
  type ErrorDetail,
} from '@gantry/model';
import type { ActuatorOutcome, ApplyRequest, ChangeActuator, TargetResolution } from './actuator.ts';

export const KubernetesJobReason = {
  NoJob: 'NoJob',
  NotSupported: 'NotSupported',
  BadCluster: 'BadCluster',
  /** A Job of the step's name exists that another step (or someone else) made. */
  NameTaken: 'NameTaken',
  /** Kubernetes marked the Job failed (its condition's reason follows: `BackoffLimitExceeded`, `DeadlineExceeded`). */
  JobFailed: 'JobFailed',
  /** The Job is gone before it ended (deleted by someone, or its TTL ran out unseen). */
  JobMissing: 'JobMissing',
  /** Neither succeeded nor failed within `progressDeadlineSeconds` of its creation: deleted. */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** The cluster's API refused or could not be reached. */
  ApiFailed: 'ApiFailed',
} as const;

/** Labels on every Job (and its pod) a change creates: which change and which step. */
export const KubernetesJobLabels = {
  change: 'gantry.dev/change',
  step: 'gantry.dev/change-step',
  team: 'gantry.dev/team',
} as const;

/** How much of the pod's log a step keeps: the last lines, bounded in bytes. */
const LOG_TAIL_LINES = 20;
const LOG_TAIL_BYTES = 2048;

export interface KubernetesJobActuatorDeps {
  /** The team's cluster's client (`ClusterClients.get`), as the workload actuator uses. */
  clients: { get(team: string, cluster: string): Promise<KubeClient> };
  now: () => number;
}

type Job = KubeObject & {
  metadata: KubeObject['metadata'] & { labels?: Record<string, string>; creationTimestamp?: string };
  status?: {
    succeeded?: number;
    failed?: number;
    active?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
};

/** A Job as created. */
export interface JobManifest {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: Record<string, unknown>;
}

type Pod = KubeObject & { metadata: KubeObject['metadata'] & { creationTimestamp?: string } };

/** The step's hash: the Job's name and its `gantry.dev/change-step` label. */
export function stepHash(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 20);
}

/** The Job's name for a step: `gantry-` and the step's hash; the same key, the same Job. */
export function kubernetesJobName(key: string): string {
  return `gantry-${stepHash(key)}`;
}

/** What a Change's `kubernetesJob` must be beyond its schema (admission, with field paths). */
export function checkKubernetesJob(spec: ChangeSpec): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const job = spec.kubernetesJob;
  if (!job) return errors;
  if (spec.targets.names === undefined)
    errors.push({ path: '/spec/targets/selector', message: 'a Kubernetes Job targets clusters by name' });
  spec.targets.names?.forEach((name, index) => {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
      errors.push({
        path: `/spec/targets/names/${index}`,
        message: 'a Kubernetes Job targets a cluster by name',
      });
  });
  if (job.nodeName !== undefined && !new RegExp(NODE_NAME_PATTERN).test(job.nodeName))
    errors.push({ path: '/spec/kubernetesJob/nodeName', message: 'not a node name (a DNS subdomain)' });
  for (const key of Object.keys(job.labels))
    if (key.startsWith('gantry.dev/'))
      errors.push({
        path: `/spec/kubernetesJob/labels/${key}`,
        message: 'gantry.dev/ labels are Gantry’s own',
      });
  if (job.command?.length === 0)
    errors.push({ path: '/spec/kubernetesJob/command', message: 'empty: leave it out to use the image’s' });
  return errors;
}

/** The Job a step creates: one container, no retries, labelled with the change and the step. */
export function kubernetesJobManifest(request: ApplyRequest, job: ChangeKubernetesJob): JobManifest {
  const name = kubernetesJobName(request.key);
  const own = {
    [KubernetesJobLabels.change]: request.change,
    [KubernetesJobLabels.step]: stepHash(request.key),
    [KubernetesJobLabels.team]: request.team,
  };
  const container: Record<string, unknown> = { name: 'job', image: job.image };
  if (job.command) container['command'] = job.command;
  if (job.args) container['args'] = job.args;
  const env = Object.entries(job.env).map(([envName, value]) => ({ name: envName, value }));
  if (env.length > 0) container['env'] = env;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: job.namespace,
      labels: { ...own, 'app.kubernetes.io/managed-by': 'gantry' },
      annotations: { 'gantry.dev/change-step-key': request.key.slice(0, 1000) },
    },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: job.activeDeadlineSeconds,
      ttlSecondsAfterFinished: job.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: { ...job.labels, ...own } },
        spec: {
          restartPolicy: 'Never',
          ...(job.nodeName ? { nodeName: job.nodeName } : {}),
          ...(job.serviceAccountName ? { serviceAccountName: job.serviceAccountName } : {}),
          containers: [container],
        },
      },
    },
  };
}

/**
 * Runs a Change's `kubernetesJob` on each target cluster (ADR 0041): creates the Job, named after the step's
 * key and labelled with the change and the step, through the team's cluster clients; a repeat of the step
 * finds the Job it made (409 on create, then the labels are checked) and follows it. The step answers
 * `Running` until the Job's `Complete` or `Failed` condition, or fails past `progressDeadlineSeconds` from
 * the Job's creation (the Job is deleted then, so it does not act late). The final message names the Job
 * and keeps its pod's log tail (what the step's detail shows). A Job has no inverse: no rollback.
 */
export class KubernetesJobActuator implements ChangeActuator {
  readonly entityKind = 'Cluster';

  constructor(private readonly deps: KubernetesJobActuatorDeps) {}

  canUndo(): boolean {
    return false;
  }

  resolve(_team: string, _spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution> {
    if (!targets.names)
      return Promise.resolve({
        ok: false,
        reason: KubernetesJobReason.NotSupported,
        message: 'a Kubernetes Job targets clusters by name',
      });
    return Promise.resolve({ ok: true, entities: [...targets.names].sort() });
  }

  async apply(request: ApplyRequest): Promise<ActuatorOutcome> {
    const job = request.spec.kubernetesJob;
    if (!job) return { status: 'Failed', reason: KubernetesJobReason.NoJob, message: 'no kubernetesJob' };
    const manifest = kubernetesJobManifest(request, job);
    const path = jobsPath(job.namespace);
    let client: KubeClient;
    try {
      client = await this.deps.clients.get(request.team, request.entity);
    } catch (error) {
      return { status: 'Failed', reason: KubernetesJobReason.BadCluster, message: messageOf(error) };
    }
    try {
      let created: Job;
      try {
        created = await client.request<Job>('POST', path, manifest);
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 409)) throw error;
        // A repeat of the step: the Job is there already. Follow it if it is this step's.
        created = await client.request<Job>('GET', `${path}/${manifest.metadata.name}`);
        if (created.metadata.labels?.[KubernetesJobLabels.step] !== stepHash(request.key))
          return {
            status: 'Failed',
            reason: KubernetesJobReason.NameTaken,
            message: `Job ${job.namespace}/${manifest.metadata.name} exists and is not this step's`,
          };
      }
      return await this.#state(client, job, created);
    } catch (error) {
      return { status: 'Failed', reason: KubernetesJobReason.ApiFailed, message: messageOf(error) };
    }
  }

  async progress(request: ApplyRequest & { handle: string }): Promise<ActuatorOutcome> {
    const job = request.spec.kubernetesJob;
    if (!job) return { status: 'Failed', reason: KubernetesJobReason.NoJob, message: 'no kubernetesJob' };
    const name = kubernetesJobName(request.key);
    try {
      const client = await this.deps.clients.get(request.team, request.entity);
      let found: Job;
      try {
        found = await client.request<Job>('GET', `${jobsPath(job.namespace)}/${name}`);
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404)
          return {
            status: 'Failed',
            reason: KubernetesJobReason.JobMissing,
            message: `Job ${job.namespace}/${name} is gone before it ended`,
          };
        throw error;
      }
      return await this.#state(client, job, found);
    } catch (error) {
      return { status: 'Failed', reason: KubernetesJobReason.ApiFailed, message: messageOf(error) };
    }
  }

  subject(team: string, entity: string) {
    return { kind: 'Cluster', team, name: entity, cluster: entity };
  }

  async #state(client: KubeClient, spec: ChangeKubernetesJob, job: Job): Promise<ActuatorOutcome> {
    const name = `${spec.namespace}/${job.metadata.name}`;
    const conditions = job.status?.conditions ?? [];
    const complete = conditions.find((c) => c.type === 'Complete' && c.status === 'True');
    const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
    if (complete)
      return { status: 'Succeeded', message: await withLog(client, spec, job, `Job ${name} succeeded`) };
    if (failed)
      return {
        status: 'Failed',
        reason: KubernetesJobReason.JobFailed,
        message: await withLog(
          client,
          spec,
          job,
          `Job ${name} failed: ${failed.reason ?? 'Failed'}${failed.message ? ` (${failed.message})` : ''}`,
        ),
      };
    const created = Date.parse(job.metadata.creationTimestamp ?? '');
    if (Number.isFinite(created) && this.deps.now() - created > spec.progressDeadlineSeconds * 1000) {
      const log = await withLog(
        client,
        spec,
        job,
        `Job ${name} did not end within ${spec.progressDeadlineSeconds}s: deleted`,
      );
      await client
        .request('DELETE', `${jobsPath(spec.namespace)}/${job.metadata.name}`, {
          propagationPolicy: 'Background',
        })
        .catch((error: unknown) => {
          if (!(error instanceof KubeApiError && error.status === 404)) throw error;
        });
      return { status: 'Failed', reason: KubernetesJobReason.ProgressDeadlineExceeded, message: log };
    }
    const status = job.status ?? {};
    return {
      status: 'Running',
      handle: name,
      message: `Job ${name}: ${status.active ?? 0} active, ${status.succeeded ?? 0} succeeded, ${status.failed ?? 0} failed`,
    };
  }
}

function jobsPath(namespace: string): string {
  return `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`;
}

/** The message and the tail of the Job's newest pod's log; a log that cannot be read is said so. */
async function withLog(
  client: KubeClient,
  spec: ChangeKubernetesJob,
  job: Job,
  message: string,
): Promise<string> {
  return `${message}\n${await logTail(client, spec.namespace, job.metadata.name)}`.slice(0, 4000);
}

export async function logTail(client: KubeClient, namespace: string, job: string): Promise<string> {
  try {
    const pods = await client.request<{ items: Pod[] }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(`job-name=${job}`)}`,
    );
    const newest = [...pods.items].sort((a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
    )[0];
    if (!newest) return '[no pod]';
    if (!client.requestText) return `[pod ${newest.metadata.name}: this client cannot read logs]`;
    const log = await client.requestText(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(newest.metadata.name)}/log?tailLines=${LOG_TAIL_LINES}&limitBytes=${LOG_TAIL_BYTES}`,
    );
    return `[pod ${newest.metadata.name} log tail]\n${log.slice(-LOG_TAIL_BYTES)}`;
  } catch (error) {
    return `[the pod's log cannot be read: ${messageOf(error).slice(0, 300)}]`;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
