import { randomUUID } from 'node:crypto';
import {
  API_VERSION,
  ConflictError,
  decodeContinueToken,
  encodeContinueToken,
  ErrorCodes,
  InputError,
  NotFoundError,
  UnprocessableError,
  applyMergePatch,
  deepEqual,
  diffJson,
  isPlainObject,
  parseLabelSelector,
  type KindRegistry,
  type RegisteredKind,
  type Resource,
  type ResourceInput,
  type ResourceList,
  type WatchEventType,
} from '@gantry/model';
import {
  SYSTEM_PRINCIPAL,
  authorize,
  readableTeams,
  requireAdmin,
  type Caller,
  type Principal,
  type Verb,
} from '@gantry/identity';
import type {
  IdempotencyClaim,
  IdempotentWrite,
  RawResource,
  ResourceKey,
  ResourceRepository,
  WriteDecision,
  WriteFence,
} from '@gantry/store';

export interface WriteOptions {
  dryRun?: boolean;
  /** Overrides an admission hook's refusal where the hook allows it (recorded in the audit action). */
  force?: boolean;
  /** Told what a conversion dropped or changed on the way in (the HTTP API answers them as `Warning` headers). */
  warn?: (message: string) => void;
  /**
   * A controller's term (ADR 0028): the write commits only while it is the lease's current term, else it
   * throws `FencedWriteRefused` having changed nothing.
   */
  fence?: WriteFence;
}

/** A create's `Idempotency-Key` (ADR 0029): the key and a digest of the request it came with. */
export interface IdempotencyKey {
  key: string;
  /** Names the request (method, path, body): the same key with another request is refused (422). */
  fingerprint: string;
}

export interface CreateOptions extends WriteOptions {
  /** Ignored on a dry run, which writes nothing. */
  idempotency?: IdempotencyKey;
  /** Told when the answer is an earlier create's, recorded under the same key. */
  onReplay?: () => void;
}

export interface ResourceServiceOptions {
  /** How long a create's answer is kept for retries with the same `Idempotency-Key` (default 24 h). */
  idempotencyKeyTtlMs?: number;
}

const DEFAULT_IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

/** What an admission hook is asked about: a write that passed schema validation and access checks. */
export interface AdmissionRequest {
  operation: 'create' | 'update' | 'delete';
  kind: RegisteredKind;
  team: string;
  name: string;
  /** The object as it would be stored (create, update); absent for delete. */
  object?: { metadata: ValidInput['metadata']; spec: unknown };
  /** The stored object (update, delete). */
  current?: Resource;
  caller: Caller;
  dryRun: boolean;
  force: boolean;
}

/** Refuses a write by throwing a GantryError; runs before the write, outside its transaction. */
export type AdmissionHook = (request: AdmissionRequest) => Promise<void>;

/** Turns a body written in another API version (e.g. KubeVela's) into this kind's own form, or throws. */
/** Converts a body of a foreign apiVersion; `warn` is told of each field it dropped or changed without refusing. */
export type InputConversion = (body: Record<string, unknown>, warn: (message: string) => void) => unknown;

export interface DeleteOptions extends WriteOptions {
  resourceVersion?: string;
  /** For a Team: delete everything it holds first, instead of refusing. */
  cascade?: boolean;
}

export interface ListOptions {
  team?: string;
  labelSelector?: string;
  limit?: number;
  continue?: string;
}

/**
 * Called after every committed write with what was written, so that this process can act on its own
 * writes at once (the change feed delivers them to every process a moment later).
 */
export type WriteListener = (change: {
  type: WatchEventType;
  object: Resource;
  /** The object before the write (updates, status writes and deletes). */
  previous?: Resource;
  /** Who wrote it. */
  caller: Caller;
}) => void;

/**
 * Things a team holds that are not resources (secrets): a team is deleted only when it holds none, or
 * with them when the deletion cascades, so that a team re-created under the name inherits nothing.
 */
export interface TeamHoldings {
  kind: string;
  names(team: string): Promise<string[]>;
  delete(caller: Caller, team: string, name: string): Promise<void>;
}

