import { CliError } from './errors.ts';
import type { Session } from './session.ts';

/**
 * The fleet endpoints answer an empty list for a cluster that does not exist; this tells the two apart,
 * so that `--cluster typo` is an error rather than "No resources found".
 */
export async function assertClusterExists(session: Session, team: string, cluster: string): Promise<void> {
  const kind = await session.resolveKind('Cluster');
  if ((await session.client.find(kind, cluster, team)) === undefined)
    throw new CliError(`cluster "${cluster}" not found in team "${team}" (gantry get clusters lists them)`);
}
