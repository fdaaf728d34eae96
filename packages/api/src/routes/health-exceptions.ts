import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  AssignExceptionRequest,
  CommentExceptionRequest,
  CreateExceptionRequest,
  ExceptionActionRequest,
  ExceptionList,
  ExceptionQuery,
  ExceptionRecord,
  ExceptionReviewPatch,
  ExceptionTimeline,
  MergeExceptionRequest,
} from '@gantry/model';
import type { ExceptionService } from '@gantry/health';
import { errorResponses } from '../responses.ts';

const TeamParams = Type.Object({
  team: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
});
const ExceptionParams = Type.Object({
  team: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
  id: Type.String({ minLength: 1, maxLength: 64 }),
});

/**
 * Exceptions and failures of a team (ADR 0018): list, create by hand, get, timeline, the lifecycle
 * actions, the failure review; failures are the exceptions that reached a level. Viewers read, operators act.
 */
export function exceptionRoutes(fastify: FastifyInstance, exceptions: ExceptionService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['health'];

  app.get(
    '/api/teams/:team/exceptions',
    {
      schema: {
        tags,
        summary:
          "A team's exceptions, newest first, filtered by state, severity, level, entity, assignee and time",
        params: TeamParams,
        querystring: ExceptionQuery,
        response: { 200: ExceptionList },
      },
    },
    (request) => exceptions.list(request.caller, request.params.team, request.query),
  );
  app.get(
    '/api/teams/:team/failures',
    {
      schema: {
        tags,
        summary:
          "A team's failures: the exceptions that lasted past a HealthPolicy threshold (filter by level)",
        params: TeamParams,
        querystring: ExceptionQuery,
        response: { 200: ExceptionList },
      },
    },
    (request) => exceptions.list(request.caller, request.params.team, request.query, { failuresOnly: true }),
  );
  app.post(
    '/api/teams/:team/exceptions',
    {
      schema: {
        tags,
        summary: 'Open an exception by hand',
        params: TeamParams,
        body: CreateExceptionRequest,
        response: { 201: ExceptionRecord },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await exceptions.create(request.caller, request.params.team, request.body)),
  );
  app.get(
    '/api/teams/:team/exceptions/:id',
    {
      schema: {
        tags,
        summary: 'An exception',
        params: ExceptionParams,
        response: { 200: ExceptionRecord },
      },
    },
    (request) => exceptions.show(request.caller, request.params.team, request.params.id),
  );
  app.patch(
    '/api/teams/:team/exceptions/:id',
    {
      schema: {
        tags,
        summary: 'Update the failure review: impact, root cause, follow-ups (null clears)',
        params: ExceptionParams,
        body: ExceptionReviewPatch,
        response: { 200: ExceptionRecord, ...errorResponses(409) },
      },
    },
    (request) => exceptions.review(request.caller, request.params.team, request.params.id, request.body),
  );
  app.get(
    '/api/teams/:team/exceptions/:id/timeline',
    {
      schema: {
        tags,
        summary:
          'Everything that happened to an exception, with the events on its entities from 30 minutes before it opened',
        params: ExceptionParams,
        response: { 200: ExceptionTimeline },
      },
    },
    (request) => exceptions.timeline(request.caller, request.params.team, request.params.id),
  );

  const transitions = {
    acknowledge: 'Acknowledge an open exception (stops escalation)',
    mitigate: 'Mark an exception mitigated: the impact is contained, the cause not yet fixed',
    resolve: 'Resolve an exception',
    reopen: 'Reopen a resolved exception (a new episode)',
  } as const;
  for (const [action, summary] of Object.entries(transitions) as [keyof typeof transitions, string][]) {
    app.post(
      `/api/teams/:team/exceptions/:id/${action}`,
      {
        schema: {
          tags,
          summary,
          params: ExceptionParams,
          body: ExceptionActionRequest,
          response: { 200: ExceptionRecord, ...errorResponses(409) },
        },
      },
      (request) =>
        exceptions[action](request.caller, request.params.team, request.params.id, request.body.reason),
    );
  }
  app.post(
    '/api/teams/:team/exceptions/:id/assign',
    {
      schema: {
        tags,
        summary: 'Assign an exception to a user, or unassign it (null)',
        params: ExceptionParams,
        body: AssignExceptionRequest,
        response: { 200: ExceptionRecord, ...errorResponses(409) },
      },
    },
    (request) =>
      exceptions.assign(
        request.caller,
        request.params.team,
        request.params.id,
        request.body.assignee,
        request.body.reason,
      ),
  );
  app.post(
    '/api/teams/:team/exceptions/:id/comment',
    {
      schema: {
        tags,
        summary: "Add a comment to an exception's timeline",
        params: ExceptionParams,
        body: CommentExceptionRequest,
        response: { 200: ExceptionRecord, ...errorResponses(409) },
      },
    },
    (request) =>
      exceptions.comment(request.caller, request.params.team, request.params.id, request.body.message),
  );
  app.post(
    '/api/teams/:team/exceptions/:id/merge',
    {
      schema: {
        tags,
        summary: 'Merge another exception (`from`) into this one: its alerts and timeline move here',
        params: ExceptionParams,
        body: MergeExceptionRequest,
        response: { 200: ExceptionRecord, ...errorResponses(409) },
      },
    },
    (request) =>
      exceptions.merge(
        request.caller,
        request.params.team,
        request.params.id,
        request.body.from,
        request.body.reason,
      ),
  );
}
