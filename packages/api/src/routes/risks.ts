import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  API_VERSION,
  InspectionNameParams,
  InspectionRunDiff,
  InspectionRunDiffQuery,
  InspectionRunPage,
  InspectionRunQuery,
  InspectionRunWithResults,
  InspectionTemplateList,
  NAME_PATTERN,
  Risk,
  RiskList,
  RiskQuery,
  queryInteger,
} from '@gantry/model';
import type { InspectionService, RiskService } from '@gantry/health';
import { errorResponses } from '../responses.ts';

const TeamParams = Type.Object({ team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }) });
const TeamIdParams = Type.Object({
  team: Type.String({ pattern: NAME_PATTERN, maxLength: 63 }),
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

export interface RiskRouteDependencies {
  risks: RiskService;
  inspections: InspectionService;
}

/** Risks and inspection runs (docs/reference/risks.md): records with their own query API. */
export function riskRoutes(fastify: FastifyInstance, deps: RiskRouteDependencies): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['health'];
  app.get(
    '/api/teams/:team/risks',
    {
      schema: {
        tags,
        summary: "A team's risks, newest first (open by default), filtered by source, entity and score",
        params: TeamParams,
        querystring: RiskQuery,
        response: { 200: RiskList },
      },
    },
    (request) => {
      const q = request.query;
      return deps.risks.list(request.caller, request.params.team, {
        ...(q.state ? { state: q.state } : {}),
        ...(q.source ? { source: q.source } : {}),
        ...(q.entity ? { entity: q.entity } : {}),
        ...(q.minScore !== undefined ? { minScore: Number(q.minScore) } : {}),
        ...(q.continue ? { continue: q.continue } : {}),
        limit: queryInteger(q.limit, 'limit', 200, 1000),
      });
    },
  );
  app.get(
    '/api/teams/:team/risks/:id',
    { schema: { tags, summary: 'One risk', params: TeamIdParams, response: { 200: Risk } } },
    (request) => deps.risks.get(request.caller, request.params.team, request.params.id),
  );
  app.get(
    '/api/teams/:team/inspections/:name/runs',
    {
      schema: {
        tags,
        summary: "An Inspection's runs, newest first",
        params: InspectionNameParams,
        querystring: InspectionRunQuery,
        response: { 200: InspectionRunPage },
      },
    },
    (request) =>
      deps.inspections.listRuns(request.caller, request.params.team, request.params.name, {
        limit: queryInteger(request.query.limit, 'limit', 50, 1000),
        ...(request.query.continue ? { continue: request.query.continue } : {}),
      }),
  );
  app.post(
    '/api/teams/:team/inspections/:name/run',
    {
      schema: {
        tags,
        summary: 'Run an Inspection now, on this server; answers with the finished run',
        params: InspectionNameParams,
        response: { 201: InspectionRunWithResults },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await deps.inspections.runNow(request.caller, request.params.team, request.params.name)),
  );
  app.get(
    '/api/teams/:team/inspection-runs/:id',
    {
      schema: {
        tags,
        summary: 'One inspection run with every check’s outcome and findings',
        params: TeamIdParams,
        response: { 200: InspectionRunWithResults },
      },
    },
    (request) => deps.inspections.getRun(request.caller, request.params.team, request.params.id),
  );
  app.get(
    '/api/teams/:team/inspection-runs/:id/diff',
    {
      schema: {
        tags,
        summary: 'Risks new, gone and changed in score since another run (default: the one before)',
        params: TeamIdParams,
        querystring: InspectionRunDiffQuery,
        response: { 200: InspectionRunDiff },
      },
    },
    (request) =>
      deps.inspections.diff(request.caller, request.params.team, request.params.id, request.query.against),
  );
  app.get(
    '/api/inspection-templates',
    {
      schema: {
        tags,
        summary: 'The built-in inspections, as Inspection manifests a team applies',
        response: { 200: InspectionTemplateList, ...errorResponses() },
      },
    },
    () => ({
      items: deps.inspections.templates().map((template) => ({
        name: template.name,
        description: template.description,
        requires: [...template.requires],
        manifest: {
          apiVersion: API_VERSION,
          kind: 'Inspection' as const,
          metadata: { name: template.name },
          spec: template.spec,
        },
      })),
    }),
  );
}
