import { stringify } from 'yaml';
import type { Resource } from '@gantry/model';
import type { LeaseRepository, ResourceRepository } from '@gantry/store';

/** The kinds that make a team's alerting configuration, in the order `/api/v2/status` shows them. */
const STATUS_KINDS = ['AlertRouting', 'InhibitRule', 'TimeInterval', 'NotificationChannel'] as const;

/**
 * `config.original` of the Alertmanager API's `/api/v2/status`: the teams' alerting resources as YAML
 * documents (one per object, as `gantry get -o yaml` writes them, without status or bookkeeping), so that
 * `amtool config show` prints what routes and notifies. Alertmanager answers its config file; Gantry has
 * none, and this is the same information in Gantry's own field names. NotificationChannels are shown
 * without their settings blocks' secret references resolved (they are names, never values).
 */
export async function alertingConfigText(
  resources: Pick<ResourceRepository, 'list'>,
  teams: readonly string[] | undefined,
): Promise<string> {
  const documents: string[] = [];
  for (const kind of STATUS_KINDS) {
    let after: { team: string; name: string } | undefined;
    for (;;) {
      const page = await resources.list({
        kind,
        limit: 500,
        ...(teams ? { teams: [...teams] } : {}),
        ...(after ? { after } : {}),
      });
      for (const item of page.items) {
        const resource = JSON.parse(item.json) as Resource;
        documents.push(
          stringify({
            apiVersion: resource.apiVersion,
            kind: resource.kind,
            metadata: { team: resource.metadata.team, name: resource.metadata.name },
            spec: resource.spec,
          }),
        );
      }
      const last = page.items.at(-1);
      if (!last || page.items.length < 500) break;
      after = { team: last.team, name: last.name };
    }
  }
  return documents.join('---\n');
}

/**
 * `cluster.peers` of `/api/v2/status`: the servers that hold an unexpired lease now (the alert dispatcher's,
 * the controllers'), by their instance name. Gantry servers do not gossip and keep no membership table, so
 * a server that leads nothing at the moment is not listed, and no address is known (`address` is empty).
 */
export async function leaseHolders(
  leases: Pick<LeaseRepository, 'list'>,
  now: number,
): Promise<{ name: string; address: string }[]> {
  const holders = new Set(
    (await leases.list()).filter((lease) => lease.expiresAt > now).map((lease) => lease.holder),
  );
  return [...holders].sort().map((name) => ({ name, address: '' }));
}
