import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ErrorCodes, HealthStreamPage, HealthStreamQuery, InputError, NAME_PATTERN } from '@gantry/model';
import type { HealthStreamService } from '@gantry/health';

const TeamParams = Type.Object({ team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }) });

const MAX_LIMIT = 500;

function limitOf(value: string | undefined): number {
  if (value === undefined) return 100;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIMIT)
    throw new InputError(
      `limit must be from 1 to ${MAX_LIMIT}`,
      [{ path: 'querystring/limit', message: `must be 1-${MAX_LIMIT}` }],
      ErrorCodes.invalid,
    );
  return n;
}

/**
 * The health stream (ADR 0027): a team's Gantry events, alerts, risks, exceptions and failures in one
 * time-ordered answer with filters, followed by passing each answer's `cursor` back as `since`.
 */
export function healthStreamRoutes(fastify: FastifyInstance, stream: HealthStreamService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/teams/:team/health/stream',
    {
      schema: {
        tags: ['health'],
        summary:
          "A team's events, alerts, risks, exceptions and failures in one stream: the newest changes, or what changed since a cursor",
        params: TeamParams,
        querystring: HealthStreamQuery,
        response: { 200: HealthStreamPage },
      },
    },
    (request) => {
      const { limit, ...query } = request.query;
      return stream.read(request.caller, request.params.team, { ...query, limit: limitOf(limit) });
    },
  );
}
