import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  ErrorCodes,
  ExpiredError,
  GantryError,
  InputError,
  ObjectMeta,
  parseLabelSelector,
  type RegisteredKind,
} from '@gantry/model';
import { startWatch, watchScope, type ChangeFeed, type ResourceService } from '@gantry/resources';
import type { ResourceRepository } from '@gantry/store';
import type { Metrics } from '../metrics.ts';
import { IdempotencyHeaders, requestFingerprint } from '../idempotency.ts';
import { errorResponses } from '../responses.ts';

export const RESOURCE_BASE = '/apis/gantry.dev/v1alpha1';

/** An object of any kind as the server answers it; the OpenAPI document puts each kind's schema here. */
export const ResourceResponse = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String(),
    metadata: ObjectMeta,
    spec: Type.Unknown(),
    status: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/** A page of a list; `metadata.continue` asks for the next one. */
export const ResourceListResponse = Type.Object(
  {
    apiVersion: Type.String(),
    kind: Type.String({ description: '`<Kind>List`' }),
    metadata: Type.Object(
      { resourceVersion: Type.String(), continue: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
    items: Type.Array(ResourceResponse),
  },
  { additionalProperties: false },
);

const QuerySchema = Type.Object(
  {
    dryRun: Type.Optional(Type.Literal('All')),
    force: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description:
          'Override an admission check that allows it (e.g. a definition update that affects applications); recorded in the audit log.',
      }),
    ),
    labelSelector: Type.Optional(Type.String({ maxLength: 4096 })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
    watch: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false'), Type.Literal('1'), Type.Literal('0')]),
    ),
    resourceVersion: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    team: Type.Optional(Type.String({ maxLength: 63 })),
    cascade: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'Deleting a Team: delete everything it holds (resources and secrets) with it.',
      }),
    ),
  },
  { additionalProperties: false },
);
type Query = Static<typeof QuerySchema>;

type Params = { plural: string; team?: string; name?: string };

export interface ResourceRouteDeps {
  resources: ResourceService;
  repository: ResourceRepository;
  feed: ChangeFeed;
  metrics: Metrics;
  /** Interval between BOOKMARK events on an idle watch. */
  bookmarkIntervalMs: number;
  /** Interval between checks that an open watch's caller may still see what it watches. */
  watchRecheckMs: number;
  /** Most watches one user may keep open on this server. */
  watchesPerUser: number;
}

