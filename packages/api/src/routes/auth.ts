import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { LoginRequest, LoginResult, Me } from '@gantry/model';
import type { IdentityService } from '@gantry/identity';
import { errorResponses } from '../responses.ts';

export function authRoutes(fastify: FastifyInstance, identity: IdentityService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['identity'];
  app.post(
    '/api/auth/login',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Log in; returns a session token',
        body: LoginRequest,
        response: { 200: LoginResult, ...errorResponses(401, 429) },
      },
    },
    async (request) => identity.login(request.body.username, request.body.password, request.ip),
  );
  app.post(
    '/api/auth/logout',
    {
      schema: { tags, summary: 'Revoke the session token in use', response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await identity.logout(request.caller);
      return reply.status(204).send(null);
    },
  );
  app.get(
    '/api/me',
    { schema: { tags, summary: 'The calling user and their teams', response: { 200: Me } } },
    async (request) => {
      const { principal } = request.caller;
      return {
        user: { username: principal.username, admin: principal.admin },
        teams: [...principal.teams].map(([team, role]) => ({ team, role })),
      };
    },
  );
}
