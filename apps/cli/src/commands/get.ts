import { ApiError, ErrorCodes, type Resource } from '@gantry/client';
import type { GantryClient } from '../client.ts';
import { CliError, ReportedFailure } from '../errors.ts';
import { inventoryTarget } from '../inventory-views.ts';
import type { CommandEnv, Io } from '../io.ts';
import { apiVersionOf, type KindInfo } from '../kinds.ts';
import {
  columnWidths,
  formatRow,
  OUTPUT_FORMATS,
  resourceColumns,
  resourceName,
  toJson,
  type Column,
  type OutputFormat,
} from '../output.ts';
import { printError } from '../report.ts';
import { openSession, type Session } from '../session.ts';

export interface GetOptions {
  selector?: string;
  team?: string;
  allTeams?: boolean;
  output?: string;
  watch?: boolean;
  noHeaders?: boolean;
  /** Inventory views only (nodes, workloads, ...). */
  cluster?: string;
  namespace?: string;
}

/** A watch stream that closes this many times in a row without an event means the server is going away. */
const MAX_EMPTY_WATCH_STREAMS = 3;

export async function get(
  env: CommandEnv,
  kindArg: string,
  names: string[],
  options: GetOptions,
): Promise<void> {
  const format = parseOutputFormat(options.output);
  // Nodes, workloads, pods... are what Gantry sees in the clusters, not Gantry kinds.
  const inventory = inventoryTarget(kindArg);
  if (inventory !== undefined) {
    if (options.watch === true) throw new CliError(`--watch does not apply to ${inventory.view}`);
    if (options.selector !== undefined) throw new CliError(`-l does not apply to ${inventory.view}`);
    const { getInventory } = await import('./get-inventory.ts');
    await getInventory(env, inventory, names, { ...options, format });
    return;
  }
  if (options.allTeams === true && options.team !== undefined)
    throw new CliError('use either --team or -A (--all-teams), not both');
  if (options.allTeams === true && names.length > 0)
    throw new CliError('a resource cannot be retrieved by name across all teams');
  if (options.selector !== undefined && names.length > 0)
    throw new CliError('use either NAME(s) or -l SELECTOR, not both');

  if (options.cluster !== undefined || options.namespace !== undefined)
    throw new CliError(
      '--cluster and -n apply to what Gantry sees in clusters (nodes, namespaces, workloads, pods...), not to Gantry kinds',
    );

  const session = await openSession(env, options.team);
  // The YAML library only for -o yaml: ~17 ms of every other call.
  const yaml = format === 'yaml' ? (await import('../output-yaml.ts')).toYaml : undefined;
  const printerOf = (kind: KindInfo): Printer =>
    new Printer(env.io, format, kind, {
      showTeam: options.allTeams === true,
      noHeaders: options.noHeaders === true,
      toYaml: yaml,
    });
  if (options.watch === true) {
    await watchKind(env, session, await session.resolveKind(kindArg), printerOf, names, options);
    return;
  }
  // A kind from the discovery cache that the server no longer serves there is looked up again (ADR 0035).
  await session.withKind(kindArg, (kind) => getOnce(env, session, kind, printerOf(kind), names, options));
}

async function watchKind(
  env: CommandEnv,
  session: Session,
  kind: KindInfo,
  printerOf: (kind: KindInfo) => Printer,
  names: string[],
  options: GetOptions,
): Promise<void> {
  const team = kind.scope === 'Team' && options.allTeams !== true ? session.team : undefined;
  const printer = printerOf(kind);
  const { client } = session;
  const list = await client.list(kind, { team, labelSelector: options.selector });
  const wanted = names.length > 0 ? new Set(names) : undefined;
  const items = wanted ? list.items.filter((item) => wanted.has(item.metadata.name)) : list.items;
  for (const name of wanted ?? []) {
    if (!items.some((item) => item.metadata.name === name))
      env.io.err(`error: ${kind.kind.toLowerCase()} "${name}" not found\n`);
  }
  printer.rows(items);
  await watch(
    client,
    kind,
    { team, labelSelector: options.selector, resourceVersion: list.metadata.resourceVersion },
    (object) => {
      if (wanted === undefined || wanted.has(object.metadata.name)) printer.rows([object]);
    },
  );
}

