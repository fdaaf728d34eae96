import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  ErrorCodes,
  KINDS_TAG_HEADER,
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
  const servedKinds = (schemas: boolean): KindList['items'] =>
    deps.kinds.list().map((kind) => ({
      kind: kind.kind,
      apiVersion: kind.apiVersion,
      plural: kind.plural,
      singular: kind.singular,
      shortNames: kind.shortNames,
      scope: kind.scope,
      description: kind.description,
      ...(schemas ? { schema: kind.schema, statusSchema: kind.status } : {}),
      printerColumns: kind.printerColumns,
    }));
  // The kinds' tag (KINDS_TAG_HEADER, ADR 0035): a hash of what `GET /api/kinds` answers, sent with every
  // API answer so that the CLI's cache of the kinds learns at its next call that they changed. Computed at
  // the first answer: the server registers its kinds before it listens.
  let tag: string | undefined;
  const kindsTag = (): string =>
    (tag ??= `"${createHash('sha256')
      .update(JSON.stringify(servedKinds(true)))
      .digest('base64url')
      .slice(0, 22)}"`);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (request.url.startsWith('/api')) void reply.header(KINDS_TAG_HEADER, kindsTag());
    done(null, payload);
  });
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
    (request) => ({ items: servedKinds(request.query.schemas !== 'false') }),
  );
}
