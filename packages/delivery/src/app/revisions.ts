import {
  ConflictError,
  ErrorCodes,
  isGantryError,
  type ApplicationRevisionSpec,
  type ApplicationSpec,
  type ApplicationStatus,
  type Resource,
} from '@gantry/model';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import type { ResourceRepository, WriteFence } from '@gantry/store';
import { deliveryAnnotations, deliveryLabels, parseLabelSelector } from '@gantry/model';
import type { DefinitionSnapshot, DefinitionSource } from './definitions.ts';
import { sha256 } from './hash.ts';

export const APP_LABEL = deliveryLabels.application;
export const TEAM_LABEL = deliveryLabels.team;
export const COMPONENT_LABEL = deliveryLabels.component;
export const REVISION_ANNOTATION = deliveryAnnotations.revision;
/** Set by a rollback: the revision whose definitions the application uses while its spec equals that revision's. */
export const DEFINITIONS_FROM_ANNOTATION = deliveryAnnotations.definitionsFrom;

export type ApplicationObject = Resource<ApplicationSpec, ApplicationStatus>;
export type RevisionObject = Resource<ApplicationRevisionSpec>;

const CALLER = { principal: SYSTEM_PRINCIPAL, source: 'controller/application' };

/** The revisions the application's per-cluster pins name (`app.gantry.dev/cluster-revisions`). */
function pinnedRevisions(app: ApplicationObject): Set<number> {
  const raw = app.metadata.annotations?.[deliveryAnnotations.clusterRevisions];
  if (raw === undefined) return new Set();
  try {
    const pins = JSON.parse(raw) as { base?: unknown; clusters?: Record<string, unknown> };
    return new Set(
      [pins.base, ...Object.values(pins.clusters ?? {})].filter((n): n is number => typeof n === 'number'),
    );
  } catch {
    return new Set();
  }
}

/**
 * Whether a revision counts as the application's own (ADR 0039): every revision, except one a definition
 * upgrade recorded that no pin has named yet (the upgrade's Change records it, then pins a cluster to
 * it; until a pin names it, or once no pin does any more (its Change rolled back), the application
 * carries on as if it did not exist; once every cluster runs it, `status.revision` names it).
 */
export function revisionAccepted(app: ApplicationObject, revision: RevisionObject): boolean {
  if (!revision.spec.upgrade) return true;
  return pinnedRevisions(app).has(revision.spec.revision) || revision.spec.revision === app.status?.revision;
}

/**
 * The current definitions with every `upgradePolicy: Staged` one the application already recorded held
 * at the generation its newest revision has (ADR 0039): a staged definition's new generation reaches an
 * application only through a definition upgrade. A definition the newest revision does not have (newly
 * used) is taken as it is now.
 */
export function stagedDefinitions(
  current: DefinitionSnapshot,
  newest: RevisionObject | undefined,
): DefinitionSnapshot {
  if (!newest) return current;
  const hold = (now: DefinitionSnapshot['components'], before: DefinitionSnapshot['components']) => {
    let out: DefinitionSnapshot['components'] | undefined;
    for (const [name, entry] of Object.entries(now)) {
      const staged = (entry.spec as { upgradePolicy?: string }).upgradePolicy === 'Staged';
      const kept = before[name];
      if (!staged || !kept || kept.generation === entry.generation) continue;
      out ??= { ...now };
      out[name] = kept;
    }
    return out ?? now;
  };
  const components = hold(current.components, newest.spec.definitions.components);
  const traits = hold(current.traits, newest.spec.definitions.traits);
  return components === current.components && traits === current.traits ? current : { components, traits };
}

/** What a definition upgrade records for one application (ADR 0039). */
export interface DefinitionUpgradeRecord {
  change: string;
  kind: 'ComponentDefinition' | 'TraitDefinition';
  name: string;
  generation: number;
  /** The definition at that generation, as a revision snapshots it. */
  entry: DefinitionSnapshot['components'][string];
}

