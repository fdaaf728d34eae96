import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  CreatedToken,
  CreateTokenRequest,
  CreateUserRequest,
  PublicUser,
  TokenList,
  UpdateUserRequest,
  UserList,
} from '@gantry/model';
import type { IdentityService } from '@gantry/identity';
import { errorResponses } from '../responses.ts';

const Username = Type.Object({ username: Type.String() });
const NoContent = { 204: Type.Null() };

export function userRoutes(fastify: FastifyInstance, identity: IdentityService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['identity'];
  app.get(
    '/api/users',
    { schema: { tags, summary: 'List users (admin)', response: { 200: UserList } } },
    async (request) => ({ items: await identity.listUsers(request.caller) }),
  );
  app.post(
    '/api/users',
    {
      schema: {
        tags,
        summary: 'Create a user (admin)',
        body: CreateUserRequest,
        response: { 201: PublicUser, ...errorResponses(409) },
      },
    },
    async (request, reply) => reply.status(201).send(await identity.createUser(request.caller, request.body)),
  );
  app.get(
    '/api/users/:username',
    { schema: { tags, summary: 'Get a user', params: Username, response: { 200: PublicUser } } },
    async (request) => identity.getUser(request.caller, request.params.username),
  );
  app.patch(
    '/api/users/:username',
    {
      schema: {
        tags,
        summary: 'Change a password, the admin role or disable a user',
        params: Username,
        body: UpdateUserRequest,
        response: { 200: PublicUser },
      },
    },
    async (request) => identity.updateUser(request.caller, request.params.username, request.body),
  );
  app.delete(
    '/api/users/:username',
    { schema: { tags, summary: 'Delete a user (admin)', params: Username, response: NoContent } },
    async (request, reply) => {
      await identity.deleteUser(request.caller, request.params.username);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/tokens',
    {
      schema: {
        tags,
        summary: 'List API tokens (your own; all=true for every user, admin)',
        querystring: Type.Object(
          { all: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) },
          { additionalProperties: false },
        ),
        response: { 200: TokenList },
      },
    },
    async (request) => ({ items: await identity.listTokens(request.caller, request.query.all === 'true') }),
  );
  app.post(
    '/api/tokens',
    {
      schema: {
        tags,
        summary: 'Create an API token; the secret is returned only here',
        body: CreateTokenRequest,
        response: { 201: CreatedToken },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await identity.createToken(request.caller, request.body)),
  );
  app.delete(
    '/api/tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API token',
        params: Type.Object({ id: Type.String() }),
        response: NoContent,
      },
    },
    async (request, reply) => {
      await identity.revokeToken(request.caller, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
