import type { ClusterClients } from '@gantry/fleet';
import {
  definitionsUsed,
  readPins,
  type ApplicationObject,
  type DefinitionUpgradeRecord,
  type RevisionManager,
  type RevisionObject,
} from '@gantry/delivery';
import {
  CLUSTER_DOMAIN_LABEL,
  deliveryLabels,
  matchesSelector,
  parseLabelSelector,
  type ChangeDefinitionUpgrade,
  type ChangeSpec,
  type ChangeTargets,
  type ClusterSpec,
  type ErrorDetail,
  type Resource,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';
import type { ActuatorOutcome, ApplyRequest, ChangeActuator, TargetResolution } from './actuator.ts';
import { ApplicationRevisionActuator, applicationEntity } from './application-actuator.ts';

export const DefinitionUpgradeReason = {
  DefinitionNotFound: 'DefinitionNotFound',
  NotStaged: 'NotStaged',
  GenerationNotFound: 'GenerationNotFound',
  NotUsingDefinition: 'NotUsingDefinition',
  ApplicationNotFound: 'ApplicationNotFound',
} as const;

type Repository = Pick<ResourceRepository, 'get' | 'list'>;
type DefinitionObject = Resource<{ version: string; upgradePolicy?: string }>;

/** The definition a definitionUpgrade names, as stored now. */
async function definitionOf(
  repository: Repository,
  upgrade: Pick<ChangeDefinitionUpgrade, 'kind' | 'name'>,
): Promise<DefinitionObject | undefined> {
  return (await repository.get({ kind: upgrade.kind, team: '', name: upgrade.name })) as
    DefinitionObject | undefined;
}

function uses(app: ApplicationObject, upgrade: Pick<ChangeDefinitionUpgrade, 'kind' | 'name'>): boolean {
  const used = definitionsUsed(app.spec);
  return (upgrade.kind === 'ComponentDefinition' ? used.components : used.traits).has(upgrade.name);
}

/** The team's applications that use the definition, by name. */
async function applicationsUsing(
  repository: Repository,
  team: string,
  upgrade: Pick<ChangeDefinitionUpgrade, 'kind' | 'name'>,
): Promise<Map<string, ApplicationObject>> {
  const page = await repository.list({ kind: 'Application', teams: [team], limit: 100_000 });
  const out = new Map<string, ApplicationObject>();
  for (const item of page.items) {
    const app = JSON.parse(item.json) as ApplicationObject;
    if (uses(app, upgrade)) out.set(app.metadata.name, app);
  }
  return out;
}

const clustersOf = (app: ApplicationObject) => (app.status?.targets ?? []).map((target) => target.cluster);

/**
 * What admission refuses of a definitionUpgrade (ADR 0039), with field paths: a definition that does not
 * exist or is not `upgradePolicy: Staged`, a generation it never had, a named target that is no
 * application (`web`) or application instance (`east/web`) of the team using the definition.
 */
export async function checkDefinitionUpgrade(
  repository: Repository,
  team: string,
  spec: ChangeSpec,
): Promise<ErrorDetail[]> {
  const upgrade = spec.definitionUpgrade;
  if (!upgrade) return [];
  const definition = await definitionOf(repository, upgrade);
  if (!definition)
    return [{ path: '/spec/definitionUpgrade/name', message: `no ${upgrade.kind} ${upgrade.name}` }];
  const errors: ErrorDetail[] = [];
  if (definition.spec.upgradePolicy !== 'Staged')
    errors.push({
      path: '/spec/definitionUpgrade/name',
      message: `${upgrade.kind} ${upgrade.name} is not upgradePolicy: Staged: its applications take every generation at once`,
    });
  if (upgrade.generation > definition.metadata.generation)
    errors.push({
      path: '/spec/definitionUpgrade/generation',
      message: `${upgrade.kind} ${upgrade.name} is at generation ${definition.metadata.generation}`,
    });
  const apps = await applicationsUsing(repository, team, upgrade);
  spec.targets.names?.forEach((name, index) => {
    const slash = name.indexOf('/');
    const application = slash < 0 ? name : name.slice(slash + 1);
    const app = apps.get(application);
    if (!app)
      errors.push({
        path: `/spec/targets/names/${index}`,
        message: `no application ${application} of team ${team} uses ${upgrade.kind} ${upgrade.name}`,
      });
    else if (slash >= 0 && !clustersOf(app).includes(name.slice(0, slash)))
      errors.push({
        path: `/spec/targets/names/${index}`,
        message: `application ${application} is not delivered to cluster ${name.slice(0, slash)}`,
      });
  });
  return errors;
}

export interface DefinitionUpgradeActuatorDeps {
  repository: Repository;
  resources: Pick<ResourceService, 'replace'>;
  /** Records the upgrade's revision of each application (`RevisionManager.recordUpgrade`). */
  revisions: Pick<RevisionManager, 'recordUpgrade' | 'list'>;
  clients?: Pick<ClusterClients, 'get'>;
  now: () => number;
}

function parseEntity(entity: string): { cluster: string; application: string } {
  const slash = entity.indexOf('/');
  return { cluster: entity.slice(0, slash), application: entity.slice(slash + 1) };
}

/**
 * Moves the application instances that use a definition to another generation of it (ADR 0039). For an
 * entity `cluster/app`, `apply` records (once per change and application) the revision of `app` that
 * renders with the definition at that generation — the application's spec and its other definitions
 * unchanged — and pins the cluster to it through the applicationRevision actuator, whose `progress`
 * (the cluster applied and healthy, the deadline, StatefulSet partitions) and `undo` (back to the
 * revision the cluster ran before) it shares: one mechanism of per-cluster pins, not two.
 */
export class DefinitionUpgradeActuator implements ChangeActuator {
  readonly entityKind = 'Cluster';
  readonly #pins: ApplicationRevisionActuator;

  constructor(private readonly deps: DefinitionUpgradeActuatorDeps) {
    this.#pins = new ApplicationRevisionActuator({
      repository: deps.repository,
      resources: deps.resources,
      ...(deps.clients ? { clients: deps.clients } : {}),
      now: deps.now,
    });
  }

  async resolve(team: string, spec: ChangeSpec, targets: ChangeTargets): Promise<TargetResolution> {
    const upgrade = spec.definitionUpgrade;
    if (!upgrade)
      return {
        ok: false,
        reason: DefinitionUpgradeReason.DefinitionNotFound,
        message: 'no definitionUpgrade',
      };
    const problems = await checkDefinitionUpgrade(this.deps.repository, team, spec);
    if (problems.length > 0) {
      const reason = problems.some((problem) => problem.path.startsWith('/spec/targets'))
        ? DefinitionUpgradeReason.NotUsingDefinition
        : problems.some((problem) => problem.path.endsWith('/generation'))
          ? DefinitionUpgradeReason.GenerationNotFound
          : DefinitionUpgradeReason.DefinitionNotFound;
      return { ok: false, reason, message: problems.map((p) => `${p.path}: ${p.message}`).join('; ') };
    }
    const apps = await applicationsUsing(this.deps.repository, team, upgrade);
    if (targets.names) {
      const entities = new Set<string>();
      for (const name of targets.names) {
        if (name.includes('/')) entities.add(name);
        else
          for (const cluster of clustersOf(apps.get(name)!)) entities.add(applicationEntity(cluster, name));
      }
      return { ok: true, entities: [...entities].sort() };
    }
    const selector = targets.selector ? parseLabelSelector(targets.selector) : undefined;
    const labels = await this.#instanceLabels(team, apps);
    return {
      ok: true,
      entities: [...labels]
        .filter(([, set]) => !selector || matchesSelector(selector, set))
        .map(([entity]) => entity)
        .sort(),
    };
  }

  async apply(request: ApplyRequest): Promise<ActuatorOutcome> {
    const upgrade = request.spec.definitionUpgrade;
    if (!upgrade) return noUpgrade();
    const { application } = parseEntity(request.entity);
    const app = await this.#application(request.team, application);
    if (!app)
      return {
        status: 'Failed',
        reason: DefinitionUpgradeReason.ApplicationNotFound,
        message: `no application ${application} in team ${request.team}`,
      };
    const entry = await this.#entry(request.team, app, upgrade);
    if (!entry)
      return {
        status: 'Failed',
        reason: DefinitionUpgradeReason.GenerationNotFound,
        message: `${upgrade.kind} ${upgrade.name} generation ${upgrade.generation} is neither current nor recorded by a revision of ${application}`,
      };
    const record: DefinitionUpgradeRecord = {
      change: request.change,
      kind: upgrade.kind,
      name: upgrade.name,
      generation: upgrade.generation,
      entry,
    };
    const revision = await this.deps.revisions.recordUpgrade(app, record);
    return this.#pins.apply({
      ...request,
      spec: asRevisionChange(request.spec, upgrade, application, revision),
    });
  }

  canUndo(): boolean {
    return true;
  }

  /**
   * Back to the revision the cluster ran before this change pinned it (the applicationRevision undo): the
   * cluster's pin, when it names a revision this change recorded.
   */
  async undo(request: ApplyRequest): Promise<ActuatorOutcome> {
    const upgrade = request.spec.definitionUpgrade;
    if (!upgrade) return noUpgrade();
    const { cluster, application } = parseEntity(request.entity);
    const app = await this.#application(request.team, application);
    const pinned = app ? readPins(app)?.clusters[cluster] : undefined;
    const revision = (await this.deps.revisions.list(request.team, application)).find(
      (candidate) => candidate.spec.revision === pinned && candidate.spec.upgrade?.change === request.change,
    );
    if (!revision)
      return {
        status: 'Succeeded',
        message: `${cluster} is not at a revision of ${application} this change recorded: nothing to undo`,
      };
    return this.#pins.undo({
      ...request,
      spec: asRevisionChange(request.spec, upgrade, application, revision.spec.revision),
    });
  }

  progress(request: ApplyRequest & { handle: string }): Promise<ActuatorOutcome> {
    const upgrade = request.spec.definitionUpgrade;
    if (!upgrade) return Promise.resolve(noUpgrade());
    const revision = Number(/^revision\/(\d+)\//.exec(request.handle)?.[1] ?? 1);
    const { application } = parseEntity(request.entity);
    return this.#pins.progress({
      ...request,
      spec: asRevisionChange(request.spec, upgrade, application, revision),
    });
  }

  /** Every application instance of the team, with its cluster's labels (the budgets' domains). */
  labels(team: string): Promise<Map<string, Record<string, string>>> {
    return this.#pins.labels(team);
  }

  subject(team: string, entity: string) {
    return this.#pins.subject(team, entity);
  }

  /** The definition at the upgrade's generation: the current one, or the snapshot a revision of the application keeps. */
  async #entry(
    team: string,
    app: ApplicationObject,
    upgrade: ChangeDefinitionUpgrade,
  ): Promise<DefinitionUpgradeRecord['entry'] | undefined> {
    const current = await definitionOf(this.deps.repository, upgrade);
    if (current?.metadata.generation === upgrade.generation)
      return { version: current.spec.version, generation: current.metadata.generation, spec: current.spec };
    const key = upgrade.kind === 'ComponentDefinition' ? 'components' : 'traits';
    const revisions: RevisionObject[] = await this.deps.revisions.list(team, app.metadata.name);
    return revisions
      .map((revision) => revision.spec.definitions[key][upgrade.name])
      .findLast((entry) => entry?.generation === upgrade.generation);
  }

  /** Each instance (`cluster/app`) with its cluster's labels, the application's, and both names. */
  async #instanceLabels(
    team: string,
    apps: ReadonlyMap<string, ApplicationObject>,
  ): Promise<Map<string, Record<string, string>>> {
    const page = await this.deps.repository.list({ kind: 'Cluster', teams: [team], limit: 100_000 });
    const clusters = new Map(
      page.items.map((item) => {
        const cluster = JSON.parse(item.json) as Resource<ClusterSpec>;
        return [cluster.metadata.name, cluster.metadata.labels ?? {}];
      }),
    );
    const out = new Map<string, Record<string, string>>();
    for (const [name, app] of apps)
      for (const cluster of clustersOf(app))
        out.set(applicationEntity(cluster, name), {
          ...clusters.get(cluster),
          ...app.metadata.labels,
          [CLUSTER_DOMAIN_LABEL]: cluster,
          [deliveryLabels.application]: name,
        });
    return out;
  }

  async #application(team: string, name: string): Promise<ApplicationObject | undefined> {
    return (await this.deps.repository.get({ kind: 'Application', team, name })) as
      ApplicationObject | undefined;
  }
}

function noUpgrade(): ActuatorOutcome {
  return {
    status: 'Failed',
    reason: DefinitionUpgradeReason.DefinitionNotFound,
    message: 'no definitionUpgrade',
  };
}

/** The spec the applicationRevision actuator reads for one application of the upgrade. */
function asRevisionChange(
  spec: ChangeSpec,
  upgrade: ChangeDefinitionUpgrade,
  application: string,
  revision: number,
): ChangeSpec {
  const { definitionUpgrade: _upgrade, ...rest } = spec;
  return {
    ...rest,
    applicationRevision: {
      application,
      revision,
      progressDeadlineSeconds: upgrade.progressDeadlineSeconds,
      ...(upgrade.partitionStep !== undefined ? { partitionStep: upgrade.partitionStep } : {}),
    },
  };
}
