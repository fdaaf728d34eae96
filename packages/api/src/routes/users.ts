import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '@gantry/identity';

const Username = Type.Object({ username: Type.String() });
const CreateUser = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    admin: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const UpdateUser = Type.Object(
  {
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    currentPassword: Type.Optional(Type.String({ maxLength: 1024 })),
    admin: Type.Optional(Type.Boolean()),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const CreateToken = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
  },
  { additionalProperties: false },
);

export function userRoutes(app: FastifyInstance, identity: IdentityService): void {
  const tags = ['identity'];
  app.get('/api/users', { schema: { tags, summary: 'List users (admin)' } }, async (request) => ({
    items: await identity.listUsers(request.caller),
  }));
  app.post<{ Body: { username: string; password: string; admin?: boolean } }>(
    '/api/users',
    { schema: { tags, summary: 'Create a user (admin)', body: CreateUser } },
    async (request, reply) => reply.status(201).send(await identity.createUser(request.caller, request.body)),
  );
  app.get<{ Params: { username: string } }>(
    '/api/users/:username',
    { schema: { tags, summary: 'Get a user', params: Username } },
    async (request) => identity.getUser(request.caller, request.params.username),
  );
  app.patch<{
    Params: { username: string };
    Body: { password?: string; currentPassword?: string; admin?: boolean; disabled?: boolean };
  }>(
    '/api/users/:username',
    {
      schema: {
        tags,
        summary: 'Change a password, the admin role or disable a user',
        params: Username,
        body: UpdateUser,
      },
    },
    async (request) => identity.updateUser(request.caller, request.params.username, request.body),
  );
  app.delete<{ Params: { username: string } }>(
    '/api/users/:username',
    { schema: { tags, summary: 'Delete a user (admin)', params: Username } },
    async (request, reply) => {
      await identity.deleteUser(request.caller, request.params.username);
      return reply.status(204).send();
    },
  );

  app.get<{ Querystring: { all?: string } }>(
    '/api/tokens',
    {
      schema: {
        tags,
        summary: 'List API tokens (your own; all=true for every user, admin)',
        querystring: Type.Object({
          all: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
        }),
      },
    },
    async (request) => ({ items: await identity.listTokens(request.caller, request.query.all === 'true') }),
  );
  app.post<{ Body: { name: string; expiresInDays?: number } }>(
    '/api/tokens',
    { schema: { tags, summary: 'Create an API token; the secret is returned only here', body: CreateToken } },
    async (request, reply) =>
      reply.status(201).send(await identity.createToken(request.caller, request.body)),
  );
  app.delete<{ Params: { id: string } }>(
    '/api/tokens/:id',
    { schema: { tags, summary: 'Revoke an API token', params: Type.Object({ id: Type.String() }) } },
    async (request, reply) => {
      await identity.revokeToken(request.caller, request.params.id);
      return reply.status(204).send();
    },
  );
}
