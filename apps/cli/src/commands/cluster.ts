import { ApiError, type Resource } from '@gantry/client';
import { checkContext, readKubeconfig } from '../kubeconfig.ts';
import type { CommandEnv } from '../io.ts';
import { apiVersionOf } from '../kinds.ts';
import { parseLabelArgs } from '../labels.ts';
import { isRecord } from '../objects.ts';
import { openSession } from '../session.ts';

export interface ClusterAddOptions {
  kubeconfig: string;
  context?: string;
  team?: string;
  labels?: string[];
  dryRun?: boolean;
}

/** The secret `cluster add` keeps a cluster's kubeconfig in (docs/reference/kinds/cluster.md). */
export function kubeconfigSecretName(cluster: string): string {
  return `${cluster}-kubeconfig`;
}

/**
 * `gantry cluster add NAME --kubeconfig FILE`: checks the file locally, stores it as the team's secret
 * `NAME-kubeconfig`, then creates the Cluster pointing at it, or replaces the existing one's kubeconfig
 * reference and context (its other fields stay; its labels change only when `-l` is given).
 */
export async function addCluster(env: CommandEnv, name: string, options: ClusterAddOptions): Promise<void> {
  const { text, summary } = await readKubeconfig(options.kubeconfig);
  checkContext(summary, options.kubeconfig, options.context);
  const labels =
    options.labels === undefined || options.labels.length === 0 ? undefined : parseLabelArgs(options.labels);
  const dryRun = options.dryRun === true;

  const session = await openSession(env, options.team);
  const kind = await session.resolveKind('Cluster');
  const { client, team } = session;
  const secret = kubeconfigSecretName(name);
  const live = await client.find(kind, name, team);

  // The secrets API has no dry run: a dry run checks the Cluster on the server and stores nothing.
  if (!dryRun) await client.putSecret(team, secret, { kubeconfig: text });

  const spec = {
    ...(live !== undefined && isRecord(live.spec) ? live.spec : {}),
    kubeconfigSecret: { name: secret, key: 'kubeconfig' },
  } as Record<string, unknown>;
  if (options.context !== undefined) spec['context'] = options.context;
  else delete spec['context'];

  const suffix = dryRun ? ' (server dry run)' : '';
  if (live === undefined) {
    const body: Resource = {
      apiVersion: apiVersionOf(kind),
      kind: kind.kind,
      metadata: { name, ...(labels !== undefined ? { labels } : {}) },
      spec,
    };
    await client.create(kind, body, team, { dryRun });
    env.io.out(`cluster/${name} added${suffix}\n`);
    return;
  }
  const body: Resource = {
    apiVersion: live.apiVersion,
    kind: live.kind,
    metadata: {
      name,
      resourceVersion: live.metadata.resourceVersion,
      ...(live.metadata.annotations !== undefined ? { annotations: live.metadata.annotations } : {}),
      ...((labels ?? live.metadata.labels) !== undefined ? { labels: labels ?? live.metadata.labels } : {}),
    },
    spec,
  };
  await client.replace(kind, body, team, { dryRun });
  env.io.out(`cluster/${name} configured${suffix}\n`);
}

/** `gantry cluster remove NAME`: deletes the Cluster, then the kubeconfig secret `cluster add` made. */
export async function removeCluster(
  env: CommandEnv,
  name: string,
  options: { team?: string },
): Promise<void> {
  const session = await openSession(env, options.team);
  const kind = await session.resolveKind('Cluster');
  const { client, team } = session;
  await client.delete(kind, name, team);
  env.io.out(`cluster/${name} removed\n`);
  const secret = kubeconfigSecretName(name);
  try {
    await client.deleteSecret(team, secret);
    env.io.out(`secret/${secret} deleted\n`);
  } catch (error) {
    // Added some other way (apply), the cluster may have had no secret of that name.
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
}
