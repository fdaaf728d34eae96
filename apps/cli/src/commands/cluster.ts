import { ApiError, type ObjectMeta, type Resource } from '@gantry/client';
import { checkContext, readKubeconfig } from '../kubeconfig.ts';
import type { CommandEnv } from '../io.ts';
import { apiVersionOf, type KindInfo } from '../kinds.ts';
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

const KUBECONFIG_KEY = 'kubeconfig';

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

  const session = await openSession(env, options.team);
  const kind = await session.resolveKind('Cluster');
  const { client, team } = session;
  const secret = kubeconfigSecretName(name);
  const live = await client.find(kind, name, team);
  const body = clusterBody(kind, name, live, { secret, context: options.context, labels });
  const write = (dryRun: boolean): Promise<Resource> =>
    live === undefined
      ? client.create(kind, body, team, { dryRun })
      : client.replace(kind, body, team, { dryRun });
  const outcome = live === undefined ? 'added' : 'configured';

  // The Cluster is checked first (dryRun=All), so that one the server refuses leaves no secret behind;
  // the secrets API has no dry run, so --dry-run stops there.
  await write(true);
  if (options.dryRun === true) {
    env.io.out(`cluster/${name} ${outcome} (server dry run)\n`);
    return;
  }
  await client.putSecret(team, secret, { [KUBECONFIG_KEY]: text });
  await write(false);
  env.io.out(`cluster/${name} ${outcome}\n`);
}

/**
 * The Cluster `cluster add` writes: a new one, or the live one with its kubeconfig secret and context
 * replaced, its labels replaced only when some are given, and its other fields kept.
 */
export function clusterBody(
  kind: KindInfo,
  name: string,
  live: Resource | undefined,
  options: { secret: string; context: string | undefined; labels: Record<string, string> | undefined },
): Resource {
  const spec: Record<string, unknown> = {
    ...(live !== undefined && isRecord(live.spec) ? live.spec : {}),
    kubeconfigSecret: { name: options.secret, key: KUBECONFIG_KEY },
  };
  if (options.context !== undefined) spec['context'] = options.context;
  else delete spec['context'];
  const labels = options.labels ?? live?.metadata.labels;
  const metadata: ObjectMeta = { name };
  if (live?.metadata.resourceVersion !== undefined) metadata.resourceVersion = live.metadata.resourceVersion;
  if (live?.metadata.annotations !== undefined) metadata.annotations = live.metadata.annotations;
  if (labels !== undefined) metadata.labels = labels;
  return { apiVersion: live?.apiVersion ?? apiVersionOf(kind), kind: kind.kind, metadata, spec };
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
  const live = await client.get(kind, name, team);
  await client.delete(kind, name, team);
  env.io.out(`cluster/${name} removed\n`);
  // Only the secret `cluster add` made: a Cluster written some other way may share its secret.
  const secret = kubeconfigSecretName(name);
  const spec = isRecord(live.spec) ? live.spec : {};
  if (!isRecord(spec['kubeconfigSecret']) || spec['kubeconfigSecret']['name'] !== secret) return;
  try {
    await client.deleteSecret(team, secret);
    env.io.out(`secret/${secret} deleted\n`);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
}
