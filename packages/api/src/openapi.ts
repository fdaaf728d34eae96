import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorBody, ObjectMeta, type KindRegistry, type RegisteredKind } from '@gantry/model';
import { RESOURCE_BASE, ResourceListResponse, ResourceResponse } from './routes/resources.ts';

declare module 'fastify' {
  interface FastifySchema {
    tags?: string[];
    summary?: string;
  }
}

export interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  public: boolean;
  /** The kind whose object a generic resource answer is (`config.responseKind`). */
  responseKind?: string;
}

/** The paths the API answers on; anything else (the console's files) is not an API operation. */
export function isApiPath(url: string): boolean {
  return (
    url.startsWith('/api/') ||
    url.startsWith('/apis/') ||
    url === '/healthz' ||
    url === '/readyz' ||
    url === '/metrics'
  );
}

/** Remembers every API route's schema as it is registered, so the document is built from what validates. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!isApiPath(route.url)) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({
        method: method.toLowerCase(),
        url: route.url,
        schema: (route.schema ?? {}) as Record<string, unknown>,
        public: route.config?.public === true,
        ...(route.config?.responseKind ? { responseKind: route.config.responseKind } : {}),
      });
    }
  });
  return routes;
}

/** The methods that route `url` (a concrete path) with some method, for a 405's `Allow`. */
export function allowedMethods(routes: readonly CollectedRoute[], url: string): string[] {
  const path = url.split('?')[0] ?? url;
  const matches = routes.filter((route) => routePattern(route.url).test(path));
  return [...new Set(matches.map((route) => route.method.toUpperCase()))].sort();
}

function routePattern(url: string): RegExp {
  const escaped = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}$`);
}

/** Error answers by status, with what each means; every one has the body `Error`. */
const ERROR_STATUSES: Readonly<Record<number, string>> = {
  400: 'The request is invalid: a parameter or the body breaks the schema, or is malformed',
  401: 'No credentials, or credentials that are unknown, expired or revoked',
  403: "The caller's role does not allow this",
  404: 'No such object, or no such route',
  405: 'The path exists, but not with this method; `Allow` lists the methods it takes',
  409: 'The write conflicts with the current state',
  410: 'The watch cannot resume from so old a resourceVersion',
  413: 'The body is larger than the limit',
  414: 'The URL is too long',
  415: 'The body is in a content type the server does not read',
  422: 'Well-formed, but fails a semantic check',
  429: 'Too many attempts; `Retry-After` says when to try again',
  431: 'The request headers are too large',
  500: 'A bug; the server log has the details',
  502: 'A source read on the caller’s behalf (a MetricsSource’s Prometheus) failed; the message says which',
  503: 'The database is unavailable or did not answer in time; `Retry-After` says when to retry (a write may have been committed)',
};

/** The error answers every operation may give, besides those its route declares. */
function commonErrors(route: CollectedRoute): number[] {
  const statuses = [400, 404, 405, 414, 431, 500, 503];
  if (!route.public) statuses.push(401, 403);
  if (['post', 'put', 'patch', 'delete'].includes(route.method)) statuses.push(413, 415);
  return statuses;
}

function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, '{$1}');
}

function parameters(schema: Record<string, unknown>, url: string): unknown[] {
  const out: unknown[] = [];
  const params = schema.params as { properties?: Record<string, unknown> } | undefined;
  for (const match of url.matchAll(/:([A-Za-z]+)/g)) {
    const name = match[1]!;
    out.push({ name, in: 'path', required: true, schema: params?.properties?.[name] ?? { type: 'string' } });
  }
  const query = schema.querystring as
    { properties?: Record<string, unknown>; required?: string[] } | undefined;
  for (const [name, property] of Object.entries(query?.properties ?? {})) {
    out.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema: property });
  }
  const headers = schema.headers as
    { properties?: Record<string, { description?: string }>; required?: string[] } | undefined;
  for (const [name, property] of Object.entries(headers?.properties ?? {})) {
    const { description, ...rest } = property;
    out.push({
      name,
      in: 'header',
      required: headers?.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: rest,
    });
  }
  return out;
}

type SchemaRewrite = (schema: unknown) => unknown;

/** The response schemas a route declared, as OpenAPI responses (`{content: {...}}` entries kept as given). */
function declaredResponses(route: CollectedRoute, rewrite: SchemaRewrite): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const declared = (route.schema.response ?? {}) as Record<string, unknown>;
  for (const [status, entry] of Object.entries(declared)) {
    if (entry === ErrorBody) continue;
    const description = Number(status) === 201 ? 'Created' : Number(status) === 204 ? 'No content' : 'OK';
    const content = (entry as { content?: Record<string, { schema: unknown }> }).content;
    if (Number(status) === 204) out[status] = { description };
    else if (content) {
      out[status] = {
        description,
        content: Object.fromEntries(
          Object.entries(content).map(([type, value]) => [type, { schema: rewrite(value.schema) }]),
        ),
      };
    } else out[status] = { description, content: { 'application/json': { schema: rewrite(entry) } } };
  }
  // A route without a declared answer (`/api/events`, for now) still answers 200.
  if (!Object.keys(out).some((status) => status.startsWith('2'))) out['200'] = { description: 'OK' };
  const errors = new Set([
    ...commonErrors(route),
    ...Object.entries(declared)
      .filter(([, entry]) => entry === ErrorBody)
      .map(([status]) => Number(status)),
  ]);
  // An error status the route declared with a schema of its own (the Alertmanager API's string) keeps it.
  for (const status of [...errors].sort())
    out[String(status)] ??= { $ref: `#/components/responses/E${status}` };
  return out;
}

