import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '@gantry/identity';
import { clearedSessionCookies, csrfTokenFor, sessionCookies } from '../session-cookie.ts';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    session: Type.Optional(
      Type.Union([Type.Literal('token'), Type.Literal('cookie')], {
        description:
          '`cookie` (the console): the session goes into an HttpOnly cookie, the answer carries `csrfToken` instead of `token`.',
      }),
    ),
  },
  { additionalProperties: false },
);

export function authRoutes(app: FastifyInstance, identity: IdentityService): void {
  app.post<{ Body: { username: string; password: string; session?: 'token' | 'cookie' } }>(
    '/api/auth/login',
    {
      config: { public: true },
      schema: { tags: ['identity'], summary: 'Log in; returns a session token', body: LoginBody },
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
    { schema: { tags: ['identity'], summary: 'Revoke the session token in use' } },
    async (request, reply) => {
      await identity.logout(request.caller);
      return reply
        .header('set-cookie', clearedSessionCookies(request.protocol === 'https'))
        .status(204)
        .send();
    },
  );
  app.get(
    '/api/me',
    { schema: { tags: ['identity'], summary: 'The calling user and their teams' } },
    async (request) => {
      const { principal } = request.caller;
      return {
        user: { username: principal.username, admin: principal.admin },
        teams: [...principal.teams].map(([team, role]) => ({ team, role })),
      };
    },
  );
}
