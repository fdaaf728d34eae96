import type { Clock } from '@gantry/controllers';
import type { KubeClient } from '@gantry/fleet';
import type { JobAgentMessage, JobFinishReason } from '@gantry/model';
import type { ClusterAttempt, ClusterJobRunner } from '../run/run-context.ts';

/** The fleet's cluster clients, as far as cluster jobs need them (`ClusterClients.get`). */
export interface ClusterClientSource {
  get(team: string, cluster: string): Promise<KubeClient>;
}

export interface KubeJobRunnerOptions {
  /** How often a running Job and its pod are looked at. */
  pollMs: number;
}

interface KubeJob {
  metadata: { name: string; uid: string };
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    startTime?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

interface PodList {
  items: {
    metadata: { name: string };
    status?: {
      phase?: string;
      containerStatuses?: {
        state?: { terminated?: { exitCode?: number; signal?: number; reason?: string; message?: string } };
      }[];
    };
  }[];
}

const LABEL_RUN = 'jobs.gantry.dev/run';
const LABEL_TARGET_ATTEMPT = 'jobs.gantry.dev/attempt';

/** The Job's name: one per run and attempt, so a second start (another server, a restart) finds the first. */
export function kubeJobName(runId: string, attempt: number): string {
  return `gantry-${runId}-${attempt}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/**
 * Runs a cluster target as a Kubernetes Job through the fleet's cluster clients: a Secret with the
 * job's secrets (owned by the Job, so it goes with it), the Job (no Kubernetes retries: Gantry's attempts
 * are the retries; `activeDeadlineSeconds` is the timeout; `ttlSecondsAfterFinished` deletes it), then
 * a poll that copies the pod's log into the output and maps the Job's conditions to the target's end.
 */
export class KubeJobRunner implements ClusterJobRunner {
  #stopped = false;

  constructor(
    private readonly clients: ClusterClientSource,
    private readonly clock: Clock,
    private readonly options: KubeJobRunnerOptions = { pollMs: 1_000 },
  ) {}

  async start(attempt: ClusterAttempt, report: (message: JobAgentMessage) => void): Promise<void> {
    const spec = attempt.execution.cluster;
    if (!spec) throw new Error('the run has no cluster job (spec.cluster)');
    const client = await this.clients.get(attempt.team, attempt.cluster);
    const ns = spec.namespace;
    const name = kubeJobName(attempt.runId, attempt.attempt);
    const ids = { runId: attempt.runId, target: attempt.target, attempt: attempt.attempt };
    const at = () => new Date(this.clock.now()).toISOString();

    await ignoreStatus(409, () =>
      client.request('POST', '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      }),
    );
    const secretNames = Object.keys(attempt.secrets);
    if (secretNames.length > 0) {
      await ignoreStatus(409, () =>
        client.request('POST', `/api/v1/namespaces/${ns}/secrets`, {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name, labels: { [LABEL_RUN]: attempt.runId } },
          type: 'Opaque',
          stringData: attempt.secrets,
        }),
      );
    }
    const env = [
      { name: 'GANTRY_RUN_ID', value: attempt.runId },
      { name: 'GANTRY_TARGET', value: attempt.target },
      { name: 'GANTRY_ATTEMPT', value: String(attempt.attempt) },
      ...Object.entries(attempt.parameters).map(([key, value]) => ({
        name: `GANTRY_PARAM_${key.toUpperCase()}`,
        value: String(value),
      })),
      ...secretNames.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name, key } } })),
    ];
    const labels = { [LABEL_RUN]: attempt.runId, [LABEL_TARGET_ATTEMPT]: String(attempt.attempt) };
    const runAsRoot = attempt.execution.runAs.allowRoot;
    let job: KubeJob | undefined;
    try {
      job = await client.request<KubeJob>('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, labels },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: attempt.execution.timeoutSeconds,
          ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished,
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              automountServiceAccountToken: false,
              securityContext: runAsRoot ? {} : { runAsNonRoot: true },
              containers: [
                {
                  name: 'job',
                  image: spec.image,
                  command: spec.command,
                  env,
                  securityContext: { allowPrivilegeEscalation: false },
                },
              ],
            },
          },
        },
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      job = await client.request<KubeJob>('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
    }
    if (secretNames.length > 0 && job) {
      // The Secret goes when the Job does (its TTL, or a delete).
      await client
        .request(
          'PATCH',
          `/api/v1/namespaces/${ns}/secrets/${name}`,
          {
            metadata: {
              ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid: job.metadata.uid }],
            },
          },
          { contentType: 'application/merge-patch+json' },
        )
        .catch(() => undefined);
    }
    report({ type: 'accepted', ...ids, at: at(), duplicate: false });
    this.#follow(client, ns, name, attempt, report);
  }

  stop(): void {
    this.#stopped = true;
  }

  async cancel(attempt: Pick<ClusterAttempt, 'team' | 'cluster' | 'runId' | 'attempt'>): Promise<void> {
    const client = await this.clients.get(attempt.team, attempt.cluster);
    const name = kubeJobName(attempt.runId, attempt.attempt);
    // The namespace is not known here; cancelled Jobs are found by their labels in every namespace.
    const jobs = await client.request<{ items: { metadata: { name: string; namespace: string } }[] }>(
      'GET',
      `/apis/batch/v1/jobs?labelSelector=${encodeURIComponent(`${LABEL_RUN}=${attempt.runId},${LABEL_TARGET_ATTEMPT}=${attempt.attempt}`)}`,
    );
    for (const job of jobs.items.filter((j) => j.metadata.name === name)) {
      await ignoreStatus(404, () =>
        client.request(
          'DELETE',
          `/apis/batch/v1/namespaces/${job.metadata.namespace}/jobs/${name}?propagationPolicy=Background`,
        ),
      );
    }
  }

  #follow(
    client: KubeClient,
    ns: string,
    name: string,
    attempt: ClusterAttempt,
    report: (message: JobAgentMessage) => void,
  ): void {
    const ids = { runId: attempt.runId, target: attempt.target, attempt: attempt.attempt };
    const cap = attempt.execution.maxOutputBytes;
    let sent = 0;
    let seq = 0;
    let truncated = false;
    let logNotice = false;
    const emit = (stream: 'stdout' | 'system', data: string) => {
      if (data === '' || truncated) return;
      let text = data;
      if (stream === 'stdout' && Buffer.byteLength(text) > cap - sent) {
        text = Buffer.from(text)
          .subarray(0, cap - sent)
          .toString('utf8');
        truncated = true;
      }
      if (stream === 'stdout') sent += Buffer.byteLength(text);
      if (text !== '') report({ type: 'output', ...ids, seq: ++seq, stream, data: text });
      if (truncated)
        report({
          type: 'output',
          ...ids,
          seq: ++seq,
          stream: 'system',
          data: `[gantry: output truncated at ${cap} bytes]\n`,
        });
    };
    const finish = (reason: JobFinishReason, exitCode: number | null, message: string) =>
      !this.#stopped &&
      report({
        type: 'finished',
        ...ids,
        reason,
        exitCode,
        signal: null,
        message,
        outputBytes: sent,
        truncated,
        lastSeq: seq,
        at: new Date(this.clock.now()).toISOString(),
      });
    let logText = '';
    const readLog = async (pod: string) => {
      if (!client.requestText) return;
      try {
        const text = await client.requestText(
          `/api/v1/namespaces/${ns}/pods/${pod}/log?container=job&limitBytes=${cap + 1}`,
        );
        if (text.startsWith(logText)) emit('stdout', text.slice(logText.length));
        logText = text;
      } catch (error) {
        if (!logNotice) {
          logNotice = true;
          emit(
            'system',
            `[gantry: the pod's log cannot be read: ${error instanceof Error ? error.message : String(error)}]\n`,
          );
        }
      }
    };
    const poll = async (): Promise<boolean> => {
      const job = await client.request<KubeJob>('GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
      const pods = await client.request<PodList>(
        'GET',
        `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(`job-name=${name}`)}`,
      );
      const pod = pods.items[0];
      const phase = pod?.status?.phase;
      if (pod && phase && phase !== 'Pending') await readLog(pod.metadata.name);
      const condition = (type: string) =>
        job.status?.conditions?.find((c) => c.type === type && c.status === 'True');
      const terminated = pod?.status?.containerStatuses?.[0]?.state?.terminated;
      const complete = condition('Complete');
      const failed = condition('Failed');
      if (complete) {
        finish('Exited', terminated?.exitCode ?? 0, `Job ${ns}/${name} completed`);
        return true;
      }
      if (failed) {
        if (failed.reason === 'DeadlineExceeded')
          finish(
            'TimedOut',
            terminated?.exitCode ?? null,
            `Job ${ns}/${name}: ${failed.message ?? 'deadline exceeded'}`,
          );
        else
          finish(
            'Exited',
            terminated?.exitCode ?? 1,
            `Job ${ns}/${name} failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim(),
          );
        return true;
      }
      return false;
    };
    const loop = () => {
      if (this.#stopped) return;
      poll().then(
        (done) => {
          if (!done) this.clock.setTimeout(loop, this.options.pollMs);
        },
        (error: unknown) => {
          if (statusOf(error) === 404) {
            finish('Cancelled', null, `Job ${ns}/${name} was deleted`);
            return;
          }
          // The API server is away for a moment: look again later.
          this.clock.setTimeout(loop, this.options.pollMs);
        },
      );
    };
    loop();
  }
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
    ? error.status
    : undefined;
}

async function ignoreStatus(status: number, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (statusOf(error) !== status) throw error;
  }
}
