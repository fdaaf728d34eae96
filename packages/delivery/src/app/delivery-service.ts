import type { EventRecorder } from '@gantry/controllers';
import type { ClusterClients, KubeObject } from '@gantry/fleet';
import type { Caller } from '@gantry/identity';
import {
  ConflictError,
  isGantryError,
  NotFoundError,
  UnprocessableError,
  ErrorCodes,
  diffJson,
  type ApplicationDiff,
  type ApplicationSpec,
  type Change,
  type FieldChange,
  type ObjectDiff,
  type TargetDiff,
  type Resource,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { AppliedObjectRepository, ResourceRepository } from '@gantry/store';
import type { Composer } from '../compose/compose.ts';
import { checkApplication } from '../check/trait-check.ts';
import { ClusterApplier, objectRef, refKey, type KubeManifest } from '../kube/applier.ts';
import { componentsForTarget, resolveTargets } from '../targets.ts';
import { fromSnapshot, type DefinitionSource } from './definitions.ts';
import { placementOf } from './placement-source.ts';
import { ApplicationEventReason, ApplicationEvents } from './application-events.ts';
import { mapLimit } from './map-limit.ts';
import {
  DEFINITIONS_FROM_ANNOTATION,
  REVISION_ANNOTATION,
  type ApplicationObject,
  type RevisionManager,
} from './revisions.ts';

// The diff's wire shapes are the model's (packages/model/src/api/delivery-actions.ts).
export type { ObjectAction as DiffAction, ObjectDiff, TargetDiff } from '@gantry/model';
export type DiffResult = ApplicationDiff;

export interface DeliveryServiceDeps {
  resources: ResourceService;
  repository: Pick<ResourceRepository, 'list'>;
  records: AppliedObjectRepository;
  revisions: RevisionManager;
  definitions: DefinitionSource;
  clients: Pick<ClusterClients, 'get'>;
  composer: Composer;
  /** Records the rollbacks users make. */
  events: EventRecorder;
}

/** Fields the API server owns: a diff of them says nothing about what the application changes. */
function comparable(object: KubeObject | KubeManifest): unknown {
  const { status: _status, ...rest } = object as Record<string, unknown>;
  const metadata = { ...(rest.metadata as Record<string, unknown>) };
  for (const field of [
    'managedFields',
    'resourceVersion',
    'generation',
    'uid',
    'creationTimestamp',
    'selfLink',
  ])
    delete metadata[field];
  // The revision annotation changes with every revision; it says nothing about the object itself.
  if (metadata.annotations && typeof metadata.annotations === 'object') {
    const { [REVISION_ANNOTATION]: _revision, ...annotations } = metadata.annotations as Record<
      string,
      string
    >;
    metadata.annotations = annotations;
  }
  return { ...rest, metadata };
}

/** How many times a rollback is tried when the application moved between its read and its write. */
const ROLLBACK_ATTEMPTS = 5;

/** Rollback and diff: the application operations beyond the generic resource API. */
export class DeliveryService {
  constructor(private readonly deps: DeliveryServiceDeps) {}

  /**
   * Writes revision N's spec back; the next revision uses revision N's definitions (see the ADR). The
   * controller writes the application's status all the time and each write moves its resourceVersion, so a
   * conflict between the read and the write is taken again from a fresh read: the result does not depend
   * on the spec it replaces.
   */
  async rollback(caller: Caller, team: string, name: string, revision: number): Promise<Resource> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#rollbackOnce(caller, team, name, revision);
      } catch (error) {
        const again =
          error instanceof ConflictError && error.code === ErrorCodes.conflict && attempt < ROLLBACK_ATTEMPTS;
        if (!again) throw error;
      }
    }
  }

  async #rollbackOnce(caller: Caller, team: string, name: string, revision: number): Promise<Resource> {
    const app = (await this.deps.resources.get(caller, 'Application', team, name)) as ApplicationObject;
    const revisions = await this.deps.revisions.list(team, name);
    const target = revisions.find((r) => r.spec.revision === revision);
    if (!target) {
      throw new NotFoundError(
        `application ${name} has no revision ${revision} (kept: ${revisions.map((r) => r.spec.revision).join(', ') || 'none'})`,
      );
    }
    const body = {
      apiVersion: app.apiVersion,
      kind: app.kind,
      metadata: {
        name,
        team,
        resourceVersion: app.metadata.resourceVersion,
        ...(app.metadata.labels ? { labels: app.metadata.labels } : {}),
        annotations: { ...app.metadata.annotations, [DEFINITIONS_FROM_ANNOTATION]: String(revision) },
      },
      spec: target.spec.applicationSpec,
    };
    const replaced = await this.deps.resources.replace(caller, 'Application', team, name, body);
    new ApplicationEvents(this.deps.events, team, name, caller.principal.username).normal(
      ApplicationEventReason.RolledBack,
      `rolled back to the spec and definitions of revision ${revision}`,
    );
    return replaced;
  }

  /**
   * What applying the application (as it is, or as `proposed`) would change on each target: every object
   * rendered, sent with a server-side dry run, and compared with the live one; plus what would be pruned.
   */
  async diff(caller: Caller, team: string, name: string, proposed?: ApplicationSpec): Promise<DiffResult> {
    let app: ApplicationObject | undefined;
    try {
      app = (await this.deps.resources.get(caller, 'Application', team, name)) as ApplicationObject;
    } catch (error) {
      // A new application can be diffed too: everything it renders is a create.
      if (!(proposed && isGantryError(error) && error.status === 404)) throw error;
    }
    const spec = proposed ?? app!.spec;
    // The definitions the next revision would use: a rolled-back application keeps its pinned ones.
    const set =
      !proposed && app
        ? fromSnapshot(
            await this.deps.revisions.desiredDefinitions(app, await this.deps.revisions.list(team, name)),
          )
        : (await this.deps.definitions.forSpec(spec)).set;
    if (proposed) {
      const errors = await checkApplication(spec, await this.deps.definitions.all(), this.deps.composer, {
        team,
        app: name,
      });
      if (errors.length > 0)
        throw new UnprocessableError(
          `application ${name} fails the trait check`,
          errors,
          ErrorCodes.traitCheck,
        );
    }
    const { clusters, environments } = await placementOf(this.deps.repository, team);
    const resolution = resolveTargets(spec, clusters, environments);
    const revision = (app?.status?.latestRevision ?? 0) + 1;
    const targets = await Promise.all(
      resolution.targets.map(async (target): Promise<TargetDiff> => {
        const base = {
          cluster: target.cluster,
          namespace: target.namespace,
          ...(target.environment ? { environment: target.environment } : {}),
        };
        try {
          const applier = new ClusterApplier(await this.deps.clients.get(team, target.cluster));
          const rendered: { component: string; object: KubeManifest }[] = [];
          for (const component of componentsForTarget(
            spec,
            target,
            clusters.find((c) => c.name === target.cluster),
          )) {
            const context = {
              app: name,
              team,
              component: component.name,
              revision,
              cluster: target.cluster,
              namespace: target.namespace,
              environment: target.environment,
            };
            const result = await this.deps.composer.compose(set, component, context);
            if (!result.ok)
              return {
                ...base,
                error: `${component.name}: ${result.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
                objects: [],
              };
            for (const object of result.objects)
              rendered.push({ component: component.name, object: object.object as KubeManifest });
          }
          const objects = await mapLimit(rendered, 8, async ({ component, object }): Promise<ObjectDiff> => {
            const planned = await applier.apply(object, { defaultNamespace: target.namespace, dryRun: true });
            const ref = objectRef(planned);
            const live = await applier.get(ref);
            const identity = {
              apiVersion: ref.apiVersion,
              kind: ref.kind,
              ...(ref.namespace ? { namespace: ref.namespace } : {}),
              name: ref.name,
              component,
            };
            if (!live)
              return { ...identity, action: 'create', diff: diffJson({}, comparable(planned)).map(toEntry) };
            const changes = diffJson(comparable(live), comparable(planned));
            return changes.length === 0
              ? { ...identity, action: 'unchanged' }
              : { ...identity, action: 'update', diff: changes.map(toEntry) };
          });
          // Every rendered object is planned (a refusal fails the target), so their refs are the cluster's.
          const keep = new Set(objects.map((o) => refKey(o)));
          const keepClaims = !(spec.prune?.persistentVolumeClaims ?? false);
          for (const record of await this.deps.records.list(team, name, target.cluster)) {
            if (keep.has(record.ref)) continue;
            if (
              keepClaims &&
              record.object.kind === 'PersistentVolumeClaim' &&
              record.object.apiVersion === 'v1'
            )
              continue; // prune keeps them
            const ref = record.object;
            objects.push({
              apiVersion: ref.apiVersion,
              kind: ref.kind,
              ...(ref.namespace ? { namespace: ref.namespace } : {}),
              name: ref.name,
              component: record.component,
              action: 'prune',
            });
          }
          return { ...base, objects };
        } catch (error) {
          return { ...base, error: (error as Error).message, objects: [] };
        }
      }),
    );
    return { targets, problems: resolution.problems };
  }
}

function toEntry(change: Change): FieldChange {
  return {
    path: change.path,
    op: change.op,
    ...(change.from !== undefined ? { before: change.from } : {}),
    ...(change.to !== undefined ? { after: change.to } : {}),
  };
}
