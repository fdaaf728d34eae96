import type { FastifyInstance } from 'fastify';
import type { KindRegistry } from '@gantry/model';
import type { Metrics } from '../metrics.ts';

export interface VersionInfo {
  version: string;
  commit: string;
  database: string;
}

export function metaRoutes(
  app: FastifyInstance,
  deps: { kinds: KindRegistry; metrics: Metrics; version: VersionInfo; ready: () => Promise<boolean> },
): void {
  app.get(
    '/healthz',
    { config: { public: true }, schema: { tags: ['meta'], summary: 'The process is alive' } },
    () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { public: true },
      schema: { tags: ['meta'], summary: 'The database is reachable and migrated' },
    },
    async (_request, reply) =>
      (await deps.ready())
        ? { status: 'ready' }
        : reply.status(503).send({
            code: 'GANTRY_E_UNAVAILABLE',
            message: 'not ready: the database is unreachable or not migrated',
            details: [],
          }),
  );
  app.get(
    '/metrics',
    { config: { public: true }, schema: { tags: ['meta'], summary: 'Prometheus metrics' } },
    async (_request, reply) =>
      reply
        .header('content-type', deps.metrics.registry.contentType)
        .send(await deps.metrics.registry.metrics()),
  );
  app.get('/api/version', { schema: { tags: ['meta'], summary: 'Server version' } }, () => deps.version);
  app.get(
    '/api/kinds',
    { schema: { tags: ['meta'], summary: 'Every resource kind, with its JSON Schema' } },
    () => ({
      items: deps.kinds.list().map((kind) => ({
        kind: kind.kind,
        apiVersion: kind.apiVersion,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: kind.shortNames,
        scope: kind.scope,
        description: kind.description,
        schema: kind.schema,
        statusSchema: kind.status,
        printerColumns: kind.printerColumns,
      })),
    }),
  );
}
