import { Value } from '@sinclair/typebox/value';
import { ClusterRevisionPins, deliveryAnnotations } from '@gantry/model';
import { revisionName, type ApplicationObject } from './revisions.ts';

export const CLUSTER_REVISIONS_ANNOTATION = deliveryAnnotations.clusterRevisions;

/** The application's per-cluster revision pins (ADR 0036), or undefined when it has none (or they do not parse). */
export function readPins(app: Pick<ApplicationObject, 'metadata'>): ClusterRevisionPins | undefined {
  const raw = app.metadata.annotations?.[CLUSTER_REVISIONS_ANNOTATION];
  if (raw === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return Value.Check(ClusterRevisionPins, parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** The annotations with `pins` written (or removed, when undefined). */
export function withPins(
  annotations: Record<string, string> | undefined,
  pins: ClusterRevisionPins | undefined,
): Record<string, string> {
  const { [CLUSTER_REVISIONS_ANNOTATION]: _old, ...rest } = annotations ?? {};
  if (!pins) return rest;
  const sorted = (record: Record<string, number>) =>
    Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
  return {
    ...rest,
    [CLUSTER_REVISIONS_ANNOTATION]: JSON.stringify({
      base: pins.base,
      clusters: sorted(pins.clusters),
      latest: pins.latest,
      ...(pins.previous ? { previous: sorted(pins.previous) } : {}),
    }),
  };
}

/** The revision a cluster gets under `pins`. */
export function pinnedRevision(pins: ClusterRevisionPins, cluster: string): number {
  return pins.clusters[cluster] ?? pins.base;
}

/**
 * `pins` with `cluster` held at `revision`, and what it ran before in `previous`. Without pins yet, every
 * other target stays where the application's status says the fleet is (`deployed`), so moving one
 * cluster moves no other.
 */
export function pinCluster(
  pins: ClusterRevisionPins | undefined,
  cluster: string,
  revision: number,
  fleet: { deployed: number | undefined; latest: number },
): ClusterRevisionPins {
  const base = pins?.base ?? fleet.deployed ?? fleet.latest;
  const before = pins ? pinnedRevision(pins, cluster) : base;
  return {
    base,
    clusters: { ...pins?.clusters, [cluster]: revision },
    latest: Math.max(pins?.latest ?? 0, fleet.latest),
    previous: { ...pins?.previous, [cluster]: before },
  };
}

/** The Change that rolls revision `revision` of `app` out (one per revision, so creating it twice is harmless). */
export function rolloutChangeName(app: string, revision: number): string {
  return revisionName(`${app}-rollout`, revision);
}
