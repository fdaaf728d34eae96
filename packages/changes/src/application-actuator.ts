import type { ClusterClients, KubeClient } from '@gantry/fleet';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { pinCluster, pinnedRevision, readPins, withPins, type ApplicationObject } from '@gantry/delivery';
import {
  CLUSTER_DOMAIN_LABEL,
  ConflictError,
  ErrorCodes,
  deliveryLabels,
  isGantryError,
  matchesSelector,
  parseLabelSelector,
  type ChangeApplicationRevision,
  type ChangeSpec,
  type ChangeTargets,
  type ClusterSpec,
  type Resource,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';
import type { ActuatorOutcome, ApplyRequest, ChangeActuator, TargetResolution } from './actuator.ts';
import {
  holdPartitions,
  releasePartitions,
  repairStatefulSets,
  stepPartitions,
} from './statefulset-partition.ts';

export const ApplicationActuatorReason = {
  ApplicationNotFound: 'ApplicationNotFound',
  RevisionNotFound: 'RevisionNotFound',
  ClusterNotTargeted: 'ClusterNotTargeted',
  ApplyFailed: 'ApplyFailed',
  Unhealthy: 'Unhealthy',
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  PinConflict: 'PinConflict',
  Superseded: 'Superseded',
} as const;

export interface ApplicationRevisionActuatorDeps {
  repository: Pick<ResourceRepository, 'get' | 'list'>;
  resources: Pick<ResourceService, 'replace'>;
  /** Cluster API servers, for StatefulSet partitions; absent: `partitionStep` is not honoured. */
  clients?: Pick<ClusterClients, 'get'>;
  now: () => number;
}

/** `cluster/application`: one application on one cluster (so two applications' rollouts never hold each other). */
export function applicationEntity(cluster: string, application: string): string {
  return `${cluster}/${application}`;
}

function parseEntity(entity: string): { cluster: string; application: string } {
  const slash = entity.indexOf('/');
  return { cluster: entity.slice(0, slash), application: entity.slice(slash + 1) };
}

const CALLER: Caller = { principal: SYSTEM_PRINCIPAL, source: 'controller/change' };
const PIN_ATTEMPTS = 5;

/**
 * Rolls an application revision out across the application's clusters (ADR 0036). Applying to an entity
 * pins its cluster to the revision (`app.gantry.dev/cluster-revisions` on the Application), which the
 * application controller deploys there and nowhere else; `progress` follows the controller's status
 * until the cluster runs the revision healthy (Running meanwhile, Failed when it is still not healthy
 * past `progressDeadlineSeconds`: Unhealthy, or ProgressDeadlineExceeded); `undo` pins the cluster back to the revision it had before. A pin is
 * idempotent by nature: pinning a cluster to the revision it is pinned to writes nothing.
 *
 * With `partitionStep`, every StatefulSet of the application on the cluster is held at `partition =
 * replicas` before the pin and lowered by `partitionStep` pods at a time, each step observed.
 */
/** A spec without `applicationRevision` (the engine never sends one): nothing to apply or undo. */
const NO_APPLICATION_REVISION: ActuatorOutcome = {
  status: 'Failed',
  reason: ApplicationActuatorReason.ApplicationNotFound,
  message: 'no applicationRevision',
};

export class ApplicationRevisionActuator implements ChangeActuator {
  readonly entityKind = 'Cluster';

  constructor(private readonly deps: ApplicationRevisionActuatorDeps) {}

  async resolve(team: string, spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution> {
    const wanted = spec.applicationRevision;
    if (!wanted)
      return {
        ok: false,
        reason: ApplicationActuatorReason.ApplicationNotFound,
        message: 'no applicationRevision',
      };
    const app = await this.#application(team, wanted.application);
    if (!app)
      return {
        ok: false,
        reason: ApplicationActuatorReason.ApplicationNotFound,
        message: `no application ${wanted.application} in team ${team}`,
      };
    if (!(await this.#revisionExists(team, wanted.application, wanted.revision)))
      return {
        ok: false,
        reason: ApplicationActuatorReason.RevisionNotFound,
        message: `application ${wanted.application} has no revision ${wanted.revision} recorded`,
      };
    const newest = app.status?.latestRevision;
    if (wanted.onlyIfLatest && newest !== undefined && newest > wanted.revision)
      return {
        ok: false,
        reason: ApplicationActuatorReason.Superseded,
        message: `application ${wanted.application} has revision ${newest} now: revision ${wanted.revision} is not rolled out`,
      };
    const clusters = (app.status?.targets ?? []).map((target) => target.cluster);
    if (targets.names) {
      const known = new Set(clusters);
      const unknown = targets.names.filter((name) => !known.has(name));
      if (unknown.length > 0)
        return {
          ok: false,
          reason: ApplicationActuatorReason.ClusterNotTargeted,
          message: `not clusters of application ${wanted.application}: ${unknown.slice(0, 5).join(', ')}`,
        };
      return {
        ok: true,
        entities: targets.names.map((name) => applicationEntity(name, wanted.application)).sort(),
      };
    }
    const selector = targets.selector ? parseLabelSelector(targets.selector) : undefined;
    const labels = await this.#clusterLabels(team);
    return {
      ok: true,
      entities: clusters
        .filter((cluster) => !selector || matchesSelector(selector, labels.get(cluster) ?? {}))
        .map((cluster) => applicationEntity(cluster, wanted.application))
        .sort(),
    };
  }

  async apply(request: ApplyRequest): Promise<ActuatorOutcome> {
    const wanted = request.spec.applicationRevision;
    if (!wanted) return NO_APPLICATION_REVISION;
    return this.#moveTo(request, wanted, wanted.revision, 'apply');
  }

  canUndo(): boolean {
    return true;
  }

  /**
   * Back to the revision the cluster ran before this change pinned it (`previous` in the pins). A cluster
   * the change never pinned (its apply failed first) has nothing to undo.
   */
  async undo(request: ApplyRequest): Promise<ActuatorOutcome> {
    const wanted = request.spec.applicationRevision;
    if (!wanted) return NO_APPLICATION_REVISION;
    const { cluster, application } = parseEntity(request.entity);
    const app = await this.#application(request.team, application);
    if (!app)
      return {
        status: 'Failed',
        reason: ApplicationActuatorReason.ApplicationNotFound,
        message: `no application ${application}`,
      };
    const pins = readPins(app);
    const before = pins?.previous?.[cluster];
    if (pins?.clusters[cluster] !== wanted.revision || before === undefined)
      return {
        status: 'Succeeded',
        message: `${cluster} is not at revision ${wanted.revision} by this change: nothing to undo`,
      };
    return this.#moveTo(request, wanted, before, 'undo');
  }

  async progress(request: ApplyRequest & { handle: string }): Promise<ActuatorOutcome> {
    const wanted = request.spec.applicationRevision;
    const handle = parseHandle(request.handle);
    if (!wanted || !handle)
      return {
        status: 'Failed',
        reason: ApplicationActuatorReason.ApplyFailed,
        message: `bad handle ${request.handle}`,
      };
    const { cluster, application } = parseEntity(request.entity);
    const app = await this.#application(request.team, application);
    if (!app)
      return {
        status: 'Failed',
        reason: ApplicationActuatorReason.ApplicationNotFound,
        message: `no application ${application}`,
      };
    const deadline = handle.since + wanted.progressDeadlineSeconds * 1000;
    const late = (message: string): ActuatorOutcome =>
      this.deps.now() > deadline
        ? {
            status: 'Failed',
            reason: ApplicationActuatorReason.ProgressDeadlineExceeded,
            message: `${cluster} not healthy at revision ${handle.revision} within ${wanted.progressDeadlineSeconds}s: ${message}`,
          }
        : { status: 'Running', handle: request.handle, message };
    const status = app.status;
    const target = status?.targets?.find((candidate) => candidate.cluster === cluster);
    if (!target) return late(`${cluster} is not a target of ${application} (yet)`);
    if (status?.observedGeneration !== app.metadata.generation || target.revision !== handle.revision)
      return late(
        `waiting for the application controller to apply revision ${handle.revision} to ${cluster}`,
      );
    if (target.phase === 'Failed')
      return {
        status: 'Failed',
        reason: ApplicationActuatorReason.ApplyFailed,
        message: `${cluster}: ${target.message ?? 'applying failed'}`,
      };
    if (target.phase !== 'Applied') return late(`${cluster}: ${target.phase} ${target.message ?? ''}`.trim());
    if (wanted.partitionStep !== undefined && handle.step === 'apply' && this.deps.clients) {
      const client = await this.deps.clients.get(request.team, cluster);
      const states = await stepPartitions(
        client,
        target.namespace,
        application,
        handle.revision,
        wanted.partitionStep,
      );
      const open = states.filter((state) => !state.done);
      // A StatefulSet held by its partition reads unhealthy by design: only the deadline fails it.
      if (open.length > 0) return late(open.map((state) => state.message).join('; '));
    }
    if (wanted.partitionStep !== undefined && handle.step === 'undo' && this.deps.clients) {
      // The template is back: pods the bad revision left unready would hold an OrderedReady StatefulSet.
      const client = await this.deps.clients.get(request.team, cluster);
      await repairStatefulSets(client, target.namespace, application);
    }
    const cells = (status.components ?? []).filter((cell) => cell.cluster === cluster);
    if (cells.length > 0 && cells.every((cell) => cell.health === 'Healthy'))
      return { status: 'Succeeded', message: `${cluster} runs revision ${handle.revision}, healthy` };
    // Unhealthy is the controller's verdict after its grace period, and it may lag behind a workload that
    // has just converged: only the deadline turns it into a failure.
    const troubles = cells
      .filter((cell) => cell.health !== 'Healthy')
      .map((cell) => `${cell.name}: ${cell.health}${cell.message ? ` ${cell.message}` : ''}`)
      .join('; ');
    if (this.deps.now() > deadline && cells.some((cell) => cell.health === 'Unhealthy'))
      return {
        status: 'Failed',
        reason: ApplicationActuatorReason.Unhealthy,
        message: `${cluster} at revision ${handle.revision} unhealthy after ${wanted.progressDeadlineSeconds}s: ${troubles}`,
      };
    return late(troubles || `waiting for ${cluster}'s health`);
  }

  /** Every application of the team on each of its clusters, with the cluster's labels and `gantry.dev/cluster`. */
  async labels(team: string): Promise<Map<string, Record<string, string>>> {
    const clusters = await this.#clusterLabels(team);
    const apps = await this.deps.repository.list({ kind: 'Application', teams: [team], limit: 100_000 });
    const out = new Map<string, Record<string, string>>();
    for (const item of apps.items) {
      const app = JSON.parse(item.json) as ApplicationObject;
      for (const target of app.status?.targets ?? [])
        out.set(applicationEntity(target.cluster, app.metadata.name), {
          ...clusters.get(target.cluster),
          [CLUSTER_DOMAIN_LABEL]: target.cluster,
        });
    }
    return out;
  }

  subject(team: string, entity: string) {
    const { cluster, application } = parseEntity(entity);
    return { kind: 'Application', team, name: application, cluster };
  }

  /** Pins the entity's cluster to `revision` (holding StatefulSets first when partitioned), then Running. */
  async #moveTo(
    request: ApplyRequest,
    wanted: ChangeApplicationRevision,
    revision: number,
    step: 'apply' | 'undo',
  ): Promise<ActuatorOutcome> {
    const { cluster, application } = parseEntity(request.entity);
    const handle = `revision/${revision}/${step}/since/${this.deps.now()}`;
    let client: KubeClient | undefined;
    let namespace: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const app = await this.#application(request.team, application);
      if (!app)
        return {
          status: 'Failed',
          reason: ApplicationActuatorReason.ApplicationNotFound,
          message: `no application ${application} in team ${request.team}`,
        };
      const pins = readPins(app);
      if (pins && pinnedRevision(pins, cluster) === revision && pins.clusters[cluster] !== undefined)
        return { status: 'Running', handle, message: `${cluster} pinned to revision ${revision}` };
      namespace = app.status?.targets?.find((target) => target.cluster === cluster)?.namespace;
      if (wanted.partitionStep !== undefined && this.deps.clients && namespace) {
        client ??= await this.deps.clients.get(request.team, cluster);
        if (step === 'apply') await holdPartitions(client, namespace, application, revision);
      }
      const next = pinCluster(pins, cluster, revision, {
        deployed: app.status?.revision,
        // A definition upgrade pins a revision newer than the application's own (ADR 0039).
        latest: Math.max(app.status?.latestRevision ?? 0, revision),
      });
      try {
        await this.deps.resources.replace(CALLER, 'Application', request.team, application, {
          apiVersion: app.apiVersion,
          kind: app.kind,
          metadata: {
            name: application,
            team: request.team,
            resourceVersion: app.metadata.resourceVersion,
            ...(app.metadata.labels ? { labels: app.metadata.labels } : {}),
            annotations: withPins(app.metadata.annotations, next),
          },
          spec: app.spec,
        });
        break;
      } catch (error) {
        const conflict =
          error instanceof ConflictError || (isGantryError(error) && error.code === ErrorCodes.conflict);
        if (!conflict) throw error;
        if (attempt >= PIN_ATTEMPTS)
          return {
            status: 'Failed',
            reason: ApplicationActuatorReason.PinConflict,
            message: `application ${application} kept changing while ${cluster} was pinned`,
          };
      }
    }
    // An undo rolls every pod back at once: the partition the apply left goes to 0.
    if (step === 'undo' && client && namespace) await releasePartitions(client, namespace, application);
    return { status: 'Running', handle, message: `${cluster} pinned to revision ${revision}` };
  }

  async #application(team: string, name: string): Promise<ApplicationObject | undefined> {
    return (await this.deps.repository.get({ kind: 'Application', team, name })) as
      ApplicationObject | undefined;
  }

  async #revisionExists(team: string, application: string, revision: number): Promise<boolean> {
    const page = await this.deps.repository.list({
      kind: 'ApplicationRevision',
      teams: [team],
      selector: parseLabelSelector(`${deliveryLabels.application}=${application}`),
      limit: 10_000,
    });
    return page.items.some(
      (item) => (JSON.parse(item.json) as { spec: { revision: number } }).spec.revision === revision,
    );
  }

  async #clusterLabels(team: string): Promise<Map<string, Record<string, string>>> {
    const page = await this.deps.repository.list({ kind: 'Cluster', teams: [team], limit: 100_000 });
    return new Map(
      page.items.map((item) => {
        const cluster = JSON.parse(item.json) as Resource<ClusterSpec>;
        return [cluster.metadata.name, cluster.metadata.labels ?? {}];
      }),
    );
  }
}

