import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApplicationDiff, DiffRequest, RollbackRequest } from '@gantry/model';
import type { DeliveryService } from '@gantry/delivery';
import { errorResponses } from '../responses.ts';
import { ResourceResponse } from './resources.ts';

const AppParams = Type.Object({ team: Type.String({ maxLength: 63 }), name: Type.String({ maxLength: 63 }) });

/** Application operations beyond the generic resource API: rollback and per-cluster diff. */
export function deliveryRoutes(fastify: FastifyInstance, delivery: DeliveryService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['delivery'];
  app.post(
    '/api/teams/:team/applications/:name/rollback',
    {
      config: { responseKind: 'Application' },
      schema: {
        tags,
        summary: 'Return an application to one of its revisions (records a new revision)',
        params: AppParams,
        body: RollbackRequest,
        response: { 200: ResourceResponse, ...errorResponses(409, 422) },
      },
    },
    (request) =>
      delivery.rollback(request.caller, request.params.team, request.params.name, request.body.revision),
  );
  app.post(
    '/api/teams/:team/applications/:name/diff',
    {
      schema: {
        tags,
        summary: 'What applying the application would change on each target cluster (server-side dry run)',
        params: AppParams,
        body: DiffRequest,
        response: { 200: ApplicationDiff, ...errorResponses(422) },
      },
    },
    (request) => delivery.diff(request.caller, request.params.team, request.params.name, request.body?.spec),
  );
}
