import { ClusterClientError } from '@gantry/fleet';
import type { AppliedObject } from '@gantry/store';
import type { AppliedRecords } from './term-records.ts';
import { ClusterApplier, describeRef, type ObjectRef } from '../kube/applier.ts';
import { ApplicationEventReason, type ApplicationEvents } from './application-events.ts';
import type { ClusterSessions } from './cluster-sessions.ts';
import { isPersistentVolumeClaim } from './prune.ts';
import { APP_LABEL } from './revisions.ts';

export interface RemovalDeps {
  records: AppliedRecords;
  sessions: ClusterSessions;
}

/** Whether everything recorded on a cluster is gone, and if not, why. */
export type Removal = { ok: true; removed: number } | { ok: false; removed: number; problem: string };

/**
 * Deletes everything recorded for `app` on `cluster` (the application is gone, or no longer targets the
 * cluster): each object whose live labels still name the application, PersistentVolumeClaims excepted.
 * Records of what was handled are forgotten; the others stay for the next try.
 */
export async function removeFromCluster(
  deps: RemovalDeps,
  events: ApplicationEvents,
  key: { team: string; app: string; cluster: string },
  records: readonly AppliedObject[],
): Promise<Removal> {
  const { team, app, cluster } = key;
  let applier: ClusterApplier;
  try {
    const session = await deps.sessions.get(team, cluster);
    applier = new ClusterApplier(session.client, { discovery: session.discovery });
  } catch (error) {
    // A cluster no longer registered cannot be cleaned: what was recorded there is forgotten.
    if (error instanceof ClusterClientError && error.reason === 'ClusterNotFound') {
      await deps.records.forget(
        team,
        app,
        cluster,
        records.map((r) => r.ref),
      );
      return { ok: true, removed: 0 };
    }
    const problem = `cannot reach cluster ${cluster} to remove ${records.length} objects: ${(error as Error).message}`;
    return { ok: false, removed: 0, problem };
  }
  const done: string[] = [];
  const problems: string[] = [];
  let removed = 0;
  for (const record of records) {
    const ref = record.object as ObjectRef;
    try {
      if (isPersistentVolumeClaim(ref)) {
        done.push(record.ref);
        continue;
      }
      const live = await applier.get(ref);
      if (live && live.metadata.labels?.[APP_LABEL] === app && (await applier.delete(ref)) === 'deleted')
        removed += 1;
      done.push(record.ref);
    } catch (error) {
      problems.push(`${describeRef(ref)}: ${(error as Error).message}`);
    }
  }
  await deps.records.forget(team, app, cluster, done);
  if (removed > 0)
    events.normal(ApplicationEventReason.ObjectsRemoved, `deleted ${removed} object(s)`, cluster);
  return problems.length > 0 ? { ok: false, removed, problem: problems.join('; ') } : { ok: true, removed };
}

/** Removes what `app` applied on every cluster; the problems of the clusters where that failed. */
export async function removeEverywhere(
  deps: RemovalDeps,
  events: ApplicationEvents,
  team: string,
  app: string,
  records: readonly AppliedObject[],
  except: ReadonlySet<string> = new Set(),
): Promise<{ removed: number; problems: string[] }> {
  let removed = 0;
  const problems: string[] = [];
  for (const [cluster, objects] of groupBy(records, (r) => r.cluster)) {
    if (except.has(cluster)) continue;
    const result = await removeFromCluster(deps, events, { team, app, cluster }, objects);
    removed += result.removed;
    if (!result.ok) problems.push(result.problem);
  }
  return { removed, problems };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item)) ?? [];
    group.push(item);
    groups.set(key(item), group);
  }
  return groups;
}
