import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  AGENT_CONNECT_PATH,
  AgentCredentialGrant,
  AgentJoinRequest,
  ErrorCodes,
  GantryError,
} from '@gantry/model';
import type { HostsModule } from '@gantry/hosts';
import { errorResponses } from '../responses.ts';

const tags = ['agent'];

/**
 * The agents' side of the API (ADR 0016). Public as far as user tokens go: join takes a join token in its
 * body, rotate and connect the agent's own credential as a bearer token.
 */
export function agentRoutes(fastify: FastifyInstance, module: HostsModule): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/api/agent/join',
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Exchange a join token for the agent's own credential",
        body: AgentJoinRequest,
        response: { 200: AgentCredentialGrant, ...errorResponses(401) },
      },
    },
    async (request) => {
      const grant = await module.access.join(request.body);
      await module.audit.record({
        actor: `agent:${grant.host}`,
        source: request.ip,
        action: 'join',
        kind: 'Host',
        team: grant.team,
        name: grant.host,
        after: {
          credentialId: grant.credentialId,
          joinToken: request.body.token.split('.')[0],
          labels: request.body.labels ?? {},
        },
      });
      return grant;
    },
  );
  app.post(
    '/api/agent/rotate',
    {
      config: { public: true },
      schema: {
        tags,
        summary: "Replace the agent's credential (the old one works for ten more minutes)",
        response: { 200: AgentCredentialGrant, ...errorResponses(401) },
      },
    },
    async (request) => {
      const current = await module.access.authenticate(request.headers.authorization);
      const grant = await module.access.rotate(current);
      module.hub.rotated(grant.team, grant.host, grant.credentialId);
      return grant;
    },
  );
  app.get(
    AGENT_CONNECT_PATH,
    {
      config: { public: true },
      schema: {
        tags,
        summary: "The agent's WebSocket (Upgrade: websocket, the credential as bearer token)",
        response: errorResponses(426),
      },
    },
    () => {
      throw new GantryError(426, ErrorCodes.badRequest, 'this path takes a WebSocket upgrade');
    },
  );
  // Fastify cannot close the HTTP server while upgraded sockets are open.
  app.addHook('preClose', async () => module.hub.disconnectAll());
  app.server.on('upgrade', (request, socket, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path === AGENT_CONNECT_PATH) module.hub.handleUpgrade(request, socket, head);
    else socket.destroy();
  });
}