/** `<app>-v<N>`, shortened with a hash of the app's name when that would pass 63 characters. */
export function revisionName(app: string, revision: number): string {
  const suffix = `-v${revision}`;
  if (app.length + suffix.length <= 63) return `${app}${suffix}`;
  return `${app.slice(0, 63 - suffix.length - 9).replace(/-+$/, '')}-${sha256(app).slice(0, 8)}${suffix}`;
}

/**
 * What the application controller remembers of revisions during one term (ADR 0028): the newest revision
 * of each application it made or read, to skip listing them on every reconcile. It lives in the term's
 * scope and goes with it: another server may record newer revisions while this one does not lead, so a
 * newest revision remembered from an earlier term would be wrong (issue 15: revision 9 with revision 7's
 * content was taken for 7).
 */
export class RevisionCache {
  readonly latest = new Map<
    string,
    { uid: string; revision: RevisionObject; hashed?: { input: string; hash: string } }
  >();
  /** Revisions of many applications embed the same definitions: one copy of each (by content). */
  readonly definitionPool = new Map<string, DefinitionSnapshot['components'][string]>();
}

/** Records an application's revisions: one per distinct (spec, definitions), immutable, oldest pruned past the limit. */
export class RevisionManager {
  constructor(
    private readonly deps: {
      resources: ResourceService;
      repository: Pick<ResourceRepository, 'list' | 'get'>;
      definitions: DefinitionSource;
    },
  ) {}

  async list(team: string, app: string): Promise<RevisionObject[]> {
    const page = await this.deps.repository.list({
      kind: 'ApplicationRevision',
      teams: [team],
      selector: parseLabelSelector(`${APP_LABEL}=${app}`),
      limit: 10_000,
    });
    return page.items
      .map((item) => JSON.parse(item.json) as RevisionObject)
      .sort((a, b) => a.spec.revision - b.spec.revision);
  }

  /** The definitions the application should use now: pinned by a rollback while its spec is unchanged, else current. */
  async desiredDefinitions(
    app: ApplicationObject,
    revisions: readonly RevisionObject[],
  ): Promise<DefinitionSnapshot> {
    const pinned = Number(app.metadata.annotations?.[DEFINITIONS_FROM_ANNOTATION]);
    if (Number.isInteger(pinned)) {
      const source = revisions.find((r) => r.spec.revision === pinned);
      if (source && sha256(source.spec.applicationSpec) === sha256(app.spec)) return source.spec.definitions;
    }
    const current = (await this.deps.definitions.forSpec(app.spec)).snapshot;
    return stagedDefinitions(
      current,
      revisions.findLast((revision) => revisionAccepted(app, revision)),
    );
  }