/** The generic declarative API: the same routes serve every registered kind. */
export function resourceRoutes(app: FastifyInstance, deps: ResourceRouteDeps): void {
  const { resources } = deps;
  const tags = ['resources'];
  const options = (summary: string, response: Record<number, unknown>) => ({
    schema: { tags, summary, querystring: QuerySchema, response },
  });
  const one = { 200: ResourceResponse, ...errorResponses(409, 422) };
  const listed = {
    200: {
      content: {
        'application/json': { schema: ResourceListResponse },
        'text/event-stream': {
          schema: Type.String({
            description: 'With watch=true: ADDED, MODIFIED, DELETED, BOOKMARK and ERROR events.',
          }),
        },
      },
    },
    ...errorResponses(410),
  };
  const dryRun = (query: Query) => ({ dryRun: query.dryRun === 'All', force: query.force === 'true' });

  const kindOf = (params: Params): RegisteredKind => {
    const kind = resources.kind(params.plural);
    if (kind.plural !== params.plural)
      throw new InputError(
        `use the plural ${kind.plural} in paths`,
        [{ path: 'plural', message: `must be ${kind.plural}` }],
        ErrorCodes.unknownKind,
      );
    if (params.team !== undefined && kind.scope === 'Global') {
      throw new InputError(
        `${kind.kind} does not belong to a team: drop teams/${params.team}/ from the path`,
        [{ path: 'team', message: 'not team-scoped' }],
      );
    }
    return kind;
  };

  const list = async (
    request: FastifyRequest<{ Params: Params; Querystring: Query }>,
    reply: FastifyReply,
  ) => {
    const kind = kindOf(request.params);
    const query = request.query;
    if (query.watch === 'true' || query.watch === '1') return watch(request, reply, kind);
    const team = request.params.team ?? query.team;
    const list = await resources.listRaw(request.caller, kind.kind, {
      ...(team !== undefined ? { team } : {}),
      ...(query.labelSelector !== undefined ? { labelSelector: query.labelSelector } : {}),
      ...(query.limit !== undefined ? { limit: Number(query.limit) } : {}),
      ...(query.continue !== undefined ? { continue: query.continue } : {}),
    });
    // The stored JSON goes out as it is: no parse and re-stringify of thousands of objects.
    const head = JSON.stringify({ apiVersion: list.apiVersion, kind: list.kind, metadata: list.metadata });
    return reply
      .type('application/json; charset=utf-8')
      .send(`${head.slice(0, -1)},"items":[${list.items.map((item) => item.json).join(',')}]}`);
  };

  // Open watch streams are hijacked responses that Fastify does not track: end them when the server closes.
  const openStreams = new Set<() => void>();
  const watchesOf = new Map<string, number>();
  app.addHook('preClose', (done) => {
    for (const end of openStreams) end();
    done();
  });

  const watch = async (
    request: FastifyRequest<{ Params: Params; Querystring: Query }>,
    reply: FastifyReply,
    kind: RegisteredKind,
  ) => {
    const { principal } = request.caller;
    const selector = parseLabelSelector(request.query.labelSelector ?? '');
    const team = request.params.team ?? request.query.team;
    const scope = watchScope(principal, kind, team);
    const teams = scope.teams;
    const from =
      request.query.resourceVersion === undefined ? undefined : Number(request.query.resourceVersion);
    if (from !== undefined) {
      const oldest = await deps.repository.oldestResumableVersion();
      if (from < oldest)
        throw new ExpiredError(
          `resourceVersion ${from} is too old to resume from (the oldest kept is ${oldest}); list again and watch from the list's resourceVersion`,
        );
    }
    const username = principal.username;
    const open = watchesOf.get(username) ?? 0;
    if (open >= deps.watchesPerUser)
      throw new GantryError(
        429,
        ErrorCodes.tooManyWatches,
        `${username} already has ${open} watches open on this server (the limit); close one first`,
      );
    watchesOf.set(username, open + 1);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    deps.metrics.watches.inc();
    let last = from ?? 0;
    const send = (type: string, data: unknown, id: number) => {
      last = Math.max(last, id);
      raw.write(`event: ${type}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const bookmark = () =>
      send(
        'BOOKMARK',
        { kind: kind.kind, metadata: { resourceVersion: String(Math.max(last, deps.feed.lastSeen)) } },
        Math.max(last, deps.feed.lastSeen),
      );
    let stop: (() => void) | undefined;
    let closed = false;
    const fail = (error: unknown) => {
      if (closed) return;
      closed = true;
      stop?.();
      raw.write(
        `event: ERROR\ndata: ${JSON.stringify({ code: (error as { code?: string }).code ?? ErrorCodes.internal, message: (error as Error).message, details: [] })}\n\n`,
      );
      raw.end();
    };
    const timer = setInterval(bookmark, deps.bookmarkIntervalMs);
    // The token may be revoked or expire, the user disabled or deleted, or a team lost while the
    // stream is open: check again, and end the stream with the reason.
    let checking = false;
    const recheck = setInterval(() => {
      if (checking || closed) return;
      checking = true;
      request
        .reauthenticate()
        .then((now) => scope.recheck(now))
        .catch(fail)
        .finally(() => (checking = false));
    }, deps.watchRecheckMs);
    const end = () => raw.end();
    openStreams.add(end);
    request.raw.on('close', () => {
      const left = (watchesOf.get(username) ?? 1) - 1;
      if (left > 0) watchesOf.set(username, left);
      else watchesOf.delete(username);
      openStreams.delete(end);
      closed = true;
      clearInterval(timer);
      clearInterval(recheck);
      stop?.();
      deps.metrics.watches.dec();
    });
    try {
      stop = await startWatch(
        deps.repository,
        deps.feed,
        { kind: kind.kind, ...(teams ? { teams } : {}), selector },
        from,
        {
          event: (type, object, resourceVersion) => send(type, object, resourceVersion),
          caughtUp: (resourceVersion) =>
            send(
              'BOOKMARK',
              { kind: kind.kind, metadata: { resourceVersion: String(resourceVersion) } },
              resourceVersion,
            ),
        },
      );
      if (closed) stop();
    } catch (error) {
      request.log.warn({ err: error }, 'watch failed');
      fail(error);
    }
  };

  const get = (request: FastifyRequest<{ Params: Params }>) =>
    resources.get(request.caller, kindOf(request.params).kind, request.params.team, request.params.name!);

  const create = async (
    request: FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>,
    reply: FastifyReply,
  ) => {
    const kind = kindOf(request.params);
    const body = request.body as { metadata?: { team?: unknown } } | undefined;
    const team =
      request.params.team ??
      (kind.scope === 'Team' && typeof body?.metadata?.team === 'string' ? body.metadata.team : undefined);
    const warnings: string[] = [];
    const idempotencyKey = request.headers['idempotency-key'];
    let replayed = false;
    const created = await resources.create(request.caller, kind.kind, team, request.body, {
      ...dryRun(request.query),
      warn: (message) => warnings.push(message),
      ...(typeof idempotencyKey === 'string'
        ? {
            idempotency: {
              key: idempotencyKey,
              fingerprint: requestFingerprint(request.method, request.url, request.body),
            },
            onReplay: () => (replayed = true),
          }
        : {}),
    });
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return warn(reply, warnings)
      .status(request.query.dryRun === 'All' ? 200 : 201)
      .send(created);
  };

  const replace = async (
    request: FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>,
    reply: FastifyReply,
  ) => {
    const warnings: string[] = [];
    const replaced = await resources.replace(
      request.caller,
      kindOf(request.params).kind,
      request.params.team,
      request.params.name!,
      request.body,
      {
        ...dryRun(request.query),
        warn: (message) => warnings.push(message),
      },
    );
    return warn(reply, warnings).send(replaced);
  };

  const patch = (request: FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>) =>
    resources.patch(
      request.caller,
      kindOf(request.params).kind,
      request.params.team,
      request.params.name!,
      request.body,
      dryRun(request.query),
    );

  const status = (request: FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>) =>
    resources.replaceStatus(
      request.caller,
      kindOf(request.params).kind,
      request.params.team,
      request.params.name!,
      request.body,
      dryRun(request.query),
    );

  const remove = (request: FastifyRequest<{ Params: Params; Querystring: Query }>) =>
    resources.delete(request.caller, kindOf(request.params).kind, request.params.team, request.params.name!, {
      ...dryRun(request.query),
      ...(request.query.resourceVersion ? { resourceVersion: request.query.resourceVersion } : {}),
      cascade: request.query.cascade === 'true',
    });

  for (const prefix of [`${RESOURCE_BASE}/teams/:team/:plural`, `${RESOURCE_BASE}/:plural`]) {
    app.get(prefix, options('List (or, with watch=true, watch) resources of a kind', listed), list);
    const createOptions = options('Create a resource (200 on a dry run)', { 201: ResourceResponse, ...one });
    app.post(
      prefix,
      { ...createOptions, schema: { ...createOptions.schema, headers: IdempotencyHeaders } },
      create,
    );
    app.get(`${prefix}/:name`, options('Get a resource', { 200: ResourceResponse }), get);
    app.put(`${prefix}/:name`, options('Replace a resource', one), replace);
    app.patch(`${prefix}/:name`, options('Apply a JSON merge patch (RFC 7396)', one), patch);
    app.delete(`${prefix}/:name`, options('Delete a resource; answers the deleted object', one), remove);
    app.put(`${prefix}/:name/status`, options('Replace the status subresource', one), status);
  }
  // `teams/{name}/status` would otherwise read as "the kind `status` in team {name}".
  app.put(
    `${RESOURCE_BASE}/teams/:name/status`,
    options("Replace a Team's status", one),
    (request: FastifyRequest<{ Params: Params; Querystring: Query; Body: unknown }>) =>
      resources.replaceStatus(
        request.caller,
        'Team',
        undefined,
        request.params.name!,
        request.body,
        dryRun(request.query),
      ),
  );
}

/** Most `Warning` headers one answer carries; the last says how many more there were. */
const MAX_WARNINGS = 50;

/**
 * Adds a `Warning: 299 - "<text>"` header per message (RFC 7234's format, which the Kubernetes API server
 * uses for deprecations and dropped fields), in printable ASCII with quotes and backslashes escaped.
 */
export function warn(reply: FastifyReply, messages: readonly string[]): FastifyReply {
  if (messages.length === 0) return reply;
  const shown =
    messages.length > MAX_WARNINGS
      ? [...messages.slice(0, MAX_WARNINGS - 1), `${messages.length - MAX_WARNINGS + 1} more warnings`]
      : messages;
  const quote = (text: string) =>
    `299 - "${text.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, (c) => `\\${c}`)}"`;
  return reply.header('warning', shown.map(quote));
}
