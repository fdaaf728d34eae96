import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { HealthStats, HealthStatsQuery } from '@gantry/model';
import type { StatsService } from '@gantry/health';

const TeamParams = Type.Object({
  team: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
});

/**
 * Failure statistics (ADR 0023): MTTD, MTTA, MTTR, MTBF, counts and availability per team, application,
 * cluster or class over a range, for one team (viewers may read) or every team the caller may read.
 */
export function healthStatsRoutes(fastify: FastifyInstance, stats: StatsService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['health'];

  app.get(
    '/api/teams/:team/stats',
    {
      schema: {
        tags,
        summary: "A team's failure statistics over a range, grouped by application, cluster, team or class",
        params: TeamParams,
        querystring: HealthStatsQuery,
        response: { 200: HealthStats },
      },
    },
    (request) => stats.team(request.caller, request.params.team, request.query),
  );
  app.get(
    '/api/stats',
    {
      schema: {
        tags,
        summary: 'Failure statistics of every team the caller may read (every team for an admin), together',
        querystring: HealthStatsQuery,
        response: { 200: HealthStats },
      },
    },
    (request) => stats.global(request.caller, request.query),
  );
}
