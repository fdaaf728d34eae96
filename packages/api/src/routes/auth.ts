import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { CookieLoginResult, LoginRequest, LoginResult, Me } from '@gantry/model';
import type { IdentityService } from '@gantry/identity';
import { clearedSessionCookies, csrfTokenFor, sessionCookies } from '../session-cookie.ts';
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
        response: { 200: Type.Union([LoginResult, CookieLoginResult]), ...errorResponses(401, 429) },
      },
    },
    async (request, reply) => {
      const session = await identity.login(request.body.username, request.body.password, request.ip);
      if (request.body.session !== 'cookie') return session;
      const { token, ...rest } = session;
      const maxAge = Math.max(0, Math.floor((Date.parse(session.expiresAt) - Date.now()) / 1000));
      void reply.header('set-cookie', sessionCookies(token, maxAge, request.protocol === 'https'));
      return { ...rest, csrfToken: csrfTokenFor(token) };
    },
  );
  app.post(
    '/api/auth/logout',
    {
      schema: { tags, summary: 'Revoke the session token in use', response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await identity.logout(request.caller);
      return reply
        .header('set-cookie', clearedSessionCookies(request.protocol === 'https'))
        .status(204)
        .send(null);
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
