import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ApplicationSpec } from '@gantry/model';
import type { DeliveryService } from '@gantry/delivery';

const AppParams = Type.Object({ team: Type.String({ maxLength: 63 }), name: Type.String({ maxLength: 63 }) });
type AppParams = { team: string; name: string };

const RollbackBody = Type.Object(
  { revision: Type.Integer({ minimum: 1, description: 'The revision to return to.' }) },
  { additionalProperties: false },
);
const DiffBody = Type.Object(
  { spec: Type.Optional(ApplicationSpec) },
  {
    additionalProperties: false,
    description:
      'Without a spec: the application as stored against the clusters; with one: that spec instead (a dry run of an edit).',
  },
);

/** Application operations beyond the generic resource API: rollback and per-cluster diff. */
export function deliveryRoutes(app: FastifyInstance, delivery: DeliveryService): void {
  const tags = ['delivery'];
  app.post<{ Params: AppParams; Body: { revision: number } }>(
    '/api/teams/:team/applications/:name/rollback',
    {
      schema: {
        tags,
        summary: 'Return an application to one of its revisions (records a new revision)',
        params: AppParams,
        body: RollbackBody,
      },
    },
    (request) =>
      delivery.rollback(request.caller, request.params.team, request.params.name, request.body.revision),
  );
  app.post<{ Params: AppParams; Body: { spec?: ApplicationSpec } | undefined }>(
    '/api/teams/:team/applications/:name/diff',
    {
      schema: {
        tags,
        summary: 'What applying the application would change on each target cluster (server-side dry run)',
        params: AppParams,
        body: DiffBody,
      },
    },
    (request) => delivery.diff(request.caller, request.params.team, request.params.name, request.body?.spec),
  );
}
