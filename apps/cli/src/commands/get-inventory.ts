import { CliError, ReportedFailure } from '../errors.ts';
import { describeScope, fleetScope, type FleetScope } from '../fleet-scope.ts';
import type { InventoryItem } from '@gantry/client';
import type { CommandEnv } from '../io.ts';
import { inventoryTable } from '../inventory-tables.ts';
import type { InventoryTarget } from '../inventory-views.ts';
import { formatTable, toJson, type OutputFormat } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';

export interface InventoryGetOptions {
  format: OutputFormat;
  team?: string;
  allTeams?: boolean;
  cluster?: string;
  namespace?: string;
  noHeaders?: boolean;
}

/**
 * `gantry get nodes|namespaces|workloads|deployments|...|pods`: what Gantry last saw in the clusters
 * (`GET /api/inventory/{view}`, every page), as a kubectl-like table or the items themselves.
 */
export async function getInventory(
  env: CommandEnv,
  target: InventoryTarget,
  names: string[],
  options: InventoryGetOptions,
): Promise<void> {
  if (target.view === 'pods' && names.length > 0)
    throw new CliError('pods are counted per namespace, not listed by name: use -n NAMESPACE');
  if (target.view === 'pods' && options.format === 'name')
    throw new CliError('-o name does not apply to pods: they are counted per namespace');

  const session = await openSession(env, options.team);
  const scope = fleetScope(session, options);
  // Nodes and namespaces belong to no namespace: -n does not narrow them (as in kubectl).
  const namespaced = target.view === 'workloads' || target.view === 'pods';
  const namespace = namespaced ? options.namespace : undefined;
  const query = { ...scope, namespace, kind: target.workloadKind };
  // Named objects are asked for one by one (the API filters by name); a list otherwise.
  const items =
    names.length === 0
      ? await session.client.inventory(target.view, query)
      : (
          await Promise.all(names.map((name) => session.client.inventory(target.view, { ...query, name })))
        ).flat();

  let missing = 0;
  for (const name of names) {
    if (!items.some((item) => item.name === name)) {
      env.io.err(`error: ${target.singular} "${name}" not found in ${describeScope(scope)}\n`);
      missing++;
    }
  }
  if (options.format === 'table') {
    if (items.length === 0) {
      if (missing === 0) env.io.err(`No resources found${where(scope, namespace)}.\n`);
    } else {
      const table = inventoryTable(target.view, items, { now: env.io.now(), team: scope.team });
      env.io.out(formatTable(table.headers, table.rows, { noHeaders: options.noHeaders === true }));
    }
  } else if (options.format === 'name') {
    env.io.out(items.map((item) => `${nameOf(target, item)}\n`).join(''));
  } else {
    const value = names.length === 1 && items.length === 1 ? items[0] : { items };
    if (!(names.length > 0 && items.length === 0))
      env.io.out(options.format === 'json' ? toJson(value) : toYaml(value));
  }
  if (missing > 0) throw new ReportedFailure(missing);
}

/** ` in cluster sre/east, namespace web`, or nothing for the whole fleet. */
function where(scope: FleetScope, namespace: string | undefined): string {
  const parts = [
    ...(scope.team === undefined && scope.cluster === undefined ? [] : [describeScope(scope)]),
    ...(namespace === undefined ? [] : [`namespace ${namespace}`]),
  ];
  return parts.length === 0 ? '' : ` in ${parts.join(', ')}`;
}

/** `node/worker-1`, `deployment/web`: kubectl's `-o name`, a workload under its own kind. */
function nameOf(target: InventoryTarget, item: InventoryItem): string {
  const singular = target.view === 'workloads' ? item.kind.toLowerCase() : target.singular;
  return `${singular}/${item.name}`;
}