function operation(
  route: CollectedRoute,
  rewrite: SchemaRewrite,
  overrides: { body?: unknown; summary?: string } = {},
): Record<string, unknown> {
  const { schema } = route;
  const body = overrides.body ?? schema.body;
  return {
    tags: schema.tags ?? [],
    summary: overrides.summary ?? schema.summary ?? '',
    parameters: parameters(schema, route.url),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    responses: declaredResponses(route, rewrite),
    ...(route.public ? { security: [] } : {}),
  };
}

/** An object of the kind as the server answers it: server-owned metadata set, status by its schema. */
function responseSchema(kind: RegisteredKind): TSchema {
  return Type.Object(
    {
      apiVersion: Type.Literal(kind.apiVersion),
      kind: Type.Literal(kind.kind),
      metadata: ObjectMeta,
      spec: kind.spec,
      status: Type.Optional(kind.status),
    },
    { additionalProperties: false },
  );
}

function listSchema(kind: RegisteredKind): TSchema {
  return Type.Object(
    {
      apiVersion: Type.Literal(kind.apiVersion),
      kind: Type.Literal(`${kind.kind}List`),
      metadata: Type.Object(
        { resourceVersion: Type.String(), continue: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
      items: Type.Array(Type.Ref(`#/components/schemas/${kind.kind}Object`)),
    },
    { additionalProperties: false },
  );
}

/** Replaces the generic resource schemas of the resource routes with one kind's. */
function forKind(kind: RegisteredKind): SchemaRewrite {
  return (schema) =>
    schema === ResourceResponse
      ? { $ref: `#/components/schemas/${kind.kind}Object` }
      : schema === ResourceListResponse
        ? { $ref: `#/components/schemas/${kind.kind}List` }
        : schema;
}

/**
 * Whether the generic resource route serves the kind: team kinds' objects are reached through their
 * team (a global path answers only their list, across teams, and create, from `metadata.team`), global
 * kinds' never are.
 */
function servesKind(route: CollectedRoute, kind: RegisteredKind): boolean {
  if (route.url === `${RESOURCE_BASE}/teams/:name/status`) return false;
  const teamPath = route.url.includes('/teams/:team/');
  if (kind.scope === 'Global') return !teamPath;
  return teamPath || !route.url.includes('/:name');
}

/**
 * OpenAPI 3.1 from the registered route schemas, with the generic resource routes expanded per kind so
 * each kind's JSON Schema documents its own paths. Every operation lists its answers: the declared
 * successes and the error answers, whose body is `Error`.
 */
export function buildOpenApi(
  routes: readonly CollectedRoute[],
  kinds: KindRegistry,
  version: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (url: string, method: string, op: Record<string, unknown>) => {
    (paths[toOpenApiPath(url)] ??= {})[method] = op;
  };
  const same: SchemaRewrite = (schema) => schema;
  const schemas: Record<string, unknown> = { Error: ErrorBody };
  for (const route of routes) {
    if (!route.url.startsWith(RESOURCE_BASE)) {
      const kind = route.responseKind === undefined ? undefined : kinds.get(route.responseKind);
      add(route.url, route.method, operation(route, kind ? forKind(kind) : same));
      continue;
    }
    if (route.url === `${RESOURCE_BASE}/teams/:name/status`) {
      const team = kinds.get('Team');
      add(route.url, route.method, {
        ...operation(route, forKind(team), { body: { $ref: '#/components/schemas/Team' } }),
        tags: ['Team'],
      });
      continue;
    }
    for (const kind of kinds.list()) {
      if (!servesKind(route, kind)) continue;
      const url = route.url.replace(':plural', kind.plural);
      const takesBody = ['post', 'put', 'patch'].includes(route.method);
      add(url, route.method, {
        ...operation({ ...route, url }, forKind(kind), {
          ...(takesBody ? { body: { $ref: `#/components/schemas/${kind.kind}` } } : {}),
          summary: `${String(route.schema.summary)} (${kind.kind})`,
        }),
        tags: [kind.kind],
      });
      schemas[kind.kind] = kind.schema;
      schemas[`${kind.kind}Object`] = responseSchema(kind);
      schemas[`${kind.kind}List`] = listSchema(kind);
    }
  }
  const responses = Object.fromEntries(
    Object.entries(ERROR_STATUSES).map(([status, description]) => [
      `E${status}`,
      { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gantry API',
      version,
      description:
        'The Gantry control plane. Conventions: docs/reference/api.md; error codes: docs/reference/errors.md.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: { schemas, responses, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