  /**
   * The revision for the application as it is now, made if it does not exist yet. `cache` is the term's;
   * `fence` the term's fence, carried by the writes (a new revision, pruning old ones).
   */
  async ensure(
    app: ApplicationObject,
    cache: RevisionCache,
    fence?: WriteFence,
  ): Promise<{ revision: RevisionObject; created: boolean; latest: number }> {
    const team = app.metadata.team ?? '';
    const id = `${team}/${app.metadata.name}`;
    const cached = cache.latest.get(id);
    if (
      cached &&
      cached.uid === app.metadata.uid &&
      app.metadata.annotations?.[DEFINITIONS_FROM_ANNOTATION] === undefined &&
      // A definition upgrade's revision pinned since, or unpinned by a rollback: list again (ADR 0039).
      Math.max(0, ...pinnedRevisions(app)) <= cached.revision.spec.revision &&
      revisionAccepted(app, cached.revision)
    ) {
      // The same generation of the spec with the same definition versions hashes as it did last time.
      const current = await this.deps.definitions.forSpec(app.spec);
      const input = `${app.metadata.generation}|${current.key}`;
      const hash =
        cached.hashed?.input === input
          ? cached.hashed.hash
          : sha256({ spec: app.spec, definitions: stagedDefinitions(current.snapshot, cached.revision) });
      if (cached.revision.spec.hash === hash) {
        cached.hashed = { input, hash };
        return { revision: cached.revision, created: false, latest: cached.revision.spec.revision };
      }
    }
    const all = await this.list(team, app.metadata.name);
    // A definition upgrade's revision no pin names yet is not the application's (ADR 0039).
    const revisions = all.filter((revision) => revisionAccepted(app, revision));
    const definitions = await this.desiredDefinitions(app, revisions);
    const hash = sha256({ spec: app.spec, definitions });
    const latest = revisions.at(-1);
    if (latest?.spec.hash === hash) {
      this.#remember(cache, id, app, latest);
      return { revision: latest, created: false, latest: latest.spec.revision };
    }
    const number = (all.at(-1)?.spec.revision ?? 0) + 1;
    const pinned = Number(app.metadata.annotations?.[DEFINITIONS_FROM_ANNOTATION]);
    const rolledBackTo = revisions.find((r) => r.spec.revision === pinned && r.spec.hash === hash);
    const same = revisions.findLast((r) => r.spec.hash === hash);
    const cause = !latest
      ? 'created'
      : rolledBackTo
        ? `rollback to revision ${pinned}`
        : same
          ? `updated (same as revision ${same.spec.revision})`
          : 'updated';
    const body = revisionBody(app, number, { hash, definitions, cause });
    try {
      const created = (await this.deps.resources.create(
        CALLER,
        'ApplicationRevision',
        team,
        body,
        fence ? { fence } : {},
      )) as RevisionObject;
      await this.#prune(app, [...all, created], fence);
      this.#remember(cache, id, app, created);
      return { revision: created, created: true, latest: number };
    } catch (error) {
      // Another server made it first: take theirs.
      if (isGantryError(error) && error.code === ErrorCodes.alreadyExists) {
        const theirs = (await this.deps.repository.get({
          kind: 'ApplicationRevision',
          team,
          name: body.metadata.name,
        })) as RevisionObject | undefined;
        if (theirs?.spec.hash === hash) return { revision: theirs, created: false, latest: number };
        throw new ConflictError(
          `revision ${body.metadata.name} exists with another content; retrying`,
          ErrorCodes.conflict,
        );
      }
      throw error;
    }
  }

