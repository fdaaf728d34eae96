import type { EventRecorder } from '@gantry/controllers';
import type { KubeObject } from '@gantry/fleet';
import {
  ClusterApplier,
  describeRef,
  objectRef,
  refKey,
  type ApplyOptions,
  type KubeManifest,
  type ObjectRef,
} from '../kube/applier.ts';
import { CONTROLLER_ACTOR } from './application-events.ts';
import { APP_LABEL, TEAM_LABEL } from './revisions.ts';

/** The field manager Gantry's server-side apply writes as (ClusterApplier's default). */
export const GANTRY_FIELD_MANAGER = 'gantry';

/** Reasons of the drift events (ADR 0031). */
export const DriftEventReason = {
  /** Another field manager changed fields Gantry applied (Warning). */
  DriftDetected: 'DriftDetected',
  /** Gantry applied its fields again (policy Restore). */
  DriftRestored: 'DriftRestored',
  /** A restore waits for the application's windows (policy Restore). */
  DriftRestoreWaiting: 'DriftRestoreWaiting',
} as const;

export type DriftPolicy = 'Report' | 'Restore';

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string;
  fieldsV1?: Record<string, unknown>;
}

/** One owned field, as a path of fieldsV1 keys (`f:spec`, `k:{"name":"web"}`, `f:image`). */
type FieldPath = readonly string[];

const pathKey = (path: FieldPath) => path.join('\u0000');

/**
 * The leaf fields of a fieldsV1 set. A key whose value is `{}` is a leaf; `.` marks a node owned as a whole
 * (a list item): it counts as one field too, but its value is not compared (its children are fields of
 * their own, and its whole value includes what the API server defaulted).
 */
export function ownedFields(
  fieldsV1: Record<string, unknown> | undefined,
): { path: FieldPath; leaf: boolean }[] {
  const out: { path: FieldPath; leaf: boolean }[] = [];
  const walk = (node: Record<string, unknown>, path: string[]) => {
    for (const [key, child] of Object.entries(node)) {
      if (key === '.') {
        out.push({ path, leaf: false });
        continue;
      }
      const next = [...path, key];
      const children = (child ?? {}) as Record<string, unknown>;
      if (Object.keys(children).length === 0) out.push({ path: next, leaf: true });
      else walk(children, next);
    }
  };
  if (fieldsV1) walk(fieldsV1, []);
  return out;
}

/** The value at a fieldsV1 path in an object; `found: false` when some step is missing. */
export function valueAt(object: unknown, path: FieldPath): { found: boolean; value?: unknown } {
  let current: unknown = object;
  for (const segment of path) {
    const kind = segment.slice(0, 2);
    const rest = segment.slice(2);
    if (kind === 'f:') {
      if (typeof current !== 'object' || current === null || Array.isArray(current)) return { found: false };
      if (!(rest in current)) return { found: false };
      current = (current as Record<string, unknown>)[rest];
    } else if (kind === 'k:' || kind === 'v:') {
      if (!Array.isArray(current)) return { found: false };
      let wanted: unknown;
      try {
        wanted = JSON.parse(rest);
      } catch {
        return { found: false };
      }
      const match =
        kind === 'v:'
          ? current.find((item) => JSON.stringify(item) === JSON.stringify(wanted))
          : current.find(
              (item) =>
                typeof item === 'object' &&
                item !== null &&
                Object.entries(wanted as Record<string, unknown>).every(
                  ([field, value]) =>
                    JSON.stringify((item as Record<string, unknown>)[field]) === JSON.stringify(value),
                ),
            );
      if (match === undefined) return { found: false };
      current = match;
    } else return { found: false };
  }
  return { found: true, value: current };
}

