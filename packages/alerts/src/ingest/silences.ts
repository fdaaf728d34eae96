import { randomUUID } from 'node:crypto';
import {
  InputError,
  NotFoundError,
  type GettableSilence,
  type PostableSilence,
  type Resource,
  type SilenceSpec,
  type SilenceState,
  type SilenceStatus,
} from '@gantry/model';
import { SYSTEM_PRINCIPAL, readableTeams, type Caller } from '@gantry/identity';
import type { ResourceService } from '@gantry/resources';
import { matchesAll, type CompiledMatcher, type LabelSet } from '../matchers.ts';

type Resources = Pick<ResourceService, 'create' | 'get' | 'list' | 'replace' | 'patch' | 'replaceStatus'>;

const SYSTEM: Caller = { principal: SYSTEM_PRINCIPAL, source: 'alerts' };

/** A silence's state at `now` (ms): pending before startsAt, expired from endsAt on, active between. */
export function silenceState(spec: Pick<SilenceSpec, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now < Date.parse(spec.startsAt)) return 'pending';
  if (now >= Date.parse(spec.endsAt)) return 'expired';
  return 'active';
}

/** The Alertmanager API's view of a Silence object; the silence's id is the object's name. */
export function toGettableSilence(object: Resource, now: number): GettableSilence {
  const spec = object.spec as SilenceSpec;
  return {
    id: object.metadata.name,
    status: { state: silenceState(spec, now) },
    updatedAt: object.metadata.updatedTimestamp ?? object.metadata.creationTimestamp ?? '',
    matchers: spec.matchers,
    startsAt: spec.startsAt,
    endsAt: spec.endsAt,
    createdBy: spec.createdBy,
    comment: spec.comment,
  };
}

/**
 * The Alertmanager API's silences over the `Silence` kind: every write goes through the resource service
 * (schema, team access: operator to write, audit). On a global path the team is the one an equality
 * matcher on the team label names.
 */
export class SilenceApi {
  constructor(
    private readonly resources: Resources,
    private readonly now: () => number,
    private readonly teamLabel: string,
  ) {}

  async list(caller: Caller, team: string | undefined, filter: readonly LabelSetMatcher[]) {
    const now = this.now();
    const objects = await this.#all(caller, team);
    return objects
      .map((object) => toGettableSilence(object, now))
      .filter((silence) => filter.length === 0 || matchesAll(filter, equalityLabels(silence)));
  }

  /** Every silence the caller may read (of `team`), with the team it belongs to. */
  async listWithTeams(caller: Caller, team: string | undefined) {
    const now = this.now();
    return (await this.#all(caller, team)).map((object) => ({
      team: object.metadata.team ?? '',
      silence: toGettableSilence(object, now),
    }));
  }

  async get(caller: Caller, team: string | undefined, id: string): Promise<GettableSilence> {
    return toGettableSilence(await this.#find(caller, team, id), this.now());
  }

  /** Creates a silence, or with `id` replaces that one's spec; answers the id. */
  async post(caller: Caller, pathTeam: string | undefined, body: PostableSilence): Promise<string> {
    const team = pathTeam ?? this.#teamOf(body);
    if (Date.parse(body.endsAt) < Date.parse(body.startsAt))
      throw new InputError('endsAt is before startsAt', [{ path: '/endsAt', message: 'is before startsAt' }]);
    if (Date.parse(body.endsAt) <= this.now())
      throw new InputError('endsAt is in the past', [{ path: '/endsAt', message: 'is in the past' }]);
    const spec: SilenceSpec = {
      matchers: body.matchers,
      startsAt: body.startsAt,
      endsAt: body.endsAt,
      createdBy: body.createdBy || caller.principal.username,
      comment: body.comment,
    };
    let object: Resource;
    if (body.id) {
      const current = await this.#find(caller, team, body.id);
      object = await this.resources.replace(caller, 'Silence', current.metadata.team, body.id, {
        apiVersion: current.apiVersion,
        kind: 'Silence',
        metadata: {
          name: body.id,
          team: current.metadata.team,
          resourceVersion: current.metadata.resourceVersion,
        },
        spec,
      });
    } else {
      object = await this.resources.create(caller, 'Silence', team, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'Silence',
        metadata: { name: randomUUID(), team },
        spec,
      });
    }
    await this.#writeState(object);
    return object.metadata.name;
  }

  /** Expires a silence: endsAt (and a pending one's startsAt) becomes now. An expired one stays as it is. */
  async expire(caller: Caller, team: string | undefined, id: string): Promise<void> {
    const current = await this.#find(caller, team, id);
    const spec = current.spec as SilenceSpec;
    const now = this.now();
    const state = silenceState(spec, now);
    if (state === 'expired') return;
    const at = new Date(now).toISOString();
    const object = await this.resources.patch(caller, 'Silence', current.metadata.team, id, {
      spec: state === 'pending' ? { startsAt: at, endsAt: at } : { endsAt: at },
    });
    await this.#writeState(object);
  }

  /** Brings every silence's `status.state` up to the clock (the Alertmanager API computes it on read). */
  async refreshStates(): Promise<number> {
    let changed = 0;
    for (const object of await this.#all(SYSTEM, undefined)) if (await this.#writeState(object)) changed++;
    return changed;
  }

  async #writeState(object: Resource): Promise<boolean> {
    const state = silenceState(object.spec as SilenceSpec, this.now());
    if ((object.status as SilenceStatus | undefined)?.state === state) return false;
    await this.resources.replaceStatus(SYSTEM, 'Silence', object.metadata.team, object.metadata.name, {
      metadata: { name: object.metadata.name },
      status: { state },
    });
    return true;
  }

  #teamOf(body: PostableSilence): string {
    const matcher = body.matchers.find(
      (candidate) => candidate.name === this.teamLabel && candidate.isEqual && !candidate.isRegex,
    );
    if (!matcher)
      throw new InputError(
        `a silence posted on the global path needs a matcher ${this.teamLabel}="<team>"; or post to /api/teams/<team>/alertmanager/api/v2/silences`,
        [{ path: '/matchers', message: `needs ${this.teamLabel}="<team>"` }],
      );
    return matcher.value;
  }

  async #find(caller: Caller, team: string | undefined, id: string): Promise<Resource> {
    if (team !== undefined) return this.resources.get(caller, 'Silence', team, id);
    const teams = readableTeams(caller.principal);
    for (const object of await this.#all(caller, undefined))
      if (object.metadata.name === id && (!teams || teams.includes(object.metadata.team ?? '')))
        return object;
    throw new NotFoundError(`silence ${id} not found`);
  }

  async #all(caller: Caller, team: string | undefined): Promise<Resource[]> {
    const out: Resource[] = [];
    let token: string | undefined;
    do {
      const page = await this.resources.list(caller, 'Silence', {
        ...(team !== undefined ? { team } : {}),
        limit: 1000,
        ...(token ? { continue: token } : {}),
      });
      out.push(...page.items);
      token = page.metadata.continue;
    } while (token);
    return out;
  }
}

/** A compiled matcher used to filter silences, as Alertmanager filters them. */
export type LabelSetMatcher = CompiledMatcher;

/** A silence's equality matchers as a label set, which the `filter` matchers must match. */
function equalityLabels(silence: GettableSilence): LabelSet {
  const labels: Record<string, string> = {};
  for (const matcher of silence.matchers)
    if (matcher.isEqual && !matcher.isRegex) labels[matcher.name] = matcher.value;
  return labels;
}