/** Applications first: their deletion is what lets delivery clean up the clusters they used. */
const CASCADE_ORDER = ['Application', 'Environment'];

const DEFAULT_LIMIT = 500;
const MAX_LIMIT = 10_000;

/**
 * The generic declarative API for every kind: validation against the kind's schema, team access,
 * optimistic concurrency, generation bookkeeping, and an audit entry committed with each write.
 */
export class ResourceService {
  readonly #listeners = new Set<WriteListener>();
  readonly #admission = new Map<string, AdmissionHook[]>();
  readonly #conversions = new Map<string, InputConversion>();
  readonly #holdings: TeamHoldings[] = [];

  constructor(
    private readonly kinds: KindRegistry,
    private readonly repository: ResourceRepository,
    private readonly now: () => number = Date.now,
    private readonly serviceOptions: ResourceServiceOptions = {},
  ) {}

  onWrite(listener: WriteListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Adds a check run on every create, update and delete of `kind` (dry runs included). */
  admit(kind: string, hook: AdmissionHook): void {
    const hooks = this.#admission.get(kind) ?? [];
    hooks.push(hook);
    this.#admission.set(kind, hooks);
  }

  /** Counts `holdings` as part of a team: its deletion is refused while they exist, or deletes them with cascade. */
  addTeamHoldings(holdings: TeamHoldings): void {
    this.#holdings.push(holdings);
  }

  /** Everything team `team` holds, resources and other holdings, as `Kind name`, sorted. */
  async #teamContents(team: string): Promise<{ kind: string; name: string }[]> {
    const resources = await this.repository.teamContents(team, 1000);
    const others = await Promise.all(
      this.#holdings.map(async (h) => (await h.names(team)).map((name) => ({ kind: h.kind, name }))),
    );
    return [...resources, ...others.flat()];
  }

  async #refuseOrEmpty(caller: Caller, team: string, options: DeleteOptions): Promise<void> {
    const contents = await this.#teamContents(team);
    if (contents.length === 0) return;
    if (!options.cascade) {
      throw new ConflictError(
        `team ${team} still holds ${contents.length} object(s); delete them first, or delete the team with cascade=true (gantry delete team ${team} --cascade)`,
        ErrorCodes.teamNotEmpty,
        contents.map(({ kind, name }) => ({ path: '/metadata/name', message: `holds ${kind} ${name}` })),
      );
    }
    if (options.dryRun) return;
    const rank = (kind: string) => {
      const index = CASCADE_ORDER.indexOf(kind);
      return index === -1 ? CASCADE_ORDER.length : index;
    };
    const resources = await this.repository.teamContents(team, 100_000);
    for (const { kind, name } of resources.sort((a, b) => rank(a.kind) - rank(b.kind)))
      await this.delete(caller, kind, team, name, { force: options.force ?? false });
    for (const holdings of this.#holdings)
      for (const name of await holdings.names(team)) await holdings.delete(caller, team, name);
  }

  /**
   * Takes `username` out of every team's members (a deleted user); the writes are the caller's, each
   * one audited, so that a user re-created under the name has no role anywhere.
   */
  async removeMemberEverywhere(caller: Caller, username: string): Promise<void> {
    let after: { team: string; name: string } | undefined;
    for (;;) {
      const page = await this.repository.list({ kind: 'Team', limit: 500, ...(after ? { after } : {}) });
      for (const item of page.items) {
        const team = JSON.parse(item.json) as Resource<{ members?: { user: string }[] }>;
        const members = team.spec.members ?? [];
        if (!members.some((member) => member.user === username)) continue;
        await this.patch(caller, 'Team', undefined, team.metadata.name, {
          spec: { members: members.filter((member) => member.user !== username) },
        });
      }
      if (!page.next) return;
      after = page.next;
    }
  }

  /** Accepts bodies of `kind` written with `apiVersion`, converted by `convert` before validation. */
  convertFrom(apiVersion: string, kind: string, convert: InputConversion): void {
    this.#conversions.set(`${apiVersion}/${kind}`, convert);
  }

