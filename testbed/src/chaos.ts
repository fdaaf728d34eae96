import type { KubeClient } from './kube-client.ts';

/**
 * The labels that switch on kwok's chaos Stages (testbed/stages/node/node-not-ready.yaml and
 * testbed/stages/pod/*-failed.yaml). The Stage reads optional annotations under the same prefix for the
 * reason, message, delay and, for pods, the container name and exit code.
 */
export const chaosLabels = {
  nodeNotReady: 'node-not-ready.stage.kwok.x-k8s.io',
  podContainerFailed: 'pod-container-running-failed.stage.kwok.x-k8s.io',
  podInitContainerFailed: 'pod-init-container-running-failed.stage.kwok.x-k8s.io',
} as const;

export const chaos = {
  labels: chaosLabels,

  /** Makes kwok report the node's Ready condition as False with this reason and message. */
  async makeNodeNotReady(
    client: KubeClient,
    node: string,
    cause: { reason?: string; message?: string } = {},
  ): Promise<void> {
    const annotations: Record<string, string> = {};
    if (cause.reason) annotations[`${chaosLabels.nodeNotReady}/reason`] = cause.reason;
    if (cause.message) annotations[`${chaosLabels.nodeNotReady}/message`] = cause.message;
    await client.patch(`/api/v1/nodes/${encodeURIComponent(node)}`, {
      metadata: { labels: { [chaosLabels.nodeNotReady]: 'true' }, annotations },
    });
  },

  /**
   * Makes a Running pod's containers terminate with a failure (phase Failed). Put the same label on a
   * workload's pod template to make every pod it creates fail once it runs.
   */
  async failPod(
    client: KubeClient,
    namespace: string,
    pod: string,
    cause: { reason?: string; exitCode?: number } = {},
  ): Promise<void> {
    const annotations: Record<string, string> = {};
    if (cause.reason) annotations[`${chaosLabels.podContainerFailed}/reason`] = cause.reason;
    if (cause.exitCode !== undefined)
      annotations[`${chaosLabels.podContainerFailed}/exit-code`] = String(cause.exitCode);
    await client.patch(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}`,
      {
        metadata: { labels: { [chaosLabels.podContainerFailed]: 'true' }, annotations },
      },
    );
  },
};
