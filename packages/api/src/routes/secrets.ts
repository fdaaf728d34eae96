import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { PutSecretRequest, SecretList, SecretSummary } from '@gantry/model';
import type { SecretService } from '@gantry/identity';

const Params = Type.Object({ team: Type.String(), name: Type.String() });

export function secretRoutes(fastify: FastifyInstance, secrets: SecretService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['secrets'];
  app.get(
    '/api/secrets',
    {
      schema: {
        tags,
        summary: 'List secrets (names and key sizes, never values)',
        querystring: Type.Object({ team: Type.Optional(Type.String()) }, { additionalProperties: false }),
        response: { 200: SecretList },
      },
    },
    async (request) => ({ items: await secrets.list(request.caller, request.query.team) }),
  );
  app.put(
    '/api/teams/:team/secrets/:name',
    {
      schema: {
        tags,
        summary: 'Create or replace a secret; values are encrypted at rest',
        params: Params,
        body: PutSecretRequest,
        response: { 200: SecretSummary },
      },
    },
    async (request) =>
      secrets.put(request.caller, request.params.team, request.params.name, request.body.data),
  );
  app.delete(
    '/api/teams/:team/secrets/:name',
    { schema: { tags, summary: 'Delete a secret', params: Params, response: { 204: Type.Null() } } },
    async (request, reply) => {
      await secrets.delete(request.caller, request.params.team, request.params.name);
      return reply.status(204).send(null);
    },
  );
}