  async #runAdmission(
    request: Omit<AdmissionRequest, 'force' | 'dryRun'>,
    options: WriteOptions,
  ): Promise<void> {
    for (const hook of this.#admission.get(request.kind.kind) ?? []) {
      await hook({ ...request, dryRun: options.dryRun ?? false, force: options.force ?? false });
    }
  }

  #convert(body: unknown, warn: ((message: string) => void) | undefined): unknown {
    if (!isPlainObject(body) || typeof body.apiVersion !== 'string' || typeof body.kind !== 'string')
      return body;
    const convert = this.#conversions.get(`${body.apiVersion}/${body.kind}`);
    return convert ? convert(body, warn ?? (() => {})) : body;
  }

  #written(type: WatchEventType, object: Resource, caller: Caller, previous?: Resource): void {
    for (const listener of this.#listeners)
      listener({ type, object, caller, ...(previous ? { previous } : {}) });
  }

  kind(nameOrAlias: string): RegisteredKind {
    return this.kinds.get(nameOrAlias);
  }

  /** The team a path names for `kind`: the team segment for team kinds, `''` for global ones. */
  #key(kind: RegisteredKind, team: string | undefined, name: string): ResourceKey {
    if (kind.scope === 'Team' && !team)
      throw new InputError(`${kind.kind} belongs to a team: the path needs teams/{team}/`, [
        { path: '/metadata/team', message: 'is required' },
      ]);
    return { kind: kind.kind, team: kind.scope === 'Team' ? team! : '', name };
  }

  /** Teams are authorised on themselves; everything else on the team that owns it; global kinds need admin to write. */
  #authorize(
    principal: Principal,
    verb: Verb | 'create' | 'delete',
    kind: RegisteredKind,
    key: ResourceKey,
  ): void {
    const what = `${kind.plural}/${key.name}`;
    if (kind.kind === 'Team') {
      if (verb === 'create' || verb === 'delete') requireAdmin(principal, `${verb} teams`);
      else authorize(principal, verb === 'write' ? 'manage' : verb, key.name, `team ${key.name}`);
      return;
    }
    if (kind.scope === 'Global') {
      if (verb !== 'read') requireAdmin(principal, `change ${what}`);
      return;
    }
    authorize(
      principal,
      verb === 'create' || verb === 'delete' ? 'write' : verb,
      key.team,
      `${what} in team ${key.team}`,
    );
  }

  async get(caller: Caller, kindName: string, team: string | undefined, name: string): Promise<Resource> {
    const kind = this.kinds.get(kindName);
    const key = this.#key(kind, team, name);
    this.#authorize(caller.principal, 'read', kind, key);
    const found = await this.repository.get(key);
    if (!found)
      throw new NotFoundError(`${kind.plural}/${name} not found${key.team ? ` in team ${key.team}` : ''}`);
    return found;
  }

  async list(caller: Caller, kindName: string, options: ListOptions): Promise<ResourceList> {
    const raw = await this.listRaw(caller, kindName, options);
    return { ...raw, items: raw.items.map((item) => JSON.parse(item.json) as Resource) };
  }

  /** `list` with each item left as its stored JSON text, for the HTTP layer to pass through. */
  async listRaw(
    caller: Caller,
    kindName: string,
    options: ListOptions,
  ): Promise<Omit<ResourceList, 'items'> & { items: RawResource[] }> {
    const kind = this.kinds.get(kindName);
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new InputError(`limit must be an integer from 1 to ${MAX_LIMIT}`, [
        { path: 'limit', message: `must be 1-${MAX_LIMIT}` },
      ]);
    }
    const selector = parseLabelSelector(options.labelSelector ?? '');
    const after = options.continue ? decodeContinue(options.continue) : undefined;
    let teams: readonly string[] | undefined;
    if (kind.scope === 'Team') {
      const readable = readableTeams(caller.principal);
      if (options.team !== undefined) {
        this.#authorize(caller.principal, 'read', kind, { kind: kind.kind, team: options.team, name: '*' });
        teams = [options.team];
      } else {
        teams = readable;
      }
    }
    const page = await this.repository.list({
      kind: kind.kind,
      ...(teams ? { teams } : {}),
      selector,
      limit,
      ...(after ? { after } : {}),
    });
    let items = page.items;
    if (kind.kind === 'Team' && !caller.principal.admin)
      items = items.filter((team) => caller.principal.teams.has(team.name));
    return {
      apiVersion: API_VERSION,
      kind: `${kind.kind}List`,
      metadata: {
        resourceVersion: String(page.resourceVersion),
        ...(page.next ? { continue: encodeContinue(page.next) } : {}),
      },
      items,
    };
  }

  async create(
    caller: Caller,
    kindName: string,
    team: string | undefined,
    body: unknown,
    options: CreateOptions = {},
  ): Promise<Resource> {
    const kind = this.kinds.get(kindName);
    const input = this.#validate(kind, withPathTeam(kind, this.#convert(body, options.warn), team));
    const key = this.#key(kind, team ?? input.metadata.team, input.metadata.name);
    this.#authorize(caller.principal, 'create', kind, key);
    const idempotent =
      options.idempotency && !options.dryRun ? this.#idempotent(caller, options.idempotency) : undefined;
    if (idempotent) {
      // A retry of a create that was committed is answered before admission, which might now refuse it.
      const earlier = await this.repository.idempotentAnswer(idempotent.claim);
      if (earlier?.type === 'reused') throw idempotent.reused();
      if (earlier?.type === 'replay') {
        options.onReplay?.();
        return JSON.parse(earlier.answer.body) as Resource;
      }
    }
    if (kind.scope === 'Team') await this.#requireTeam(key.team);
    await this.#runAdmission(
      { operation: 'create', kind, team: key.team, name: key.name, object: input, caller },
      options,
    );
    const nowIso = new Date(this.now()).toISOString();
    const build = (resourceVersion: string): Resource => ({
      apiVersion: API_VERSION,
      kind: kind.kind,
      metadata: {
        name: key.name,
        ...(kind.scope === 'Team' ? { team: key.team } : {}),
        uid: randomUUID(),
        resourceVersion,
        generation: 1,
        creationTimestamp: nowIso,
        updatedTimestamp: nowIso,
        ...(input.metadata.labels ? { labels: input.metadata.labels } : {}),
        ...(input.metadata.annotations ? { annotations: input.metadata.annotations } : {}),
      },
      spec: input.spec,
    });
    if (options.dryRun) {
      if (await this.repository.get(key)) throw alreadyExists(kind, key);
      return build('0');
    }
    const { object, replayed } = await this.repository.write(
      key,
      (current) => {
        if (current) throw alreadyExists(kind, key);
        return {
          type: 'ADDED',
          next: build,
          audit: {
            actor: caller.principal.username,
            source: caller.source,
            action: auditAction('create', options),
            ...key,
            after: undefined,
          },
        };
      },
      options.fence,
      idempotent,
    );
    if (replayed !== undefined) {
      options.onReplay?.();
      return object;
    }
    this.#written('ADDED', object, caller);
    return object;
  }

  #idempotent(caller: Caller, idempotency: IdempotencyKey): IdempotentWrite {
    const claim: IdempotencyClaim = {
      principal: caller.principal.username,
      key: idempotency.key,
      fingerprint: idempotency.fingerprint,
      now: this.now(),
      ttlMs: this.serviceOptions.idempotencyKeyTtlMs ?? DEFAULT_IDEMPOTENCY_KEY_TTL_MS,
    };
    return {
      claim,
      status: 201,
      reused: () =>
        new UnprocessableError(
          'this Idempotency-Key was used for another request; use a new key for a new request',
          [{ path: 'headers/idempotency-key', message: 'already used for a different request' }],
          ErrorCodes.idempotencyKeyReused,
        ),
    };
  }

  async replace(
    caller: Caller,
    kindName: string,
    team: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<Resource> {
    const kind = this.kinds.get(kindName);
    const key = this.#key(kind, team, name);
    this.#authorize(caller.principal, 'write', kind, key);
    const input = this.#validate(kind, withPathTeam(kind, this.#convert(body, options.warn), team));
    checkSameName(input.metadata.name, name);
    return this.#update(caller, kind, key, 'update', options, () => input);
  }

  async patch(
    caller: Caller,
    kindName: string,
    team: string | undefined,
    name: string,
    patch: unknown,
    options: WriteOptions = {},
  ): Promise<Resource> {
    const kind = this.kinds.get(kindName);
    const key = this.#key(kind, team, name);
    this.#authorize(caller.principal, 'write', kind, key);
    if (!isPlainObject(patch))
      throw new InputError('a merge patch must be a JSON object', [
        { path: '', message: 'must be an object' },
      ]);
    return this.#update(caller, kind, key, 'patch', options, (current) => {
      const { status: _status, ...writable } = current;
      const base = { ...writable, metadata: { ...current.metadata, resourceVersion: undefined } };
      const patched = applyMergePatch(base, patch);
      const input = this.#validate(kind, stripUndefined(patched));
      checkSameName(input.metadata.name, name);
      return input;
    });
  }

  /** Writes `status` only; spec and metadata stay as they are. */
  async replaceStatus(
    caller: Caller,
    kindName: string,
    team: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions = {},
  ): Promise<Resource> {
    const kind = this.kinds.get(kindName);
    const key = this.#key(kind, team, name);
    this.#authorize(caller.principal, 'write', kind, key);
    if (!isPlainObject(body) || !isPlainObject(body.metadata))
      throw new InputError('the body must be the object with its status', [
        { path: '/metadata', message: 'is required' },
      ]);
    const precondition =
      typeof body.metadata.resourceVersion === 'string' ? body.metadata.resourceVersion : undefined;
    const status = structuredClone(body.status ?? {});
    const checked = kind.validateStatus(status);
    if (!checked.ok)
      throw new InputError(
        `invalid ${kind.kind} status`,
        checked.errors.map((e) => ({ ...e, path: `/status${e.path}` })),
      );
    const decide = (current: Resource | undefined): WriteDecision => {
      if (!current) throw notFound(kind, key);
      checkPrecondition(kind, key, precondition, current);
      if (deepEqual(current.status, status)) return { type: 'NONE', result: current };
      // Audit policy: Gantry's own controllers write status all the time (health, counts, latencies); their
      // writes are recorded when a condition changes, which is when something happened.
      const audited = caller.principal !== SYSTEM_PRINCIPAL || conditionsChanged(current.status, status);
      return {
        type: 'MODIFIED',
        next: (resourceVersion) => ({
          ...current,
          metadata: {
            ...current.metadata,
            resourceVersion,
            updatedTimestamp: new Date(this.now()).toISOString(),
          },
          status,
        }),
        ...(audited
          ? {
              audit: {
                actor: caller.principal.username,
                source: caller.source,
                action: 'status',
                ...key,
                before: current.status,
                after: status,
                diff: diffJson(current.status, status),
              },
            }
          : {}),
      };
    };
    return this.#commit(caller, key, decide, options);
  }

  async delete(
    caller: Caller,
    kindName: string,
    team: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): Promise<Resource> {
    const kind = this.kinds.get(kindName);
    const key = this.#key(kind, team, name);
    this.#authorize(caller.principal, 'delete', kind, key);
    if (kind.kind === 'Team') {
      if (!(await this.repository.get(key))) throw notFound(kind, key);
      await this.#refuseOrEmpty(caller, name, options);
    }
    let admitted: Resource | undefined;
    if (this.#admission.has(kind.kind)) {
      admitted = await this.repository.get(key);
      if (!admitted) throw notFound(kind, key);
      await this.#runAdmission(
        { operation: 'delete', kind, team: key.team, name: key.name, current: admitted, caller },
        options,
      );
    }
    const decide = (current: Resource | undefined): WriteDecision => {
      if (!current) throw notFound(kind, key);
      checkPrecondition(kind, key, options.resourceVersion ?? admitted?.metadata.resourceVersion, current);
      return {
        type: 'DELETED',
        next: (resourceVersion) => ({ ...current, metadata: { ...current.metadata, resourceVersion } }),
        audit: {
          actor: caller.principal.username,
          source: caller.source,
          action: auditAction('delete', options),
          ...key,
          before: current,
        },
      };
    };
    return this.#commit(caller, key, decide, options);
  }

  async #requireTeam(team: string): Promise<void> {
    if (!(await this.repository.get({ kind: 'Team', team: '', name: team }))) {
      throw new InputError(`team ${team} does not exist`, [
        { path: '/metadata/team', message: 'no such team' },
      ]);
    }
  }

  /**
   * With admission hooks, a write the caller made without a resourceVersion is tried again when the
   * object changed between its admission and its write (a controller's status write, most often): the
   * caller asked for no precondition, so a 409 would only be the server's own race.
   */
  async #update(
    caller: Caller,
    kind: RegisteredKind,
    key: ResourceKey,
    action: string,
    options: WriteOptions,
    makeInput: (current: Resource) => ValidInput,
  ): Promise<Resource> {
    let unconditional = false;
    const input = (current: Resource): ValidInput => {
      const made = makeInput(current);
      unconditional = made.metadata.resourceVersion === undefined;
      return made;
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#updateOnce(caller, kind, key, action, options, input);
      } catch (error) {
        const retry =
          error instanceof ConflictError &&
          error.code === ErrorCodes.conflict &&
          unconditional &&
          this.#admission.has(kind.kind) &&
          attempt < 5;
        if (!retry) throw error;
      }
    }
  }

  async #updateOnce(
    caller: Caller,
    kind: RegisteredKind,
    key: ResourceKey,
    action: string,
    options: WriteOptions,
    makeInput: (current: Resource) => ValidInput,
  ): Promise<Resource> {
    // With admission hooks the input is checked against the object as read now; the write then requires
    // that object to be unchanged (a concurrent writer gets a 409 and retries), so what was admitted is
    // exactly what is stored.
    let admitted: { input: ValidInput; version: string } | undefined;
    if (this.#admission.has(kind.kind)) {
      const current = await this.repository.get(key);
      if (!current) throw notFound(kind, key);
      const input = makeInput(current);
      checkPrecondition(kind, key, input.metadata.resourceVersion, current);
      await this.#runAdmission(
        { operation: 'update', kind, team: key.team, name: key.name, object: input, current, caller },
        options,
      );
      admitted = { input, version: current.metadata.resourceVersion };
    }
    const decide = (current: Resource | undefined): WriteDecision => {
      if (!current) throw notFound(kind, key);
      const input = admitted?.input ?? makeInput(current);
      checkPrecondition(kind, key, admitted?.version ?? input.metadata.resourceVersion, current);
      const nextSpec = input.spec;
      const labels = input.metadata.labels;
      const annotations = input.metadata.annotations;
      const changed =
        !deepEqual(current.spec, nextSpec) ||
        !deepEqual(current.metadata.labels, labels) ||
        !deepEqual(current.metadata.annotations, annotations);
      if (!changed) return { type: 'NONE', result: current };
      const before = {
        metadata: { labels: current.metadata.labels, annotations: current.metadata.annotations },
        spec: current.spec,
      };
      const after = { metadata: { labels, annotations }, spec: nextSpec };
      return {
        type: 'MODIFIED',
        next: (resourceVersion) => {
          const { labels: _l, annotations: _a, ...metadata } = current.metadata;
          return {
            ...current,
            metadata: {
              ...metadata,
              resourceVersion,
              generation: current.metadata.generation + 1,
              updatedTimestamp: new Date(this.now()).toISOString(),
              ...(labels ? { labels } : {}),
              ...(annotations ? { annotations } : {}),
            },
            spec: nextSpec,
          };
        },
        audit: {
          actor: caller.principal.username,
          source: caller.source,
          action: auditAction(action, options),
          ...key,
          before,
          after,
          diff: diffJson(before, after),
        },
      };
    };
    return this.#commit(caller, key, decide, options);
  }

  async #commit(
    caller: Caller,
    key: ResourceKey,
    decide: (current: Resource | undefined) => WriteDecision,
    options: WriteOptions,
  ): Promise<Resource> {
    if (options.dryRun) {
      const current = await this.repository.get(key);
      const decision = decide(current);
      if (decision.type === 'NONE') return decision.result;
      return decision.next(current?.metadata.resourceVersion ?? '0');
    }
    let previous: Resource | undefined;
    const { object, type } = await this.repository.write(
      key,
      (current) => {
        previous = current;
        return decide(current);
      },
      options.fence,
    );
    if (type !== 'NONE') this.#written(type, object, caller, previous);
    return object;
  }

  #validate(kind: RegisteredKind, body: unknown): ValidInput {
    if (!isPlainObject(body))
      throw new InputError('the body must be a JSON or YAML object', [
        { path: '', message: 'must be an object' },
      ]);
    const copy = structuredClone(body);
    if (copy.spec === undefined) copy.spec = {};
    const result = kind.validate(copy);
    if (!result.ok)
      throw new InputError(
        `invalid ${kind.kind}: ${result.errors.map((e) => `${e.path || '(root)'} ${e.message}`).join('; ')}`,
        result.errors,
      );
    return copy as unknown as ValidInput;
  }
}

