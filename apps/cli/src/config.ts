import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type * as YamlModule from 'yaml';
import { CliError } from './errors.ts';
import { isRecord } from './objects.ts';

/** One server + credentials pair, like a kubeconfig context. */
export interface Context {
  name: string;
  server: string;
  token: string;
  /** Default team for team-scoped commands; `default` when absent. */
  team?: string;
}

export interface GantryConfig {
  contexts: Context[];
  currentContext?: string;
}

export const DEFAULT_TEAM = 'default';

export { configPath } from './config-path.ts';

export async function loadConfig(path: string): Promise<GantryConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: [] };
    throw new CliError(`cannot read config ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(text, path);
}

export async function parseConfig(text: string, path: string): Promise<GantryConfig> {
  let raw: unknown = readCanonical(text);
  if (raw === undefined) {
    try {
      raw = (await loadYaml()).parse(text);
    } catch (error) {
      throw new CliError(`config ${path} is not valid YAML: ${(error as Error).message}`, { cause: error });
    }
  }
  if (raw === null || raw === undefined) return { contexts: [] };
  if (!isRecord(raw)) throw new CliError(`config ${path}: expected a mapping at the top level`);
  const rawContexts = raw['contexts'] ?? [];
  if (!Array.isArray(rawContexts)) throw new CliError(`config ${path}: contexts must be a list`);
  const contexts = rawContexts.map((entry: unknown, index): Context => {
    if (
      !isRecord(entry) ||
      typeof entry['name'] !== 'string' ||
      typeof entry['server'] !== 'string' ||
      typeof entry['token'] !== 'string'
    ) {
      throw new CliError(`config ${path}: contexts[${index}] needs string name, server and token`);
    }
    const context: Context = { name: entry['name'], server: entry['server'], token: entry['token'] };
    if (typeof entry['team'] === 'string' && entry['team'] !== '') context.team = entry['team'];
    return context;
  });
  const current = raw['current-context'];
  return typeof current === 'string' && current !== '' ? { contexts, currentContext: current } : { contexts };
}

type Yaml = typeof YamlModule;
/** The YAML library, loaded when needed (the bundle's chunk of this CommonJS module offers only a default). */
async function loadYaml(): Promise<Yaml> {
  const module = (await import('yaml')) as Yaml & { default?: Yaml };
  return module.default ?? module;
}

/** A plain YAML scalar that YAML reads as this very string (not a number, a boolean or null). */
const PLAIN = /^[A-Za-z_][A-Za-z0-9._:/@+-]*$/;
const NOT_STRINGS = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off']);
const CANONICAL_LINE =
  /^(?:(contexts): *(\[\])?|(current-context): *(.*)| {2}- (name|server|token|team): *(.*)| {4}(name|server|token|team): *(.*))$/;

function scalar(value: string): string | undefined {
  if (value === '""') return '';
  return PLAIN.test(value) && !value.endsWith(':') && !NOT_STRINGS.has(value.toLowerCase())
    ? value
    : undefined;
}

/**
 * The config as `gantry login` writes it (serializeConfig: block lists of plain scalars), read without
 * loading the YAML library (~12 ms of every call); undefined for anything else, which the library reads.
 */
export function readCanonical(text: string): Record<string, unknown> | undefined {
  const raw: Record<string, unknown> = {};
  let contexts: Record<string, string>[] | undefined;
  let flow = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const match = CANONICAL_LINE.exec(line);
    if (!match) return undefined;
    if (match[1]) {
      if (contexts) return undefined;
      contexts = [];
      raw['contexts'] = contexts;
      flow = match[2] !== undefined;
    } else if (match[3]) {
      const value = scalar(match[4]!);
      if (value === undefined) return undefined;
      raw['current-context'] = value;
    } else {
      const key = match[5] ?? match[7]!;
      const value = scalar(match[6] ?? match[8]!);
      if (value === undefined || !contexts || flow) return undefined;
      if (match[5]) contexts.push({});
      const entry = contexts.at(-1);
      if (!entry || key in entry) return undefined;
      entry[key] = value;
    }
  }
  return raw;
}

export async function serializeConfig(config: GantryConfig): Promise<string> {
  const { stringify } = await loadYaml();
  return stringify({
    contexts: config.contexts.map((c) => ({
      name: c.name,
      server: c.server,
      token: c.token,
      ...(c.team ? { team: c.team } : {}),
    })),
    'current-context': config.currentContext ?? '',
  });
}

/** The file holds bearer tokens: written 0600 (via a temp file, so a crash never leaves half a config). */
export async function saveConfig(path: string, config: GantryConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, await serializeConfig(config), { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/** Replaces the context with the same name in place, or appends it. */
export function upsertContext(config: GantryConfig, context: Context): GantryConfig {
  const exists = config.contexts.some((c) => c.name === context.name);
  const contexts = exists
    ? config.contexts.map((c) => (c.name === context.name ? context : c))
    : [...config.contexts, context];
  return { ...config, contexts };
}

export function findContext(config: GantryConfig, name: string): Context | undefined {
  return config.contexts.find((c) => c.name === name);
}

/** The context a command runs against: `--context` if given, else the current one. */
export function selectContext(config: GantryConfig, path: string, override?: string): Context {
  const name = override ?? config.currentContext;
  if (name === undefined) throw new CliError('not logged in: run gantry login');
  const context = findContext(config, name);
  if (context === undefined) {
    throw new CliError(`context "${name}" not found in ${path} (gantry config get-contexts lists them)`);
  }
  return context;
}
