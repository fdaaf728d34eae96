import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  BaselineSeriesQuery,
  BaselineSeriesView,
  NAME_PATTERN,
  type Resource,
  type BaselineSeriesView as SeriesView,
} from '@gantry/model';
import type { ResourceService } from '@gantry/resources';
import { errorResponses } from '../responses.ts';

/** Reads one series of a Baseline with its band (`createBaselineSeriesReader` in @gantry/health). */
export interface BaselineSeriesSource {
  read(baseline: Resource, series: string): Promise<SeriesView>;
}

const Params = Type.Object({
  team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
  name: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
});

/**
 * A Baseline's series for the console: its points over the lookback, the band each was checked against
 * and the deviation episodes. Reading the Baseline with the caller's rights is the access check.
 */
export function baselineRoutes(
  fastify: FastifyInstance,
  deps: { resources: ResourceService; series: BaselineSeriesSource },
): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/teams/:team/baselines/:name/series',
    {
      schema: {
        tags: ['health'],
        summary:
          "One series of a Baseline with its band and deviations, checked again over the Baseline's lookback",
        params: Params,
        querystring: BaselineSeriesQuery,
        response: { 200: BaselineSeriesView, ...errorResponses(502) },
      },
    },
    async (request) => {
      const baseline = await deps.resources.get(
        request.caller,
        'Baseline',
        request.params.team,
        request.params.name,
      );
      return deps.series.read(baseline, request.query.series);
    },
  );
}
