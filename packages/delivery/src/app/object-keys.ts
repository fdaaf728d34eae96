import { InputError } from '@gantry/model';
import type { RenderedObject } from '../compose/compose.ts';
import {
  objectRef,
  refKey,
  type ClusterApplier,
  type KubeManifest,
  type ObjectRef,
} from '../kube/applier.ts';
import { REVISION_ANNOTATION } from './revisions.ts';
import { sha256 } from './hash.ts';

/**
 * What decides whether an object must be sent again: the manifest without the revision annotation, so a
 * new revision that leaves an object as it was does not touch it (its annotation keeps naming the revision
 * that last changed it).
 */
export function contentHash(manifest: KubeManifest): string {
  const { [REVISION_ANNOTATION]: _revision, ...annotations } = manifest.metadata.annotations ?? {};
  return sha256({ ...manifest, metadata: { ...manifest.metadata, annotations } });
}

/**
 * An object's identity once applied on the applier's cluster: namespaced or not as the cluster's
 * discovery says (so CRDs are placed right), in `namespace` unless it names its own. A kind the cluster
 * does not serve, or a namespace on a cluster-scoped kind, keeps the rendered identity with the namespace
 * defaulted: applying it fails and says why, the key only has to be stable.
 */
export async function placedRef(
  applier: ClusterApplier,
  manifest: KubeManifest,
  namespace: string,
): Promise<ObjectRef> {
  try {
    return await applier.placedRef(manifest, namespace);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const ref = objectRef(manifest);
    return ref.namespace ? ref : { ...ref, namespace };
  }
}

/** Where a rendered object goes on the applier's cluster, and its record key (`refKey`). */
export interface PlacedObject {
  ref: ObjectRef;
  key: string;
}

/** Places every rendered object on the applier's cluster (one discovery read per group-version, cached). */
export async function placeAll(
  applier: ClusterApplier,
  objects: Iterable<RenderedObject>,
  namespace: string,
): Promise<Map<RenderedObject, PlacedObject>> {
  const placed = new Map<RenderedObject, PlacedObject>();
  for (const object of objects) {
    const ref = await placedRef(applier, object.object as KubeManifest, namespace);
    placed.set(object, { ref, key: refKey(ref) });
  }
  return placed;
}
