import { KubeApiError, type KubeClient } from '@gantry/fleet';
import { ErrorCodes, InputError } from '@gantry/model';

/** Where a kind lives on one API server, from its discovery documents. */
export interface ResolvedKind {
  /** `''` for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The plural resource name used in paths, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  /** `/api/v1` for the core group, `/apis/{group}/{version}` otherwise. */
  basePath: string;
}

/**
 * The cluster does not serve this kind in this group-version: a CRD that is not installed, an API
 * version the cluster's Kubernetes no longer (or not yet) serves, or a typo in a definition.
 */
export class KindNotServedError extends InputError {
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(
      `the cluster has no kind ${kind} in ${apiVersion}`,
      [{ path: '/kind', message: `not served in ${apiVersion}` }],
      ErrorCodes.unknownKind,
    );
  }
}

/** Splits `apps/v1` into group and version; `v1` is the core group. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const parts = apiVersion.split('/');
  const [first, second] = parts;
  if (parts.length === 1 && first) return { group: '', version: first };
  if (parts.length === 2 && first && second) return { group: first, version: second };
  throw new InputError(`apiVersion ${JSON.stringify(apiVersion)} is not "version" or "group/version"`, [
    { path: '/apiVersion', message: 'not group/version' },
  ]);
}

export function discoveryPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/**
 * The path of one object, or of a collection when `name` is undefined. A namespaced kind without a
 * namespace gives the all-namespaces collection, which is what list-and-watch across a cluster wants.
 */
export function resourcePath(resolved: ResolvedKind, namespace: string | undefined, name?: string): string {
  const scope = resolved.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const object = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${resolved.basePath}${scope}/${resolved.resource}${object}`;
}

/** The part of an APIResourceList Gantry reads. */
interface ApiResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

/** Kinds by name in one group-version; the map is empty when the server does not serve it at all. */
type KindTable = ReadonlyMap<string, ResolvedKind>;

/**
 * Resolves kinds to resource paths with the API server's discovery documents, one document per
 * group-version, fetched when first needed. Kinds cannot be mapped to resources by rule (plurals are
 * irregular, CRDs choose their own), so asking the server is the only reliable way. A cached document is
 * fetched again once when it lacks a kind, since a CRD may have been installed after it was read.
 */
export class ResourceDiscovery {
  readonly #tables = new Map<string, Promise<KindTable>>();

  constructor(private readonly client: KubeClient) {}

  async resolve(apiVersion: string, kind: string): Promise<ResolvedKind> {
    const { group, version } = parseApiVersion(apiVersion);
    const key = discoveryPath(group, version);
    const cached = this.#tables.get(key);
    const found = (await (cached ?? this.#fetch(key, group, version))).get(kind);
    if (found) return found;
    if (cached) {
      // Another caller may have refreshed since this one read the cache: share its answer.
      const current = this.#tables.get(key);
      const refreshed = (
        await (current && current !== cached ? current : this.#fetch(key, group, version))
      ).get(kind);
      if (refreshed) return refreshed;
    }
    throw new KindNotServedError(apiVersion, kind);
  }

  /** Drops every cached document, e.g. after the cluster was upgraded. */
  invalidate(): void {
    this.#tables.clear();
  }

  #fetch(key: string, group: string, version: string): Promise<KindTable> {
    const table = this.#read(key, group, version);
    this.#tables.set(key, table);
    // A failed read is not an answer: the next caller asks again.
    table.catch(() => {
      if (this.#tables.get(key) === table) this.#tables.delete(key);
    });
    return table;
  }

  async #read(path: string, group: string, version: string): Promise<KindTable> {
    let list: ApiResourceList;
    try {
      list = await this.client.request<ApiResourceList>('GET', path, undefined, { timeoutMs: 15_000 });
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return new Map();
      if (error instanceof KubeApiError)
        throw new KubeApiError(
          `reading the discovery document ${path}: ${error.message}`,
          error.status,
          error.reason,
        );
      throw error;
    }
    const table = new Map<string, ResolvedKind>();
    for (const resource of list.resources ?? []) {
      // `deployments/status`, `deployments/scale`: subresources share the kind name of others.
      if (resource.name.includes('/')) continue;
      table.set(resource.kind, {
        group,
        version,
        kind: resource.kind,
        resource: resource.name,
        namespaced: resource.namespaced,
        basePath: path,
      });
    }
    return table;
  }
}
