import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { IdentityService } from '@gantry/identity';

const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export function authRoutes(app: FastifyInstance, identity: IdentityService): void {
  app.post<{ Body: { username: string; password: string } }>(
    '/api/auth/login',
    {
      config: { public: true },
      schema: { tags: ['identity'], summary: 'Log in; returns a session token', body: LoginBody },
    },
    async (request) => identity.login(request.body.username, request.body.password, request.ip),
  );
  app.post(
    '/api/auth/logout',
    { schema: { tags: ['identity'], summary: 'Revoke the session token in use' } },
    async (request, reply) => {
      await identity.logout(request.caller);
      return reply.status(204).send();
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
