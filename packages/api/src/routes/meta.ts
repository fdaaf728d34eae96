import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  ErrorCodes,
  KindList,
  KindListQuery,
  ProbeStatus,
  ServerVersion,
  type KindRegistry,
} from '@gantry/model';
import type { Metrics } from '../metrics.ts';
import { errorResponses } from '../responses.ts';

export type VersionInfo = ServerVersion;

export function metaRoutes(
  fastify: FastifyInstance,
  deps: { kinds: KindRegistry; metrics: Metrics; version: VersionInfo; ready: () => Promise<boolean> },
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['meta'];
  app.get(
    '/healthz',
    {
      config: { public: true },
      schema: { tags, summary: 'The process is alive', response: { 200: ProbeStatus } },
    },
    () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'The database is reachable and migrated',
        response: { 200: ProbeStatus, ...errorResponses(503) },
      },
    },
    async (_request, reply) =>
      (await deps.ready())
        ? { status: 'ready' as const }
        : reply.status(503).send({
            code: ErrorCodes.unavailable,
            message: 'not ready: the database is unreachable or not migrated',
            details: [],
          }),
  );
  app.get(
    '/metrics',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Prometheus metrics',
        response: { 200: { content: { 'text/plain': { schema: Type.String() } } } },
      },
    },
    async (_request, reply) =>
      reply
        .header('content-type', deps.metrics.registry.contentType)
        .send(await deps.metrics.registry.metrics()),
  );
  app.get(
    '/api/version',
    { schema: { tags, summary: 'Server version', response: { 200: ServerVersion } } },
    () => deps.version,
  );
  app.get(
    '/api/kinds',
    {
      schema: {
        tags,
        summary: 'Every resource kind, with its JSON Schema',
        querystring: KindListQuery,
        response: { 200: KindList, ...errorResponses(400) },
      },
    },
    (request) => ({
      items: deps.kinds.list().map((kind) => ({
        kind: kind.kind,
        apiVersion: kind.apiVersion,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: kind.shortNames,
        scope: kind.scope,
        description: kind.description,
        ...(request.query.schemas === 'false' ? {} : { schema: kind.schema, statusSchema: kind.status }),
        printerColumns: kind.printerColumns,
      })),
    }),
  );
}
