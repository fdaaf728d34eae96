import type { Resource } from '@gantry/client';
import { CliError, ReportedFailure } from './errors.ts';
import type { CommandEnv } from './io.ts';
import { resolveManifestKind, type KindInfo } from './kinds.ts';
import { formatProblem, readManifests, type Manifest } from './manifests.ts';

/** What a manifest document will be written as: its kind, its team and the request body. */
export interface ManifestTarget {
  kind: KindInfo;
  name: string;
  /** Undefined for kinds that are not team-scoped. */
  team: string | undefined;
  body: Resource;
}

/** Fields the server owns; a manifest copied from `get -o yaml` carries them, a write must not. */
const SERVER_OWNED_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'updatedTimestamp',
];

/**
 * Documents of other APIs that the server converts on the way in (docs/reference/kubevela.md). They are
 * sent unchanged to the path of the Gantry kind they become; their `metadata.namespace` is a Kubernetes
 * namespace (the converted topology's), never the team.
 */
const CONVERTED_KINDS: readonly { apiVersion: string; kind: string; becomes: string }[] = [
  { apiVersion: 'core.oam.dev/v1beta1', kind: 'Application', becomes: 'Application' },
];

function manifestKind(kinds: readonly KindInfo[], apiVersion: string, kindName: string): KindInfo {
  const converted = CONVERTED_KINDS.find((c) => c.apiVersion === apiVersion && c.kind === kindName);
  if (converted === undefined) return resolveManifestKind(kinds, apiVersion, kindName);
  const kind = kinds.find((k) => k.kind === converted.becomes);
  if (kind === undefined) {
    throw new CliError(
      `${apiVersion} ${kindName} documents become ${converted.becomes}, which this server does not serve (see gantry api-resources)`,
    );
  }
  return kind;
}

export function targetOf(
  manifest: Manifest,
  kinds: readonly KindInfo[],
  scope: { team: string; teamFromFlag: boolean },
): ManifestTarget {
  const object = manifest.object;
  const kind = manifestKind(kinds, object.apiVersion, object.kind);
  const metadata = { ...object.metadata };
  for (const field of SERVER_OWNED_METADATA) delete metadata[field];
  let team: string | undefined;
  if (kind.scope === 'Team') {
    const own = typeof metadata.team === 'string' && metadata.team !== '' ? metadata.team : undefined;
    if (own !== undefined && scope.teamFromFlag && own !== scope.team) {
      throw new CliError(`metadata.team "${own}" does not match --team "${scope.team}"`);
    }
    team = own ?? scope.team;
    metadata.team = team;
  }
  const body: Resource = { ...object, metadata };
  delete body.status; // the status subresource is the controllers' to write
  return { kind, name: metadata.name, team, body };
}

/**
 * The part of an object a manifest declares, normalised so that a live object and a manifest (or a
 * dry-run result) compare equal when applying would change nothing.
 */
export function declaredState(resource: Resource): Record<string, unknown> {
  const { metadata, status: _status, ...rest } = resource;
  const declared: Record<string, unknown> = {
    ...rest,
    metadata: {
      name: metadata.name,
      ...(metadata.team === undefined ? {} : { team: metadata.team }),
      labels: metadata.labels ?? {},
      annotations: metadata.annotations ?? {},
    },
  };
  return declared;
}

/** For showing an object in a diff: without the fields that change on every write. */
export function withoutVolatileFields(resource: Resource): Resource {
  const metadata = { ...resource.metadata };
  delete metadata.resourceVersion;
  delete metadata.updatedTimestamp;
  delete metadata['managedFields'];
  return { ...resource, metadata };
}

/**
 * Reads `-f` paths for a command; when any document is unreadable, reports every problem and fails
 * before anything is sent, so a half-valid directory is never half-applied.
 */
export async function loadManifests(
  env: CommandEnv,
  paths: readonly string[],
  errorExitCode = 1,
): Promise<Manifest[]> {
  if (paths.length === 0)
    throw new CliError('-f is required: a file, a directory or - for stdin', { exitCode: errorExitCode });
  const { manifests, problems } = await readManifests(paths, () => env.io.readStdin());
  for (const problem of problems) env.io.err(`error: ${formatProblem(problem)}\n`);
  if (problems.length > 0) throw new ReportedFailure(problems.length, errorExitCode);
  if (manifests.length === 0)
    throw new CliError(`no objects found in ${paths.join(', ')}`, { exitCode: errorExitCode });
  return manifests;
}
