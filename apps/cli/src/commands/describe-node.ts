import { CliError } from '../errors.ts';
import type { InventoryNode } from '@gantry/client';
import type { CommandEnv } from '../io.ts';
import { formatTaint, nodeRoles, nodeStatus } from '../node-display.ts';
import { formatAge, formatTable } from '../output.ts';
import { openSession } from '../session.ts';

/** `gantry describe node NAME --cluster C`: the node as Gantry last saw it in the cluster's inventory. */
export async function describeNode(
  env: CommandEnv,
  name: string,
  options: { team?: string; cluster?: string },
): Promise<void> {
  if (options.cluster === undefined || options.cluster === '')
    throw new CliError(
      `describe node needs --cluster CLUSTER: gantry describe node ${name} --cluster CLUSTER`,
    );
  const session = await openSession(env, options.team);
  const [node] = await session.client.inventory<InventoryNode>('nodes', {
    team: session.team,
    cluster: options.cluster,
    name,
  });
  if (node === undefined) {
    throw new CliError(`node "${name}" not found in cluster ${session.team}/${options.cluster}`);
  }
  env.io.out(describeNodeText(node, env.io.now()));
}

/** kubectl-describe-like text: identity, labels, taints, conditions as a table, capacity and allocatable. */
export function describeNodeText(node: InventoryNode, now: Date): string {
  const labels = Object.entries(node.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  const taints = (node.taints ?? []).map(formatTaint);
  const fields: [string, string[]][] = [
    ['Name', [node.name]],
    ['Cluster', [node.cluster]],
    ['Status', [nodeStatus(node)]],
    ['Roles', [nodeRoles(node.labels)]],
    ['Labels', labels.length === 0 ? ['<none>'] : labels],
    ['Taints', taints.length === 0 ? ['<none>'] : taints],
    ['Unschedulable', [String(node.unschedulable === true)]],
    ['Kubelet Version', [node.kubeletVersion ?? '<unknown>']],
    ['Created', [timestamp(node.createdAt, now)]],
    ['Last Seen', [timestamp(node.updatedAt, now)]],
  ];
  const width = Math.max(...fields.map(([label]) => label.length)) + 3;
  let text = fields
    .map(([label, [first, ...rest]]) =>
      [
        `${`${label}:`.padEnd(width)}${first ?? ''}`,
        ...rest.map((line) => `${' '.repeat(width)}${line}`),
      ].join('\n'),
    )
    .join('\n');
  text += '\nConditions:\n';
  const conditions = node.conditions ?? [];
  text +=
    conditions.length === 0
      ? '  <none>\n'
      : indent(
          formatTable(
            ['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'],
            conditions.map((c) => [
              c.type,
              c.status,
              c.reason ?? '',
              formatAge(c.lastTransitionTime, now),
              c.message ?? '',
            ]),
          ),
        );
  text += resources('Capacity', node.capacity);
  text += resources('Allocatable', node.allocatable);
  return text;
}

function resources(title: string, values: Record<string, string> | undefined): string {
  const entries = Object.entries(values ?? {});
  if (entries.length === 0) return `${title}:  <none>\n`;
  const width = Math.max(...entries.map(([key]) => key.length)) + 3;
  return `${title}:\n${entries.map(([key, value]) => `  ${`${key}:`.padEnd(width)}${value}\n`).join('')}`;
}

function timestamp(value: string | undefined, now: Date): string {
  return value === undefined ? '<unknown>' : `${value} (${formatAge(value, now)} ago)`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}
