import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError } from '@gantry/model';
import type { Caller, IdentityService, Principal } from '@gantry/identity';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
    /**
     * Checks the request's credentials again (revoked, expired, user disabled or deleted) and answers the
     * principal as it is now, with its current teams; long-lived streams call it while they run.
     */
    reauthenticate: () => Promise<Principal>;
  }
  interface FastifyContextConfig {
    /** Routes that answer without a token. */
    public?: boolean;
  }
}

/** Every /api and /apis route needs a bearer token unless its config says `public`. */
export function registerAuthentication(app: FastifyInstance, identity: IdentityService): void {
  app.decorateRequest('caller', undefined as unknown as Caller);
  app.decorateRequest('reauthenticate', undefined as unknown as () => Promise<Principal>);
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
    const token = match[1]!;
    request.caller = { principal: await identity.authenticate(token), source: request.ip };
    request.reauthenticate = () => identity.authenticate(token);
  });
}
