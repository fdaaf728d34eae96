import { CliError } from './errors.ts';
import { isRecord } from './objects.ts';

/** What the CLI needs to know about a resource kind, from `GET /api/kinds`. */
export interface KindInfo {
  kind: string;
  group: string;
  version: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Whether objects of this kind belong to a team (`metadata.team`); `Team` itself does not. */
  teamed: boolean;
  /** Extra table columns the server suggests for `get`, if it sends any. */
  printerColumns: PrinterColumn[];
}

export interface PrinterColumn {
  name: string;
  jsonPath: string;
}

const DEFAULT_GROUP = 'gantry.dev';
const DEFAULT_VERSION = 'v1alpha1';

export function apiVersionOf(kind: KindInfo): string {
  return `${kind.group}/${kind.version}`;
}

/**
 * Accepts the response of `GET /api/kinds` in the shapes a list endpoint may take (a bare array,
 * `{ items }` or `{ kinds }`), and fills what is optional.
 */
export function parseKinds(body: unknown): KindInfo[] {
  const entries = Array.isArray(body)
    ? body
    : isRecord(body) && Array.isArray(body['items'])
      ? body['items']
      : isRecord(body) && Array.isArray(body['kinds'])
        ? body['kinds']
        : undefined;
  if (entries === undefined) throw new CliError('unexpected response from GET /api/kinds: no list of kinds');
  return entries.filter(isRecord).flatMap((entry): KindInfo[] => {
    const kind = stringField(entry, 'kind');
    const plural = stringField(entry, 'plural');
    if (kind === undefined || plural === undefined) return [];
    const shortNames = entry['shortNames'];
    const columns = entry['printerColumns'] ?? entry['additionalPrinterColumns'];
    // docs/reference/api.md promises `group` and `version`; a server may send `apiVersion` instead.
    const [apiGroup, apiVersion] = (stringField(entry, 'apiVersion') ?? '').split('/');
    return [
      {
        kind,
        plural,
        group:
          stringField(entry, 'group') ?? (apiVersion !== undefined ? apiGroup : undefined) ?? DEFAULT_GROUP,
        version: stringField(entry, 'version') ?? apiVersion ?? DEFAULT_VERSION,
        singular: stringField(entry, 'singular') ?? kind.toLowerCase(),
        shortNames: Array.isArray(shortNames)
          ? shortNames.filter((s): s is string => typeof s === 'string')
          : [],
        teamed: isTeamed(entry),
        printerColumns: Array.isArray(columns)
          ? columns.filter(isRecord).flatMap((c) => {
              const name = stringField(c, 'name');
              const jsonPath = stringField(c, 'jsonPath');
              return name !== undefined && jsonPath !== undefined ? [{ name, jsonPath }] : [];
            })
          : [],
      },
    ];
  });
}

function isTeamed(entry: Record<string, unknown>): boolean {
  if (typeof entry['teamed'] === 'boolean') return entry['teamed'];
  if (typeof entry['namespaced'] === 'boolean') return entry['namespaced'];
  const scope = stringField(entry, 'scope');
  // `Team`/`Teamed`/`Namespaced` vs `Cluster`/`Global`; when the server says nothing, only Team is global.
  if (scope !== undefined) return /^(team|teamed|team-scoped|namespaced)$/i.test(scope);
  return entry['kind'] !== 'Team';
}

/** Resolves what the user typed (`Team`, `teams`, `team`, a short name; any case) to a kind. */
export function resolveKind(kinds: readonly KindInfo[], typed: string): KindInfo {
  const wanted = typed.toLowerCase();
  const found = kinds.find(
    (k) =>
      k.kind.toLowerCase() === wanted ||
      k.plural.toLowerCase() === wanted ||
      k.singular.toLowerCase() === wanted ||
      k.shortNames.some((s) => s.toLowerCase() === wanted),
  );
  if (found) return found;
  const known = kinds
    .map((k) => k.plural)
    .sort()
    .join(', ');
  throw new CliError(
    `the server doesn't have a resource type "${typed}" (known: ${known === '' ? 'none' : known}; see gantry api-resources)`,
  );
}

/** Resolves a manifest's `apiVersion` + `kind` exactly (kind names in files are case-sensitive). */
export function resolveManifestKind(kinds: readonly KindInfo[], apiVersion: string, kind: string): KindInfo {
  const found = kinds.find((k) => k.kind === kind && apiVersionOf(k) === apiVersion);
  if (found) return found;
  const sameKind = kinds.find((k) => k.kind === kind);
  if (sameKind) {
    throw new CliError(
      `apiVersion "${apiVersion}" is not served for kind ${kind} (use ${apiVersionOf(sameKind)})`,
    );
  }
  throw new CliError(`unknown kind "${kind}" (see gantry api-resources)`);
}

function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
