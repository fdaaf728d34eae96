import type { Resource } from '@gantry/client';
import { CliError } from '../errors.ts';
import { isNodeKind } from '../inventory-views.ts';
import type { CommandEnv } from '../io.ts';
import { isRecord } from '../objects.ts';
import { formatAge, formatTable } from '../output.ts';
import { toYaml } from '../output-yaml.ts';
import { openSession } from '../session.ts';

export async function describe(
  env: CommandEnv,
  kindArg: string,
  name: string,
  options: { team?: string; cluster?: string },
): Promise<void> {
  if (isNodeKind(kindArg)) {
    const { describeNode } = await import('./describe-node.ts');
    await describeNode(env, name, options);
    return;
  }
  if (options.cluster !== undefined) throw new CliError('--cluster applies to describe node only');
  const session = await openSession(env, options.team);
  const object = await session.withKind(kindArg, (kind) =>
    session.client.get(kind, name, kind.scope === 'Team' ? session.team : undefined),
  );
  env.io.out(describeResource(object, env.io.now()));
}

/** kubectl-describe-like text: aligned metadata fields, spec and status as YAML, conditions as a table. */
export function describeResource(object: Resource, now: Date): string {
  const meta = object.metadata;
  const fields: [string, string | undefined][] = [
    ['Name', meta.name],
    ['Team', meta.team],
    ['Kind', object.kind],
    ['API Version', object.apiVersion],
    ['Labels', keyValues(meta.labels)],
    ['Annotations', keyValues(meta.annotations)],
    ['UID', meta.uid],
    ['Resource Version', meta.resourceVersion],
    ['Generation', meta.generation === undefined ? undefined : String(meta.generation)],
    ['Created', timestamp(meta.creationTimestamp, now)],
    ['Updated', timestamp(meta.updatedTimestamp, now)],
  ];
  const present = fields.filter((f): f is [string, string] => f[1] !== undefined);
  const width = Math.max(...present.map(([label]) => label.length)) + 3; // colon and two spaces
  const lines = present.map(([label, value]) => {
    const [first, ...rest] = value.split('\n');
    return [
      `${`${label}:`.padEnd(width)}${first ?? ''}`,
      ...rest.map((l) => `${' '.repeat(width)}${l}`),
    ].join('\n');
  });

  let text = lines.join('\n') + '\n';
  text += section('Spec', object.spec);
  const status = isRecord(object.status) ? { ...object.status } : object.status;
  const conditions = isRecord(status) ? status['conditions'] : undefined;
  if (isRecord(status)) delete status['conditions'];
  text += section('Status', isRecord(status) && Object.keys(status).length === 0 ? undefined : status);
  text += 'Conditions:\n';
  if (Array.isArray(conditions) && conditions.length > 0) {
    const rows = conditions
      .filter(isRecord)
      .map((c) => [
        str(c['type']),
        str(c['status']),
        str(c['reason']),
        formatAge(typeof c['lastTransitionTime'] === 'string' ? c['lastTransitionTime'] : undefined, now),
        str(c['message']),
      ]);
    text += indent(formatTable(['TYPE', 'STATUS', 'REASON', 'AGE', 'MESSAGE'], rows));
  } else {
    text += '  <none>\n';
  }
  return text;
}

function section(title: string, value: unknown): string {
  if (value === undefined || value === null || (isRecord(value) && Object.keys(value).length === 0))
    return `${title}:  <none>\n`;
  return `${title}:\n${indent(toYaml(value))}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}

function keyValues(map: Record<string, string> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join('\n');
}

function timestamp(value: string | undefined, now: Date): string | undefined {
  return value === undefined ? undefined : `${value} (${formatAge(value, now)} ago)`;
}

function str(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}
