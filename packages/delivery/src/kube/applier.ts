import { KubeApiError, type KubeClient, type KubeObject } from '@gantry/fleet';
import { InputError } from '@gantry/model';
import type { Manifest } from '../compose/manifest.ts';
import { KindNotServedError, ResourceDiscovery, resourcePath, type ResolvedKind } from './discovery.ts';

/** An object as Gantry renders it: what it wants, before the API server has filled anything in. */
export type KubeManifest = Manifest;

/** Which object: enough to find it on a cluster. `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Something that is not a Kubernetes object Gantry can send (no kind, no name, a misplaced namespace). */
export class InvalidManifestError extends InputError {
  constructor(message: string, path: string) {
    super(message, [{ path, message }]);
  }
}

/**
 * The API server refused an operation on one object, or could not be reached. `status` and `reason`
 * are the server's (422 Invalid, 409 Conflict, 403 Forbidden, 0 for network errors) so that callers can
 * tell a bad object from a bad cluster; `serverMessage` is the server's own words.
 */
export class KubeObjectError extends KubeApiError {
  constructor(
    readonly operation: 'apply' | 'get' | 'delete',
    readonly ref: ObjectRef,
    readonly serverMessage: string,
    status: number,
    reason: string,
  ) {
    const code = status > 0 ? ` (${status} ${reason})` : ` (${reason})`;
    super(`cannot ${operation} ${describeRef(ref)}${code}: ${serverMessage}`, status, reason);
    this.name = 'KubeObjectError';
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The identity of an object (rendered or live); throws when it has no apiVersion, kind or name. */
export function objectRef(object: {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
}): ObjectRef {
  const apiVersion = text(object.apiVersion);
  const kind = text(object.kind);
  const name = text(object.metadata?.name);
  const namespace = text(object.metadata?.namespace);
  if (!apiVersion) throw new InvalidManifestError('the object has no apiVersion', '/apiVersion');
  if (!kind) throw new InvalidManifestError(`the ${apiVersion} object has no kind`, '/kind');
  if (!name) throw new InvalidManifestError(`the ${kind} has no metadata.name`, '/metadata/name');
  return namespace ? { apiVersion, kind, namespace, name } : { apiVersion, kind, name };
}

/**
 * A stable key for maps and for the store: `apps/v1/Deployment/default/web`, and for cluster-scoped
 * objects an empty namespace segment, `v1/Namespace//shop`, so that keys never collide across scopes.
 * Keys of a rendered object without a namespace differ from its live object's: key what the applier
 * returns, or default the namespace first.
 */
export function refKey(ref: ObjectRef): string {
  return `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

/** `Deployment default/web`, `Namespace shop`: how messages name an object. */
export function describeRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** The server's message without the `422 Invalid: ` prefix the client puts before it. */
function serverMessage(error: KubeApiError): string {
  const prefix = `${error.status} ${error.reason}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}

/**
 * Server-side apply answers an object that does not fit the kind's schema (an unknown field, a string
 * where a number belongs) with a 500 "failed to create typed patch object", not a 422. It is an invalid
 * object all the same, which retrying will not fix, so it is reported as 422 Invalid.
 */
function isSchemaMismatch(error: KubeApiError): boolean {
  return error.status === 500 && error.message.includes('failed to create typed patch object');
}

function objectError(operation: KubeObjectError['operation'], ref: ObjectRef, error: unknown): unknown {
  if (!(error instanceof KubeApiError)) return error;
  const [status, reason] = isSchemaMismatch(error) ? [422, 'Invalid'] : [error.status, error.reason];
  return new KubeObjectError(operation, ref, serverMessage(error), status, reason);
}

/**
 * The namespace an object goes to: its own, else `defaultNamespace` for namespaced kinds; none for
 * cluster-scoped kinds, where a namespace is refused rather than dropped because it shows the template
 * means something else than what the cluster would do.
 */
export function placeNamespace(
  ref: ObjectRef,
  resolved: ResolvedKind,
  defaultNamespace: string,
): string | undefined {
  if (!resolved.namespaced) {
    if (ref.namespace)
      throw new InvalidManifestError(
        `${ref.kind} ${ref.name} is cluster-scoped and cannot have metadata.namespace ${JSON.stringify(ref.namespace)}`,
        '/metadata/namespace',
      );
    return undefined;
  }
  const namespace = ref.namespace ?? defaultNamespace;
  if (!namespace)
    throw new InvalidManifestError(
      `${ref.kind} ${ref.name} is namespaced and has no namespace`,
      '/metadata/namespace',
    );
  return namespace;
}

export interface ApplierOptions {
  /** Who owns the fields Gantry sets, in each object's managedFields. */
  fieldManager?: string;
  /** Share one discovery cache among everything that talks to the same cluster. */
  discovery?: ResourceDiscovery;
}

export interface ApplyOptions {
  /** Validate and default on the server, change nothing. */
  dryRun?: boolean;
  /** For namespaced objects that name none. */
  defaultNamespace: string;
  /** Take over fields other managers own (default). Without it the server answers 409 on such a conflict. */
  force?: boolean;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export const APPLY_PATCH_CONTENT_TYPE = 'application/apply-patch+yaml';

/**
 * Writes objects to one cluster with server-side apply: the server merges what Gantry states into the
 * live object and records Gantry as the owner of those fields, so fields set by others (an HPA's
 * replicas, a mutating webhook's sidecar) are kept, and no read-modify-write race exists. `force`
 * takes over fields another manager owns: what an application says wins on its own objects.
 */
export class ClusterApplier {
  readonly #fieldManager: string;
  readonly #discovery: ResourceDiscovery;

  constructor(
    private readonly client: KubeClient,
    options: ApplierOptions = {},
  ) {
    this.#fieldManager = options.fieldManager ?? 'gantry';
    this.#discovery = options.discovery ?? new ResourceDiscovery(client);
  }

  /** Applies `object` and returns the live object the server answers with (after defaulting). */
  async apply(object: KubeManifest, options: ApplyOptions): Promise<KubeObject> {
    const { ref, resolved } = await this.#place(object, options.defaultNamespace);
    const body =
      ref.namespace === object.metadata.namespace
        ? object
        : { ...object, metadata: { ...object.metadata, namespace: ref.namespace } };
    const query = new URLSearchParams({
      fieldManager: this.#fieldManager,
      force: String(options.force ?? true),
      ...(options.dryRun ? { dryRun: 'All' } : {}),
    });
    try {
      return await this.client.request<KubeObject>(
        'PATCH',
        `${resourcePath(resolved, ref.namespace, ref.name)}?${query}`,
        body,
        { contentType: APPLY_PATCH_CONTENT_TYPE },
      );
    } catch (error) {
      throw objectError('apply', ref, error);
    }
  }

  /**
   * The identity `object` has once applied here: its namespace defaulted by the kind's real scope on this
   * cluster (a list of cluster-scoped kinds would miss CRDs), so its `refKey` matches the live object's.
   */
  async placedRef(object: KubeManifest, defaultNamespace: string): Promise<ObjectRef> {
    return (await this.#place(object, defaultNamespace)).ref;
  }

  async #place(
    object: KubeManifest,
    defaultNamespace: string,
  ): Promise<{ ref: ObjectRef; resolved: ResolvedKind }> {
    const rendered = objectRef(object);
    const resolved = await this.#discovery.resolve(rendered.apiVersion, rendered.kind);
    const namespace = placeNamespace(rendered, resolved, defaultNamespace);
    const { namespace: _rendered, ...clusterScoped } = rendered;
    return { ref: namespace ? { ...rendered, namespace } : clusterScoped, resolved };
  }

  /** The live object, or undefined when it (or its kind) does not exist on the cluster. */
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const path = await this.#path(ref);
    if (path === undefined) return undefined;
    try {
      return await this.client.request<KubeObject>('GET', path);
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return undefined;
      throw objectError('get', ref, error);
    }
  }

  /**
   * Deletes the object; `absent` when there was nothing to delete (already gone, or its kind is no longer
   * served). The default propagation deletes dependents (a Deployment's ReplicaSets and pods) in the
   * background, so the call returns at once.
   */
  async delete(
    ref: ObjectRef,
    options: { propagationPolicy?: PropagationPolicy; dryRun?: boolean } = {},
  ): Promise<'deleted' | 'absent'> {
    const path = await this.#path(ref);
    if (path === undefined) return 'absent';
    const query = new URLSearchParams({
      propagationPolicy: options.propagationPolicy ?? 'Background',
      ...(options.dryRun ? { dryRun: 'All' } : {}),
    });
    try {
      await this.client.request('DELETE', `${path}?${query}`);
      return 'deleted';
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return 'absent';
      throw objectError('delete', ref, error);
    }
  }

  /**
   * Makes sure a namespace exists before objects are applied into it. An existing namespace is left
   * alone (Gantry does not take ownership of fields of a namespace it did not create); `terminating`
   * tells the caller that objects sent there now will be refused.
   */
  async ensureNamespace(name: string): Promise<'created' | 'exists' | 'terminating'> {
    const ref: ObjectRef = { apiVersion: 'v1', kind: 'Namespace', name };
    const live = await this.get(ref);
    if (live)
      return (live.status as { phase?: string } | undefined)?.phase === 'Terminating'
        ? 'terminating'
        : 'exists';
    await this.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { defaultNamespace: '' });
    return 'created';
  }

  /** The object's path, or undefined when the cluster does not serve its kind (so it cannot exist). */
  async #path(ref: ObjectRef): Promise<string | undefined> {
    let resolved: ResolvedKind;
    try {
      resolved = await this.#discovery.resolve(ref.apiVersion, ref.kind);
    } catch (error) {
      if (error instanceof KindNotServedError) return undefined;
      throw error;
    }
    return resourcePath(resolved, placeNamespace(ref, resolved, ''), ref.name);
  }
}