function parseHandle(
  handle: string,
): { revision: number; step: 'apply' | 'undo'; since: number } | undefined {
  const match = /^revision\/(\d+)\/(apply|undo)\/since\/(\d+)$/.exec(handle);
  if (!match) return undefined;
  return { revision: Number(match[1]), step: match[2] as 'apply' | 'undo', since: Number(match[3]) };
}

/**
 * Rolls `application` to `revision` across its clusters as a Change of kind applicationRevision, with
 * the given plan (default: the seed's): forward to a newer revision, or back to an older one — the way
 * self-healing rolls a bad release back wave by wave. Answers the Change's name; creating it again is
 * refused by the resource API as a name taken.
 */
export async function createApplicationRevisionChange(
  resources: Pick<ResourceService, 'create'>,
  caller: Caller,
  input: {
    team: string;
    application: string;
    revision: number;
    name: string;
    clusters?: string[];
    plan?: ChangeSpec['plan'];
    failurePolicy?: ChangeSpec['failurePolicy'];
    reason?: string;
  },
): Promise<string> {
  await resources.create(caller, 'Change', input.team, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Change',
    metadata: {
      name: input.name,
      team: input.team,
      labels: { [deliveryLabels.application]: input.application },
    },
    spec: {
      ...(input.reason ? { description: input.reason } : {}),
      applicationRevision: { application: input.application, revision: input.revision },
      targets: input.clusters ? { names: input.clusters } : { selector: '' },
      ...(input.plan ? { plan: input.plan } : {}),
      ...(input.failurePolicy ? { failurePolicy: input.failurePolicy } : {}),
    },
  });
  return input.name;
}
