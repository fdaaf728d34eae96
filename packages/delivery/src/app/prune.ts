import type { AppliedObject } from '@gantry/store';
import type { AppliedRecords } from './term-records.ts';
import { describeRef, type ClusterApplier, type ObjectRef } from '../kube/applier.ts';
import { APP_LABEL } from './revisions.ts';

export interface PruneOptions {
  enabled: boolean;
  persistentVolumeClaims: boolean;
  adoptUnowned: boolean;
}

/** Whose stale objects, where, and how. */
export interface PruneRequest {
  team: string;
  app: string;
  cluster: string;
  prune: PruneOptions;
}

export function isPersistentVolumeClaim(ref: ObjectRef): boolean {
  return ref.kind === 'PersistentVolumeClaim' && ref.apiVersion === 'v1';
}

/**
 * Deletes stale objects this application owns and forgets their records. PersistentVolumeClaims are kept
 * with their data (unless `prune.persistentVolumeClaims`), and so is an object whose live labels no longer
 * name the application (unless `prune.adoptUnowned`): both are forgotten, no longer tracked.
 */
export async function prune(
  request: PruneRequest,
  applier: ClusterApplier,
  records: AppliedRecords,
  stale: readonly AppliedObject[],
): Promise<{ deleted: number; problems: string[] }> {
  let deleted = 0;
  const problems: string[] = [];
  const forget: string[] = [];
  for (const record of stale) {
    const ref = record.object as ObjectRef;
    try {
      if (isPersistentVolumeClaim(ref) && !request.prune.persistentVolumeClaims) {
        forget.push(record.ref);
        continue;
      }
      const live = await applier.get(ref);
      if (live && live.metadata.labels?.[APP_LABEL] !== request.app && !request.prune.adoptUnowned) {
        forget.push(record.ref);
        problems.push(`${describeRef(ref)} is no longer labelled as this application's; left in place`);
        continue;
      }
      if (live && (await applier.delete(ref)) === 'deleted') deleted += 1;
      forget.push(record.ref);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  await records.forget(request.team, request.app, request.cluster, forget);
  return { deleted, problems };
}
