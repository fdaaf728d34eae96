import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ChannelTestResult, NotificationDetail, NotificationList, NotificationQuery } from '@gantry/model';
import type { NotificationService } from '@gantry/alerts';

const TeamParams = Type.Object({ team: Type.String() });

/** The delivery log of a team's notifications, and a channel's test send (ADR 0014). */
export function notificationRoutes(fastify: FastifyInstance, notifications: NotificationService): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['notifications'];
  app.get(
    '/api/teams/:team/notifications',
    {
      schema: {
        tags,
        summary:
          'The delivery log: a team’s notifications, newest first, filtered by channel, state, group or time',
        params: TeamParams,
        querystring: NotificationQuery,
        response: { 200: NotificationList },
      },
    },
    async (request) => notifications.list(request.caller, request.params.team, request.query),
  );
  app.get(
    '/api/teams/:team/notifications/:id',
    {
      schema: {
        tags,
        summary: 'One notification: its message and every attempt to send it',
        params: Type.Object({ team: Type.String(), id: Type.String() }),
        response: { 200: NotificationDetail },
      },
    },
    async (request) => notifications.get(request.caller, request.params.team, request.params.id),
  );
  app.post(
    '/api/teams/:team/notificationchannels/:name/test',
    {
      schema: {
        tags,
        summary: 'Send a test notification to a channel now; answers the attempt',
        params: Type.Object({ team: Type.String(), name: Type.String() }),
        response: { 200: ChannelTestResult },
      },
    },
    async (request) => notifications.test(request.caller, request.params.team, request.params.name),
  );
}
