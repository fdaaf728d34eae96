import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError } from '@gantry/model';
import type { Caller, IdentityService } from '@gantry/identity';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a token. */
    public?: boolean;
  }
}

/** Every /api and /apis route needs a bearer token unless its config says `public`. */
export function registerAuthentication(app: FastifyInstance, identity: IdentityService): void {
  app.decorateRequest('caller', undefined as unknown as Caller);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config.public) return;
    const path = request.url;
    if (!path.startsWith('/api/') && !path.startsWith('/apis/')) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match)
      throw new AuthenticationError(
        'missing bearer token: send "Authorization: Bearer <token>" (gantry login, or POST /api/auth/login)',
      );
    request.caller = { principal: await identity.authenticate(match[1]!), source: request.ip };
  });
}