/** `spec.template.spec.containers[name=web].image`: a fieldsV1 path as people read it. */
export function displayPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    const rest = segment.slice(2);
    if (segment.startsWith('f:')) out += out === '' ? rest : `.${rest}`;
    else if (segment.startsWith('k:')) {
      try {
        const keys = JSON.parse(rest) as Record<string, unknown>;
        out += `[${Object.entries(keys)
          .map(([field, value]) => `${field}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
          .join(',')}]`;
      } catch {
        out += `[${rest}]`;
      }
    } else out += `[${rest}]`;
  }
  return out;
}

function entries(object: KubeObject): ManagedFieldsEntry[] {
  const managed = (object.metadata as { managedFields?: unknown }).managedFields;
  return Array.isArray(managed) ? (managed as ManagedFieldsEntry[]) : [];
}

/** Fields of the object itself (not of a subresource such as status) a manager owns. */
function ownedBy(
  object: KubeObject,
  accept: (entry: ManagedFieldsEntry) => boolean,
): Map<string, { path: FieldPath; leaf: boolean }> {
  const owned = new Map<string, { path: FieldPath; leaf: boolean }>();
  for (const entry of entries(object)) {
    if (!accept(entry) || (entry.subresource !== undefined && entry.subresource !== '')) continue;
    for (const field of ownedFields(entry.fieldsV1)) owned.set(pathKey(field.path), field);
  }
  return owned;
}

/** What Gantry owned just after its own apply, with the values the API server answered (after admission). */
export interface AppliedFields {
  resourceVersion: string | undefined;
  fields: Map<string, { path: FieldPath; leaf: boolean; value: string | undefined }>;
}

export function appliedFields(live: KubeObject, manager = GANTRY_FIELD_MANAGER): AppliedFields {
  const fields = new Map<string, { path: FieldPath; leaf: boolean; value: string | undefined }>();
  for (const [key, field] of ownedBy(
    live,
    (entry) => entry.manager === manager && entry.operation === 'Apply',
  )) {
    const found = field.leaf ? valueAt(live, field.path) : { found: false };
    fields.set(key, { ...field, value: found.found ? JSON.stringify(found.value) : undefined });
  }
  return { resourceVersion: live.metadata.resourceVersion, fields };
}

/** One field of Gantry's that someone else changed. */
export interface FieldDrift {
  field: string;
  /** The manager that owns it now; `unknown` when none does (a value changed under Gantry's ownership). */
  manager: string;
  applied?: unknown;
  live?: unknown;
}

/**
 * The fields Gantry applied that someone else changed, comparing the live object with what Gantry owned
 * right after its apply: a field that another manager now owns (an edit, a patch, a forced apply), or a
 * leaf Gantry still owns whose value is no longer the one the API server answered Gantry. Fields Gantry
 * never set (defaults) and what admission changed during Gantry's own apply are in neither, so they are
 * never drift.
 */
export function detectDrift(
  applied: AppliedFields,
  live: KubeObject,
  manager = GANTRY_FIELD_MANAGER,
): FieldDrift[] {
  if (live.metadata.resourceVersion === applied.resourceVersion) return [];
  // Every write of Gantry's own manager is Gantry's, whatever its operation.
  const mine = ownedBy(live, (entry) => entry.manager === manager);
  const others = new Map<string, string>();
  for (const entry of entries(live)) {
    if (entry.manager === manager) continue;
    if (entry.subresource !== undefined && entry.subresource !== '') continue;
    for (const field of ownedFields(entry.fieldsV1))
      others.set(pathKey(field.path), entry.manager ?? 'unknown');
  }
  const drifts: FieldDrift[] = [];
  for (const [key, field] of applied.fields) {
    const now = field.leaf ? valueAt(live, field.path) : { found: false };
    const liveValue = now.found ? { live: now.value } : {};
    const appliedValue = field.value !== undefined ? { applied: JSON.parse(field.value) as unknown } : {};
    if (!mine.has(key)) {
      const owner = others.get(key);
      if (owner !== undefined)
        drifts.push({ field: displayPath(field.path), manager: owner, ...appliedValue, ...liveValue });
      continue;
    }
    if (field.leaf && JSON.stringify(now.value) !== field.value)
      drifts.push({
        field: displayPath(field.path),
        manager: others.get(key) ?? 'unknown',
        ...appliedValue,
        ...liveValue,
      });
  }
  return drifts;
}

const short = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? 'unset' : text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

export function describeDrift(ref: ObjectRef, drifts: readonly FieldDrift[]): string {
  const fields = drifts
    .map((drift) =>
      'applied' in drift || 'live' in drift
        ? `${drift.field} (${short(drift.applied)} → ${short(drift.live)}, by ${drift.manager})`
        : `${drift.field} (by ${drift.manager})`,
    )
    .join('; ');
  return `${describeRef(ref)} changed by someone else: ${fields}`;
}

/** An object of an application that drifted and has not been restored. */
export interface DriftedObject {
  cluster: string;
  ref: ObjectRef;
  drifts: FieldDrift[];
}

/**
 * Change detection for the application controller (ADR 0031). It keeps, per object Gantry applied, the
 * fields Gantry owned right after the apply (`applied`, fed by `TrackingApplier`), and compares every
 * watched version of the object with them (`observe`, fed by the clusters' workload watches). A drift is
 * recorded once per distinct set of changed fields, as a Warning event regarding the object and another
 * regarding the application, and is kept pending until the application applies its fields again.
 */
export class DriftDetector {
  readonly #applied = new Map<string, AppliedFields>();
  readonly #inflight = new Map<string, number>();
  readonly #reported = new Map<string, string>();
  readonly #pending = new Map<string, Map<string, DriftedObject>>();
  /** Objects whose watch has shown Gantry's last applied version (or a later one). */
  readonly #caughtUp = new Set<string>();

  constructor(private readonly deps: { events: EventRecorder; manager?: string }) {}

  #key(team: string, cluster: string, ref: ObjectRef): string {
    return `${team}/${cluster}/${refKey(ref)}`;
  }

  /** Gantry is about to apply this object: its watch events until the answer are Gantry's own. */
  applying(team: string, cluster: string, ref: ObjectRef): void {
    const key = this.#key(team, cluster, ref);
    this.#inflight.set(key, (this.#inflight.get(key) ?? 0) + 1);
  }

  /** Gantry's apply answered (or failed: `live` undefined). */
  applied(team: string, cluster: string, ref: ObjectRef, live: KubeObject | undefined): void {
    const key = this.#key(team, cluster, ref);
    const left = (this.#inflight.get(key) ?? 1) - 1;
    if (left > 0) this.#inflight.set(key, left);
    else this.#inflight.delete(key);
    if (!live) return;
    this.#applied.set(key, appliedFields(live, this.deps.manager));
    this.#reported.delete(key);
    this.#caughtUp.delete(key);
  }

  /** A watched version of an object on `cluster` of `team` (with its managedFields). */
  observe(team: string, cluster: string, live: KubeObject, deleted = false): void {
    const labels = live.metadata.labels ?? {};
    const app = labels[APP_LABEL];
    if (!app || labels[TEAM_LABEL] !== team) return;
    let ref: ObjectRef;
    try {
      ref = objectRef(live);
    } catch {
      return;
    }
    const key = this.#key(team, cluster, ref);
    if (deleted) {
      this.#applied.delete(key);
      this.#caughtUp.delete(key);
      this.#reported.delete(key);
      this.#pending.get(`${team}/${app}`)?.delete(key);
      return;
    }
    const applied = this.#applied.get(key);
    if (!applied || this.#inflight.has(key) || !this.#newer(key, applied, live)) return;
    const drifts = detectDrift(applied, live, this.deps.manager);
    if (drifts.length === 0) return;
    const signature = JSON.stringify(drifts);
    if (this.#reported.get(key) === signature) return;
    this.#reported.set(key, signature);
    const appKey = `${team}/${app}`;
    const pending = this.#pending.get(appKey) ?? new Map<string, DriftedObject>();
    pending.set(key, { cluster, ref, drifts });
    this.#pending.set(appKey, pending);
    const message = describeDrift(ref, drifts);
    const actor = CONTROLLER_ACTOR;
    this.deps.events.record({
      type: 'Warning',
      reason: DriftEventReason.DriftDetected,
      message: `${message} (application ${app})`,
      regarding: {
        kind: ref.kind,
        name: ref.name,
        team,
        cluster,
        ...(ref.namespace ? { namespace: ref.namespace } : {}),
      },
      actor,
    });
    this.deps.events.record({
      type: 'Warning',
      reason: DriftEventReason.DriftDetected,
      message,
      regarding: { kind: 'Application', name: app, team, cluster },
      actor,
    });
  }

  /**
   * Whether `live` comes after Gantry's last apply. The watch delivers versions in order but may deliver
   * one older than Gantry's answer after that answer arrived (a status update made just before the apply):
   * until the watch shows Gantry's own version, older ones are skipped. A relist may jump past it: a
   * numerically greater resourceVersion (etcd's revisions) counts as later too.
   */
  #newer(key: string, applied: AppliedFields, live: KubeObject): boolean {
    if (this.#caughtUp.has(key)) return true;
    const version = live.metadata.resourceVersion;
    if (version === applied.resourceVersion) {
      this.#caughtUp.add(key);
      return false;
    }
    const later =
      version !== undefined &&
      applied.resourceVersion !== undefined &&
      /^\d+$/.test(version) &&
      /^\d+$/.test(applied.resourceVersion) &&
      BigInt(version) > BigInt(applied.resourceVersion);
    if (later) this.#caughtUp.add(key);
    return later;
  }

  /** The application's drifted objects not yet applied again. */
  pending(team: string, app: string): DriftedObject[] {
    return [...(this.#pending.get(`${team}/${app}`)?.values() ?? [])];
  }

  /**
   * The application's fields were applied again everywhere: its pending drifts are over, each recorded as
   * restored — by its policy Restore, or by a full apply (a new revision, the periodic resync).
   */
  settled(team: string, app: string, by: 'policy' | 'resync'): void {
    const pending = this.#pending.get(`${team}/${app}`);
    if (!pending) return;
    this.#pending.delete(`${team}/${app}`);
    for (const drifted of pending.values()) {
      const fields = drifted.drifts.map((d) => d.field).join(', ');
      this.deps.events.record({
        type: 'Normal',
        reason: DriftEventReason.DriftRestored,
        message: `${describeRef(drifted.ref)}: applied ${fields} again (${by === 'policy' ? 'drift policy Restore' : 'a full apply'})`,
        regarding: { kind: 'Application', name: app, team, cluster: drifted.cluster },
        actor: CONTROLLER_ACTOR,
      });
    }
  }

  /** The application is gone, or this server no longer leads: forget everything about it. */
  clear(): void {
    this.#applied.clear();
    this.#inflight.clear();
    this.#reported.clear();
    this.#pending.clear();
    this.#caughtUp.clear();
  }
}

/** A ClusterApplier that tells the drift detector what Gantry owns after each real (not dry-run) apply. */
export class TrackingApplier extends ClusterApplier {
  constructor(
    client: ConstructorParameters<typeof ClusterApplier>[0],
    options: ConstructorParameters<typeof ClusterApplier>[1],
    private readonly tracking: {
      detector: DriftDetector;
      team: string;
      cluster: string;
      /** Only kinds the cluster's watch follows can drift visibly: the others are not kept. */
      watched: (kind: { apiVersion: string; kind: string }) => boolean;
    },
  ) {
    super(client, options);
  }

  override async apply(object: KubeManifest, options: ApplyOptions): Promise<KubeObject> {
    const { detector, team, cluster, watched } = this.tracking;
    if (options.dryRun || !watched({ apiVersion: object.apiVersion, kind: object.kind }))
      return super.apply(object, options);
    const ref = await this.placedRef(object, options.defaultNamespace);
    detector.applying(team, cluster, ref);
    let live: KubeObject | undefined;
    try {
      live = await super.apply(object, options);
      return live;
    } finally {
      detector.applied(team, cluster, ref, live);
    }
  }
}
