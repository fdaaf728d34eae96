import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  decodeContinueToken,
  encodeContinueToken,
  ErrorCodes,
  Host,
  HostList,
  HostStatus,
  InputError,
  JoinToken,
  JoinTokenCreate,
  JoinTokenCreated,
  JoinTokenList,
  parseLabelSelector,
} from '@gantry/model';
import { authorize } from '@gantry/identity';
import type { HostsModule } from '@gantry/hosts';
import { errorResponses } from '../responses.ts';

const tags = ['hosts'];
const TeamParams = Type.Object({ team: Type.String() });
const HostParams = Type.Object({ team: Type.String(), name: Type.String() });
const TokenParams = Type.Object({ team: Type.String(), id: Type.String() });
const NodeParams = Type.Object({ team: Type.String(), cluster: Type.String(), node: Type.String() });
const ListQuery = Type.Object(
  {
    labelSelector: Type.Optional(Type.String({ maxLength: 4096 })),
    group: Type.Optional(
      Type.String({ maxLength: 253, description: 'A HostGroup of the team: its hosts only.' }),
    ),
    status: Type.Optional(HostStatus),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

/** Host records (read: the team's viewers; delete: team admins) and join tokens (team admins). */
export function hostRoutes(fastify: FastifyInstance, module: HostsModule): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/teams/:team/hosts',
    {
      schema: {
        tags,
        summary: "A team's hosts by name, filtered by label selector and status",
        params: TeamParams,
        querystring: ListQuery,
        response: { 200: HostList },
      },
    },
    async (request) => {
      const { team } = request.params;
      authorize(request.caller.principal, 'read', team, `the hosts of team ${team}`);
      const q = request.query;
      const limit = q.limit === undefined ? 500 : Number(q.limit);
      if (limit < 1 || limit > 1000)
        throw new InputError(
          'limit must be from 1 to 1000',
          [{ path: '/querystring/limit', message: 'must be 1-1000' }],
          ErrorCodes.invalid,
        );
      const page = await module.hosts.list(team, {
        limit,
        ...(q.labelSelector ? { selector: parseLabelSelector(q.labelSelector) } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.group ? { group: q.group } : {}),
        ...(q.continue
          ? { after: decodeContinueToken(q.continue, (value): value is string => typeof value === 'string') }
          : {}),
      });
      return {
        items: page.items,
        ...(page.next !== undefined ? { continue: encodeContinueToken(page.next) } : {}),
      };
    },
  );
  app.get(
    '/api/teams/:team/hosts/:name',
    { schema: { tags, summary: 'One host', params: HostParams, response: { 200: Host } } },
    async (request) => {
      const { team, name } = request.params;
      authorize(request.caller.principal, 'read', team, `the hosts of team ${team}`);
      return module.hosts.get(team, name);
    },
  );
  app.delete(
    '/api/teams/:team/hosts/:name',
    {
      schema: {
        tags,
        summary: 'Delete a host: its credential is revoked and its open connection closed at once',
        params: HostParams,
        response: { 200: Host },
      },
    },
    async (request) => {
      const { team, name } = request.params;
      const { principal, source } = request.caller;
      authorize(principal, 'manage', team, `the hosts of team ${team}`);
      const host = await module.hosts.delete(team, name);
      await module.audit.record({
        actor: principal.username,
        source,
        action: 'delete',
        kind: 'Host',
        team,
        name,
        before: { labels: host.labels, credentialId: host.credentialId },
      });
      return host;
    },
  );
  app.get(
    '/api/teams/:team/clusters/:cluster/nodes/:node/hosts',
    {
      schema: {
        tags,
        summary: "The host records of a cluster's node (the same machine running gantry agent)",
        params: NodeParams,
        response: { 200: HostList },
      },
    },
    async (request) => {
      const { team, cluster, node } = request.params;
      authorize(request.caller.principal, 'read', team, `the hosts of team ${team}`);
      return module.hosts.forNode(team, cluster, node);
    },
  );

  app.post(
    '/api/teams/:team/join-tokens',
    {
      schema: {
        tags,
        summary: 'Create a join token for `gantry agent`; the token is in this answer only',
        params: TeamParams,
        body: JoinTokenCreate,
        response: { 201: JoinTokenCreated },
      },
    },
    async (request, reply) => {
      const { team } = request.params;
      const { principal } = request.caller;
      authorize(principal, 'manage', team, `the join tokens of team ${team}`);
      const created = await module.access.createJoinToken(team, principal.username, request.body);
      await module.audit.record({
        actor: principal.username,
        source: request.caller.source,
        action: 'create',
        kind: 'JoinToken',
        team,
        name: created.joinToken.id,
        after: created.joinToken,
      });
      return reply.status(201).send(created);
    },
  );
  app.get(
    '/api/teams/:team/join-tokens',
    {
      schema: {
        tags,
        summary: "A team's join tokens (never their secrets)",
        params: TeamParams,
        response: { 200: JoinTokenList },
      },
    },
    async (request) => {
      const { team } = request.params;
      authorize(request.caller.principal, 'manage', team, `the join tokens of team ${team}`);
      return { items: await module.access.listJoinTokens(team) };
    },
  );
  app.delete(
    '/api/teams/:team/join-tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke a join token',
        params: TokenParams,
        response: { 200: JoinToken, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { team, id } = request.params;
      const { principal, source } = request.caller;
      authorize(principal, 'manage', team, `the join tokens of team ${team}`);
      const revoked = await module.access.revokeJoinToken(team, id);
      await module.audit.record({
        actor: principal.username,
        source,
        action: 'revoke',
        kind: 'JoinToken',
        team,
        name: id,
        after: revoked,
      });
      return revoked;
    },
  );
}
