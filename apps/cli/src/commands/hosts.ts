import type { Host, HostList } from '@gantry/model';
import { isApiError } from '@gantry/client';
import { CliError } from '../errors.ts';
import type { CommandEnv } from '../io.ts';
import { formatAge, formatTable, toJson } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';

export interface GetHostsOptions {
  team?: string;
  selector?: string;
  status?: string;
  output?: string;
  noHeaders?: boolean;
}

const hostsPath = (team: string) => `/api/teams/${encodeURIComponent(team)}/hosts`;

/** `gantry get hosts [NAME...]`: every page of the team's hosts (`-l`, `--status`), or the named ones. */
export async function getHosts(
  env: CommandEnv,
  names: readonly string[],
  options: GetHostsOptions,
): Promise<void> {
  const format = options.output ?? 'table';
  if (!['table', 'wide', 'json', 'yaml', 'name'].includes(format))
    throw new CliError(`unknown output format "${format}" (one of: table, wide, json, yaml, name)`);
  const session = await openSession(env, options.team);
  let items: Host[] = [];
  if (names.length > 0) {
    for (const name of names)
      items.push(
        await session.client.request<Host>('GET', `${hostsPath(session.team)}/${encodeURIComponent(name)}`),
      );
  } else {
    let next: string | undefined;
    do {
      const page: HostList = await session.client.request<HostList>('GET', hostsPath(session.team), {
        query: { labelSelector: options.selector, status: options.status, continue: next },
      });
      items = items.concat(page.items);
      next = page.continue;
    } while (next !== undefined);
  }
  if (format === 'json' || format === 'yaml') {
    env.io.out((format === 'json' ? toJson : toYaml)({ items }));
    return;
  }
  if (format === 'name') {
    env.io.out(items.map((host) => `host/${host.name}\n`).join(''));
    return;
  }
  if (items.length === 0) {
    env.io.err(`No hosts found in team ${session.team}.\n`);
    return;
  }
  const now = env.io.now();
  const wide = format === 'wide';
  const headers = [
    'name',
    'status',
    'since',
    'os',
    'cpus',
    'memory',
    'agent',
    'node',
    ...(wide ? ['addresses', 'labels'] : []),
  ];
  const rows = items.map((host) => [
    host.name,
    host.status,
    formatAge(host.statusSince, now),
    host.facts?.os ?? '',
    host.facts ? String(host.facts.cpus) : '',
    host.facts ? formatBytes(host.facts.memoryBytes) : '',
    host.agentVersion,
    host.node ? `${host.node.cluster}/${host.node.node}` : '<none>',
    ...(wide
      ? [
          host.facts?.addresses.join(',') ?? '',
          Object.entries(host.labels)
            .map(([key, value]) => `${key}=${value}`)
            .join(','),
        ]
      : []),
  ]);
  env.io.out(formatTable(headers, rows, { noHeaders: options.noHeaders === true }));
}

/** `gantry delete host NAME...`: deletes the records and revokes the agents' credentials at once. */
export async function deleteHosts(
  env: CommandEnv,
  names: readonly string[],
  options: { team?: string; ignoreNotFound?: boolean; selector?: string; dryRun?: boolean },
): Promise<void> {
  if (names.length === 0) throw new CliError('name the hosts to delete: gantry delete host NAME...');
  if (options.selector !== undefined || options.dryRun === true)
    throw new CliError('gantry delete host takes names only (no --selector, no --dry-run)');
  const session = await openSession(env, options.team);
  for (const name of names) {
    try {
      await session.client.request<Host>('DELETE', `${hostsPath(session.team)}/${encodeURIComponent(name)}`);
      env.io.out(`host/${name} deleted (credential revoked)\n`);
    } catch (error) {
      if (options.ignoreNotFound === true && isApiError(error) && error.status === 404) continue;
      throw error;
    }
  }
}

/** `gantry describe host NAME`. */
export async function describeHost(env: CommandEnv, name: string, options: { team?: string }): Promise<void> {
  const session = await openSession(env, options.team);
  const host = await session.client.request<Host>(
    'GET',
    `${hostsPath(session.team)}/${encodeURIComponent(name)}`,
  );
  env.io.out(describeHostText(host, env.io.now()));
}

export function describeHostText(host: Host, now: Date): string {
  const lines = [
    `Name:            ${host.name}`,
    `Team:            ${host.team}`,
    `Status:          ${host.status} (for ${formatAge(host.statusSince, now)})`,
    `Connected:       ${host.connected ? 'yes' : 'no'}`,
    `Last heartbeat:  ${host.lastHeartbeat ? `${host.lastHeartbeat} (${formatAge(host.lastHeartbeat, now)} ago)` : '<never>'}`,
    `Agent version:   ${host.agentVersion}`,
    `Credential:      ${host.credentialId}`,
    `Node:            ${host.node ? `${host.node.node} (cluster ${host.node.cluster})` : '<none>'}`,
    `Labels:          ${Object.keys(host.labels).length === 0 ? '<none>' : ''}`,
    ...Object.entries(host.labels).map(([key, value]) => `  ${key}=${value}`),
  ];
  const facts = host.facts;
  if (facts) {
    lines.push(
      'Facts:',
      `  Hostname:      ${facts.hostname}`,
      `  OS:            ${facts.os} (${facts.platform}/${facts.arch})`,
      `  Kernel:        ${facts.kernel}`,
      `  CPUs:          ${facts.cpus}`,
      `  Memory:        ${formatBytes(facts.memoryBytes)}`,
      `  Uptime:        ${Math.round(facts.uptimeSeconds / 3600)}h`,
      `  Addresses:     ${facts.addresses.join(', ') || '<none>'}`,
      '  Disks:',
      ...facts.disks.map(
        (disk) =>
          `    ${disk.mount} (${disk.filesystem}): ${formatBytes(disk.usedBytes)} of ${formatBytes(disk.sizeBytes)} used (${disk.sizeBytes > 0 ? Math.round((disk.usedBytes / disk.sizeBytes) * 100) : 0}%)`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)}${units[unit]}`;
}