  /**
   * Caches an application's newest revision. Revisions of many applications embed the same definitions:
   * the cache shares one copy of each (by content), so 300 applications cost one catalog, not 300.
   */
  #remember(cache: RevisionCache, id: string, app: ApplicationObject, revision: RevisionObject): void {
    const share = (record: DefinitionSnapshot['components']) => {
      for (const [name, definition] of Object.entries(record)) {
        const key = `${name}\u0000${sha256(definition)}`;
        const known = cache.definitionPool.get(key);
        if (known) record[name] = known;
        else cache.definitionPool.set(key, definition);
      }
    };
    share(revision.spec.definitions.components);
    share(revision.spec.definitions.traits);
    cache.latest.set(id, { uid: app.metadata.uid, revision });
  }

  /** Keeps the newest `revisionHistoryLimit` revisions, and always the one applied. */
  async #prune(
    app: ApplicationObject,
    revisions: readonly RevisionObject[],
    fence: WriteFence | undefined,
  ): Promise<void> {
    const excess = revisions.length - app.spec.revisionHistoryLimit;
    if (excess <= 0) return;
    const applied = app.status?.revision;
    // Revisions a rollout holds clusters at (ADR 0036) are kept like the applied one.
    const pinned = pinnedRevisions(app);
    for (const revision of revisions.slice(0, excess)) {
      if (revision.spec.revision === applied || pinned.has(revision.spec.revision)) continue;
      await this.deps.resources
        .delete(
          CALLER,
          'ApplicationRevision',
          app.metadata.team,
          revision.metadata.name,
          fence ? { fence } : {},
        )
        .catch((error: unknown) => {
          if (!(isGantryError(error) && error.status === 404)) throw error;
        });
    }
  }

  /**
   * The revision a definition upgrade moves `app` to (ADR 0039): the application's spec and the
   * definitions it uses, with `upgrade`'s definition at the upgrade's generation. Made once per Change
   * and application spec (a repeat finds it by its `upgrade` mark; after an edit of the application, the
   * next instances get a revision of the edited spec); when the newest revision already renders so, that
   * one. Answers the revision's number.
   */
  async recordUpgrade(app: ApplicationObject, upgrade: DefinitionUpgradeRecord): Promise<number> {
    const team = app.metadata.team ?? '';
    for (let attempt = 1; ; attempt++) {
      const all = await this.list(team, app.metadata.name);
      const mine = all.findLast(
        (revision) =>
          revision.spec.upgrade?.change === upgrade.change &&
          revision.spec.upgrade.kind === upgrade.kind &&
          revision.spec.upgrade.name === upgrade.name &&
          revision.spec.upgrade.generation === upgrade.generation &&
          sha256(revision.spec.applicationSpec) === sha256(app.spec),
      );
      if (mine) return mine.spec.revision;
      const accepted = all.filter((revision) => revisionAccepted(app, revision));
      const base = await this.desiredDefinitions(app, accepted);
      const key = upgrade.kind === 'ComponentDefinition' ? 'components' : 'traits';
      const definitions: DefinitionSnapshot = {
        ...base,
        [key]: Object.fromEntries(
          Object.entries({ ...base[key], [upgrade.name]: upgrade.entry }).sort(([a], [b]) =>
            a.localeCompare(b),
          ),
        ),
      };
      const hash = sha256({ spec: app.spec, definitions });
      const newest = accepted.at(-1);
      if (newest?.spec.hash === hash) return newest.spec.revision;
      const number = (all.at(-1)?.spec.revision ?? 0) + 1;
      try {
        await this.deps.resources.create(
          CALLER,
          'ApplicationRevision',
          team,
          revisionBody(app, number, {
            hash,
            definitions,
            cause: `${upgrade.kind} ${upgrade.name} upgraded to generation ${upgrade.generation} by change ${upgrade.change}`,
            upgrade: {
              change: upgrade.change,
              kind: upgrade.kind,
              name: upgrade.name,
              generation: upgrade.generation,
            },
          }),
        );
        return number;
      } catch (error) {
        // The controller (or another entity of the change) took the number first: look again.
        if (!(isGantryError(error) && error.code === ErrorCodes.alreadyExists) || attempt >= 5) throw error;
      }
    }
  }

  /** Deletes every revision of an application that is gone; how many there were. */
  async deleteAll(team: string, app: string, cache: RevisionCache, fence?: WriteFence): Promise<number> {
    cache.latest.delete(`${team}/${app}`);
    const revisions = await this.list(team, app);
    for (const revision of revisions) {
      await this.deps.resources
        .delete(CALLER, 'ApplicationRevision', team, revision.metadata.name, fence ? { fence } : {})
        .catch((error: unknown) => {
          if (!(isGantryError(error) && error.status === 404)) throw error;
        });
    }
    return revisions.length;
  }
}

/** The ApplicationRevision `number` of `app`: its spec as it is, rendered with `parts.definitions`. */
function revisionBody(
  app: ApplicationObject,
  number: number,
  parts: Pick<ApplicationRevisionSpec, 'hash' | 'definitions' | 'cause' | 'upgrade'>,
) {
  const team = app.metadata.team ?? '';
  return {
    apiVersion: app.apiVersion,
    kind: 'ApplicationRevision',
    metadata: {
      name: revisionName(app.metadata.name, number),
      team,
      labels: { [APP_LABEL]: app.metadata.name },
    },
    spec: {
      application: app.metadata.name,
      revision: number,
      applicationSpec: app.spec,
      ...parts,
    } satisfies ApplicationRevisionSpec,
  };
}