/** A caller's object once its kind's schema accepted it: the spec is there. */
type ValidInput = Omit<ResourceInput, 'spec' | 'status'> & { spec: unknown };

function withPathTeam(kind: RegisteredKind, body: unknown, team: string | undefined): unknown {
  if (!isPlainObject(body) || !isPlainObject(body.metadata) || kind.scope !== 'Team' || team === undefined)
    return body;
  if (body.metadata.team !== undefined && body.metadata.team !== team) {
    throw new InputError(
      `metadata.team ${JSON.stringify(body.metadata.team)} does not match the path's team ${team}`,
      [{ path: '/metadata/team', message: `must be ${team}` }],
    );
  }
  return { ...body, metadata: { ...body.metadata, team } };
}

/** Whether any condition appeared, went, or changed status or reason between two statuses. */
function conditionsChanged(before: unknown, after: unknown): boolean {
  const summary = (status: unknown) => {
    const conditions =
      isPlainObject(status) && Array.isArray(status.conditions)
        ? (status.conditions as { type?: unknown; status?: unknown; reason?: unknown }[])
        : [];
    return conditions
      .map((c) => `${String(c.type)}=${String(c.status)}/${String(c.reason)}`)
      .sort()
      .join(',');
  };
  return before === undefined || summary(before) !== summary(after);
}

