import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  CHANGE_ACTIONS,
  type ChangeActionName,
  ChangeActionRecord,
  ChangeActionRequest,
  ChangeJournal,
  ChangeJournalQuery,
  LineStop,
  LineStopList,
} from '@gantry/model';
import type { ChangeService } from '@gantry/changes';
import { errorResponses } from '../responses.ts';

const NAME = { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } as const;
const TeamParams = Type.Object({ team: Type.String(NAME) });
const ChangeParams = Type.Object({ team: Type.String(NAME), name: Type.String(NAME) });
const ReleasedStops = Type.Object({ items: Type.Array(LineStop) }, { additionalProperties: false });

/**
 * Changes (ADR 0026, 0030), beside the generic resource API that serves the Change and ChangeWindow kinds:
 * pause, resume, abort, approve, reject and roll back a change (recorded with who and why; the engine acts
 * at its next step), read
 * its journal, and stop-the-line per team or for the fleet (administrators).
 */
export function changeRoutes(fastify: FastifyInstance, changes: ChangeService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['changes'];

  const summaries: Record<ChangeActionName, string> = {
    pause: 'Pause a change at its next step, with the reason (recorded with who)',
    resume:
      'Resume a paused change: failed entities are tried again, a batch paused at its gates is observed again',
    abort: 'Abort a change at its next step: nothing more is changed',
    approve: 'Approve the batch that waits for an approval, with why (recorded with who)',
    reject: 'Reject the batch that waits for an approval: a failed gate, the failure policy acts',
    rollback: 'Roll a change back: the batches done so far undone in reverse order, each observed again',
  };
  for (const action of CHANGE_ACTIONS) {
    app.post(
      `/api/teams/:team/changes/:name/${action}`,
      {
        schema: {
          tags,
          summary: summaries[action],
          params: ChangeParams,
          body: ChangeActionRequest,
          response: { 202: ChangeActionRecord, ...errorResponses(409) },
        },
      },
      async (request, reply) =>
        reply
          .code(202)
          .send(
            await changes.act(
              request.caller,
              request.params.team,
              request.params.name,
              action,
              request.body.reason,
            ),
          ),
    );
  }
  app.get(
    '/api/teams/:team/changes/:name/journal',
    {
      schema: {
        tags,
        summary:
          "A change's journal: every step, in order, with its idempotency key and the lease term that wrote it",
        params: ChangeParams,
        querystring: ChangeJournalQuery,
        response: { 200: ChangeJournal },
      },
    },
    (request) => changes.journal(request.caller, request.params.team, request.params.name, request.query),
  );
  app.get(
    '/api/teams/:team/stop-the-line',
    {
      schema: {
        tags,
        summary: "The newest stops of the team's line and of the fleet's, active ones without releasedAt",
        params: TeamParams,
        response: { 200: LineStopList },
      },
    },
    async (request) => ({ items: await changes.lineStops(request.caller, request.params.team) }),
  );
  app.post(
    '/api/teams/:team/stop-the-line',
    {
      schema: {
        tags,
        summary: 'Stop every change of the team at its next step, with the reason (recorded with who)',
        params: TeamParams,
        body: ChangeActionRequest,
        response: { 201: LineStop },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await changes.stopLine(request.caller, request.params.team, request.body.reason)),
  );
  app.post(
    '/api/teams/:team/stop-the-line/release',
    {
      schema: {
        tags,
        summary: "Release the team's line: its changes go on from where they were",
        params: TeamParams,
        body: ChangeActionRequest,
        response: { 200: ReleasedStops },
      },
    },
    async (request) => ({
      items: await changes.releaseLine(request.caller, request.params.team, request.body.reason),
    }),
  );
  app.post(
    '/api/stop-the-line',
    {
      schema: {
        tags,
        summary: 'Stop every change of every team at its next step (administrators)',
        body: ChangeActionRequest,
        response: { 201: LineStop },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await changes.stopLine(request.caller, '', request.body.reason)),
  );
  app.post(
    '/api/stop-the-line/release',
    {
      schema: {
        tags,
        summary: "Release the fleet's line (administrators)",
        body: ChangeActionRequest,
        response: { 200: ReleasedStops },
      },
    },
    async (request) => ({ items: await changes.releaseLine(request.caller, '', request.body.reason) }),
  );
}
