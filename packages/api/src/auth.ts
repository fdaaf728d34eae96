import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthenticationError, ErrorCodes, GantryError } from '@gantry/model';
import type { Caller, IdentityService, Principal } from '@gantry/identity';
import { CSRF_HEADER, csrfMatches, readCookie, SESSION_COOKIE } from './session-cookie.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

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
    /** A route outside the resource API that answers one kind's object (documented as that kind's). */
    responseKind?: string;
  }
}

/**
 * Every /api and /apis route needs a bearer token, or the console's session cookie, unless its config
 * says `public`. A call authenticated by the cookie that may change something must also carry the
 * session's CSRF token in the X-Gantry-CSRF header; bearer tokens need none (no browser sends them by itself).
 */
export function registerAuthentication(app: FastifyInstance, identity: IdentityService): void {
  app.decorateRequest('caller', undefined as unknown as Caller);
  app.decorateRequest('reauthenticate', undefined as unknown as () => Promise<Principal>);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    if (request.routeOptions.config.public) return;
    const path = request.url;
    if (!path.startsWith('/api/') && !path.startsWith('/apis/')) return;
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    let token = match?.[1];
    if (token === undefined && header === undefined) {
      token = readCookie(request.headers.cookie, SESSION_COOKIE) || undefined;
      if (token !== undefined && !SAFE_METHODS.has(request.method)) {
        const sent = request.headers[CSRF_HEADER];
        if (!csrfMatches(token, typeof sent === 'string' ? sent : undefined))
          throw new GantryError(
            403,
            ErrorCodes.csrf,
            `a call authenticated by the session cookie must send the session's CSRF token in the ${CSRF_HEADER} header`,
          );
      }
    }
    if (token === undefined)
      throw new AuthenticationError(
        'missing bearer token: send "Authorization: Bearer <token>" (gantry login, or POST /api/auth/login)',
      );
    const credential = token;
    request.caller = { principal: await identity.authenticate(credential), source: request.ip };
    request.reauthenticate = () => identity.authenticate(credential);
  });
}
