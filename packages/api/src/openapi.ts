import type { FastifyInstance, RouteOptions } from 'fastify';
import type { KindRegistry } from '@gantry/model';
import { RESOURCE_BASE } from './routes/resources.ts';

declare module 'fastify' {
  interface FastifySchema {
    tags?: string[];
    summary?: string;
  }
}

interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
  public: boolean;
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['code', 'message', 'details'],
  properties: {
    code: { type: 'string', description: 'A stable code from docs/reference/errors.md' },
    message: { type: 'string' },
    details: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/** Remembers every route's schema as it is registered, so the document is built from what validates. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({
        method: method.toLowerCase(),
        url: route.url,
        schema: (route.schema ?? {}) as Record<string, unknown>,
        public: route.config?.public === true,
      });
    }
  });
  return routes;
}

function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z]+)/g, '{$1}');
}

function parameters(schema: Record<string, unknown>, url: string): unknown[] {
  const out: unknown[] = [];
  for (const match of url.matchAll(/:([A-Za-z]+)/g))
    out.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
  const query = schema.querystring as
    { properties?: Record<string, unknown>; required?: string[] } | undefined;
  for (const [name, property] of Object.entries(query?.properties ?? {})) {
    out.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema: property });
  }
  return out;
}

function operation(route: CollectedRoute, body?: unknown, summary?: string): Record<string, unknown> {
  const { schema } = route;
  return {
    tags: schema.tags ?? [],
    summary: summary ?? schema.summary ?? '',
    parameters: parameters(schema, route.url),
    ...((body ?? schema.body)
      ? { requestBody: { required: true, content: { 'application/json': { schema: body ?? schema.body } } } }
      : {}),
    responses: {
      '200': { description: 'OK' },
      default: {
        description: 'An error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
    ...(route.public ? { security: [] } : {}),
  };
}

/**
 * OpenAPI 3.1 from the registered route schemas, with the generic resource routes expanded per kind so
 * each kind's JSON Schema documents its own paths.
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
  const schemas: Record<string, unknown> = { Error: ERROR_SCHEMA };
  for (const route of routes) {
    if (!route.url.startsWith(RESOURCE_BASE)) {
      add(route.url, route.method, operation(route));
      continue;
    }
    for (const kind of kinds.list()) {
      const teamPath = route.url.includes('/teams/:team/');
      if (teamPath && kind.scope === 'Global') continue;
      if (route.url === `${RESOURCE_BASE}/teams/:name/status`) continue;
      const url = route.url.replace(':plural', kind.plural);
      const ref = { $ref: `#/components/schemas/${kind.kind}` };
      const takesBody = ['post', 'put', 'patch'].includes(route.method);
      add(url, route.method, {
        ...operation(
          { ...route, url },
          takesBody ? ref : undefined,
          `${String(route.schema.summary)} (${kind.kind})`,
        ),
        tags: [kind.kind],
      });
      schemas[kind.kind] = kind.schema;
    }
  }
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
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
  };
}
