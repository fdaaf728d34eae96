import type { Resource } from '@gantry/model';
import type { ResourceService, WriteListener } from '@gantry/resources';
import type { EventRecorder, GantryEvent } from './event-recorder.ts';

/** The reasons recorded for writes to definitions, Teams and Clusters (docs/reference/events.md). */
export const ResourceEventReason = {
  DefinitionCreated: 'DefinitionCreated',
  DefinitionUpdated: 'DefinitionUpdated',
  DefinitionDeleted: 'DefinitionDeleted',
  TeamCreated: 'TeamCreated',
  TeamUpdated: 'TeamUpdated',
  TeamDeleted: 'TeamDeleted',
  ClusterCreated: 'ClusterCreated',
  ClusterUpdated: 'ClusterUpdated',
  ClusterDeleted: 'ClusterDeleted',
} as const;

const DEFINITION_KINDS = new Set(['ComponentDefinition', 'TraitDefinition']);

function version(object: Resource | undefined): string {
  const value = (object?.spec as { version?: unknown } | undefined)?.version;
  return typeof value === 'string' ? value : '?';
}

type Change = Parameters<WriteListener>[0];

/**
 * The event for a committed write, if the kind is one whose lifecycle is recorded and the write changed
 * what the object asks for (its spec: a status write, or relabelling, records nothing).
 */
export function resourceEvent(change: Change): GantryEvent | undefined {
  const { type, object, previous, caller } = change;
  const kind = object.kind;
  const definition = DEFINITION_KINDS.has(kind);
  if (!definition && kind !== 'Team' && kind !== 'Cluster') return undefined;
  if (type === 'MODIFIED' && previous?.metadata.generation === object.metadata.generation) return undefined;
  const name = object.metadata.name;
  const what = `${kind} ${name}`;
  let reason: string;
  let message: string;
  if (definition) {
    reason =
      type === 'ADDED'
        ? ResourceEventReason.DefinitionCreated
        : type === 'DELETED'
          ? ResourceEventReason.DefinitionDeleted
          : ResourceEventReason.DefinitionUpdated;
    message =
      type === 'ADDED'
        ? `${what} created at version ${version(object)}`
        : type === 'DELETED'
          ? `${what} deleted at version ${version(object)}`
          : version(previous) === version(object)
            ? `${what} changed, version ${version(object)} unchanged`
            : `${what} updated: version ${version(previous)} → ${version(object)}`;
  } else {
    const verb = type === 'ADDED' ? 'Created' : type === 'DELETED' ? 'Deleted' : 'Updated';
    reason = `${kind}${verb}`;
    message = `${what} ${verb.toLowerCase()}${type === 'MODIFIED' ? ` (generation ${object.metadata.generation})` : ''}`;
  }
  return {
    type: 'Normal',
    reason,
    message,
    // A Team is global (it is its own team); a Cluster's events also carry it as their cluster, so one
    // query by cluster shows what happened to it and inside it.
    regarding:
      kind === 'Cluster'
        ? { kind, name, team: object.metadata.team ?? '', cluster: name }
        : { kind, name, team: kind === 'Team' ? name : (object.metadata.team ?? '') },
    actor: caller.principal.username,
  };
}

/** Records the lifecycle of definitions, Teams and Clusters as this server commits their writes. */
export function recordResourceEvents(
  resources: Pick<ResourceService, 'onWrite'>,
  recorder: EventRecorder,
): () => void {
  return resources.onWrite((change) => {
    const event = resourceEvent(change);
    if (event) recorder.record(event);
  });
}