/** A forced write says so in its audit entry (`update --force`), so that overriding a check is on record. */
function auditAction(action: string, options: WriteOptions): string {
  return options.force ? `${action} --force` : action;
}

function checkSameName(bodyName: string, pathName: string): void {
  if (bodyName !== pathName)
    throw new InputError(`metadata.name ${bodyName} does not match the path's name ${pathName}`, [
      { path: '/metadata/name', message: `must be ${pathName}` },
    ]);
}

function checkPrecondition(
  kind: RegisteredKind,
  key: ResourceKey,
  expected: string | undefined,
  current: Resource,
): void {
  if (expected !== undefined && expected !== current.metadata.resourceVersion) {
    throw new ConflictError(
      `${kind.plural}/${key.name} was modified: you sent resourceVersion ${expected}, the current one is ${current.metadata.resourceVersion}; get it again and retry`,
      ErrorCodes.conflict,
      [
        {
          path: '/metadata/resourceVersion',
          message: `stale: current is ${current.metadata.resourceVersion}`,
        },
      ],
    );
  }
}

function notFound(kind: RegisteredKind, key: ResourceKey): NotFoundError {
  return new NotFoundError(`${kind.plural}/${key.name} not found${key.team ? ` in team ${key.team}` : ''}`);
}

function alreadyExists(kind: RegisteredKind, key: ResourceKey): ConflictError {
  return new ConflictError(
    `${kind.plural}/${key.name} already exists${key.team ? ` in team ${key.team}` : ''}`,
    ErrorCodes.alreadyExists,
    [{ path: '/metadata/name', message: 'already exists' }],
  );
}

function stripUndefined(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function encodeContinue(after: { team: string; name: string }): string {
  return encodeContinueToken([after.team, after.name]);
}

function decodeContinue(token: string): { team: string; name: string } {
  const [team, name] = decodeContinueToken(token, isStringPair);
  return { team, name };
}

function isStringPair(value: unknown): value is [string, string] {
  return (
    Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string'
  );
}
