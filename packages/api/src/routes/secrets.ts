import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { SecretService } from '@gantry/identity';

const Params = Type.Object({ team: Type.String(), name: Type.String() });
const Body = Type.Object(
  { data: Type.Record(Type.String(), Type.String()) },
  { additionalProperties: false },
);

export function secretRoutes(app: FastifyInstance, secrets: SecretService): void {
  const tags = ['secrets'];
  app.get<{ Querystring: { team?: string } }>(
    '/api/secrets',
    {
      schema: {
        tags,
        summary: 'List secrets (names and key sizes, never values)',
        querystring: Type.Object({ team: Type.Optional(Type.String()) }, { additionalProperties: false }),
      },
    },
    async (request) => ({ items: await secrets.list(request.caller, request.query.team) }),
  );
  app.put<{ Params: { team: string; name: string }; Body: { data: Record<string, string> } }>(
    '/api/teams/:team/secrets/:name',
    {
      schema: {
        tags,
        summary: 'Create or replace a secret; values are encrypted at rest',
        params: Params,
        body: Body,
      },
    },
    async (request) =>
      secrets.put(request.caller, request.params.team, request.params.name, request.body.data),
  );
  app.delete<{ Params: { team: string; name: string } }>(
    '/api/teams/:team/secrets/:name',
    { schema: { tags, summary: 'Delete a secret', params: Params } },
    async (request, reply) => {
      await secrets.delete(request.caller, request.params.team, request.params.name);
      return reply.status(204).send();
    },
  );
}
