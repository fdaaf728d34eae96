import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  AuditPage,
  decodeContinueToken,
  encodeContinueToken,
  ErrorCodes,
  InputError,
  NotAllowedError,
} from '@gantry/model';
import type { AuditRepository } from '@gantry/store';

const Query = Type.Object(
  {
    team: Type.Optional(Type.String()),
    kind: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    actor: Type.Optional(Type.String()),
    action: Type.Optional(Type.String()),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
    continue: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

export function auditRoutes(fastify: FastifyInstance, audit: AuditRepository): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Query the audit log, newest first',
        querystring: Query,
        response: { 200: AuditPage },
      },
    },
    async (request) => {
      const { principal } = request.caller;
      const q = request.query;
      const limit = q.limit === undefined ? 100 : Number(q.limit);
      if (limit < 1 || limit > 1000)
        throw new InputError(
          'limit must be from 1 to 1000',
          [{ path: 'querystring/limit', message: 'must be 1-1000' }],
          ErrorCodes.invalid,
        );
      // Admins read everything; team admins read their own teams' entries.
      let teams: string[] | undefined;
      if (!principal.admin) {
        teams = [...principal.teams].filter(([, role]) => role === 'team-admin').map(([team]) => team);
        if (teams.length === 0)
          throw new NotAllowedError(
            `${principal.username} may not read the audit log (admins and team admins may)`,
          );
      }
      const page = await audit.query({
        ...(teams ? { teams } : {}),
        ...(q.team !== undefined ? { team: q.team } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.name ? { name: q.name } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
        ...(q.until ? { until: new Date(q.until).toISOString() } : {}),
        ...(q.continue
          ? {
              beforeId: decodeContinueToken(q.continue, (value): value is number =>
                Number.isSafeInteger(value),
              ),
            }
          : {}),
        limit,
      });
      return {
        items: page.entries,
        ...(page.nextBeforeId ? { continue: encodeContinueToken(page.nextBeforeId) } : {}),
      };
    },
  );
}