async function getOnce(
  env: CommandEnv,
  session: Session,
  kind: KindInfo,
  printer: Printer,
  names: string[],
  options: GetOptions,
): Promise<void> {
  const team = kind.scope === 'Team' && options.allTeams !== true ? session.team : undefined;
  const { client } = session;

  if (names.length === 0) {
    const list = await client.list(kind, { team, labelSelector: options.selector });
    if (list.items.length === 0 && printer.format === 'table') {
      env.io.err(
        kind.scope === 'Team' && team !== undefined
          ? `No resources found in team "${team}".\n`
          : 'No resources found.\n',
      );
      return;
    }
    printer.collection({
      ...list,
      apiVersion: list.apiVersion ?? apiVersionOf(kind),
      kind: list.kind ?? `${kind.kind}List`,
    });
    return;
  }

  const found: Resource[] = [];
  let failures = 0;
  for (const name of names) {
    try {
      found.push(await client.get(kind, name, team));
    } catch (error) {
      // The kind's path is not served: not this name's failure (withKind looks the kind up again).
      if (error instanceof ApiError && error.code === ErrorCodes.unknownKind) throw error;
      printError((text) => env.io.err(text), error);
      failures++;
    }
  }
  if (names.length === 1 && found[0] !== undefined) printer.single(found[0]);
  else if (found.length > 0)
    printer.collection({
      apiVersion: apiVersionOf(kind),
      kind: `${kind.kind}List`,
      metadata: {},
      items: found,
    });
  if (failures > 0) throw new ReportedFailure(failures);
}

export function parseOutputFormat(output: string | undefined): OutputFormat {
  const format = output ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`unknown output format "${format}" (one of: ${OUTPUT_FORMATS.join(', ')})`);
  }
  return format as OutputFormat;
}

/**
 * Follows the watch stream from `resourceVersion`, calling `onObject` for each ADDED/MODIFIED/DELETED
 * object, and reconnects from the last event id when the server closes the stream. Returns only on error.
 */
async function watch(
  client: GantryClient,
  kind: KindInfo,
  options: {
    team: string | undefined;
    labelSelector: string | undefined;
    resourceVersion: string | undefined;
  },
  onObject: (object: Resource) => void,
): Promise<never> {
  let resourceVersion = options.resourceVersion;
  let emptyStreams = 0;
  for (;;) {
    let events = 0;
    const stream = client.watch(kind, {
      team: options.team,
      labelSelector: options.labelSelector,
      resourceVersion,
    });
    for await (const event of stream) {
      events++;
      if (event.type === 'ERROR') {
        throw new CliError(`watch: ${event.error.message} [${event.error.code}]`, { cause: event.error });
      }
      if (event.resourceVersion !== undefined && event.resourceVersion !== '') {
        resourceVersion = event.resourceVersion;
      }
      // A BOOKMARK only moves the resume point.
      if (event.type !== 'BOOKMARK') onObject(event.object);
    }
    emptyStreams = events === 0 ? emptyStreams + 1 : 0;
    if (emptyStreams >= MAX_EMPTY_WATCH_STREAMS)
      throw new CliError('watch: the server keeps closing the stream');
  }
}

/** Prints objects in the chosen format; in table form, the header once and rows aligned to the first batch. */
class Printer {
  readonly #columns: Column[];
  #widths: number[] | undefined;

  constructor(
    private readonly io: Io,
    readonly format: OutputFormat,
    private readonly kind: KindInfo,
    private readonly options: {
      showTeam: boolean;
      noHeaders: boolean;
      /** Given for the `yaml` format. */
      toYaml: ((value: unknown) => string) | undefined;
    },
  ) {
    this.#columns = resourceColumns(kind, { showTeam: options.showTeam });
  }

  #yaml(value: unknown): string {
    if (!this.options.toYaml) throw new Error('the YAML printer was not loaded');
    return this.options.toYaml(value);
  }

  single(object: Resource): void {
    if (this.format === 'yaml') this.io.out(this.#yaml(object));
    else if (this.format === 'json') this.io.out(toJson(object));
    else this.rows([object]);
  }

  collection(list: { apiVersion: string; kind: string; metadata: unknown; items: Resource[] }): void {
    if (this.format === 'yaml') this.io.out(this.#yaml(list));
    else if (this.format === 'json') this.io.out(toJson(list));
    else this.rows(list.items);
  }

  /** Also the watch form: each object on its own (YAML documents separated by `---`). */
  rows(objects: readonly Resource[]): void {
    if (this.format === 'name') {
      this.io.out(objects.map((o) => `${resourceName(this.kind, o.metadata.name)}\n`).join(''));
      return;
    }
    if (this.format === 'yaml') {
      this.io.out(objects.map((o) => `---\n${this.#yaml(o)}`).join(''));
      return;
    }
    if (this.format === 'json') {
      this.io.out(objects.map((o) => toJson(o)).join(''));
      return;
    }
    if (objects.length === 0) return;
    const now = this.io.now();
    const cells = objects.map((o) => this.#columns.map((c) => c.value(o, now)));
    let header: string[] | undefined;
    if (this.#widths === undefined) {
      header = this.options.noHeaders ? undefined : this.#columns.map((c) => c.header);
      this.#widths = columnWidths(header ? [header, ...cells] : cells);
    }
    const widths = this.#widths;
    this.io.out([...(header ? [header] : []), ...cells].map((row) => formatRow(row, widths) + '\n').join(''));
  }
}
