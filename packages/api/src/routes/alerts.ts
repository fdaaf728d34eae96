import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  AlertIngestResult,
  AlertList,
  AlertmanagerWebhookMessage,
  AlertQuery,
  DispatchGroupList,
  DispatchGroupQuery,
  GenericAlertBatch,
  InputError,
  decodeContinueToken,
  encodeContinueToken,
  type AlertEntities,
  type AlertRecord,
} from '@gantry/model';
import { compileMatcher, matchesAll, parseMatchers, type InboundAlert } from '@gantry/alerts';
import { requireAdmin } from '@gantry/identity';
import { alertState } from '@gantry/store';
import { errorResponses } from '../responses.ts';
import { visibleTeams, type AlertRouteDependencies } from './alertmanager.ts';

const TeamParams = Type.Object({
  team: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
});

function isGroupPosition(value: unknown): value is { groupKey: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { groupKey: unknown }).groupKey === 'string'
  );
}

function isPosition(value: unknown): value is { seq: number } {
  return typeof value === 'object' && value !== null && Number.isInteger((value as { seq: unknown }).seq);
}

/** Gantry's own alert API: the record query, and the webhooks (Alertmanager's v4 message; the generic one). */
export function alertRoutes(fastify: FastifyInstance, deps: AlertRouteDependencies): void {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['alerts'];

  const list = async (request: FastifyRequest, team: string | undefined): Promise<AlertList> => {
    const q = request.query as AlertQuery;
    const limit = q.limit === undefined ? 500 : Number(q.limit);
    if (limit < 1 || limit > 5000)
      throw new InputError('limit must be from 1 to 5000', [
        { path: 'querystring/limit', message: 'must be 1-5000' },
      ]);
    let accept: ((labels: Readonly<Record<string, string>>) => boolean) | undefined;
    if (q.filter) {
      const parsed = parseMatchers(q.filter);
      if (!parsed.ok)
        throw new InputError(`bad filter: ${parsed.error}`, [
          { path: 'querystring/filter', message: parsed.error },
        ]);
      const matchers = parsed.matchers.map(compileMatcher);
      accept = (labels) => matchesAll(matchers, labels);
    }
    const entities: AlertEntities = {};
    for (const key of ['cluster', 'node', 'namespace', 'application', 'component'] as const)
      if (q[key] !== undefined) entities[key] = q[key];
    const teams = visibleTeams(request.caller, team);
    const now = new Date(deps.now()).toISOString();
    const page = await deps.repository.query({
      ...(teams ? { teams } : {}),
      ...(q.state ? { state: q.state } : {}),
      now,
      entities,
      ...(q.since ? { since: q.since } : {}),
      ...(q.continue ? { beforeSeq: decodeContinueToken(q.continue, isPosition).seq } : {}),
      limit,
      ...(accept ? { accept } : {}),
    });
    return {
      items: page.items.map((alert): AlertRecord => ({ ...alert, state: alertState(alert, now) })),
      ...(page.nextBeforeSeq !== undefined
        ? { continue: encodeContinueToken({ seq: page.nextBeforeSeq }) }
        : {}),
    };
  };

  app.get(
    '/api/teams/:team/alerts',
    {
      schema: {
        tags,
        summary: "A team's alert records, most recently changed first, with the entities they concern",
        params: TeamParams,
        querystring: AlertQuery,
        response: { 200: AlertList },
      },
    },
    async (request) => list(request, request.params.team),
  );
  app.get(
    '/api/alerts',
    {
      schema: {
        tags,
        summary: 'Alert records of every team (admins)',
        querystring: AlertQuery,
        response: { 200: AlertList },
      },
    },
    async (request) => {
      requireAdmin(request.caller.principal, 'list the alerts of every team');
      return list(request, undefined);
    },
  );

  app.get(
    '/api/teams/:team/alerts/groups',
    {
      schema: {
        tags,
        summary:
          "The team's aggregation groups as the dispatcher holds them, in group-key order and in pages, with what mutes each alert (silences, inhibiting alerts)",
        params: TeamParams,
        querystring: DispatchGroupQuery,
        response: { 200: DispatchGroupList, ...errorResponses(400, 403, 404) },
      },
    },
    (request): DispatchGroupList => {
      const team = request.params.team;
      visibleTeams(request.caller, team);
      const query = request.query;
      const limit = query.limit === undefined ? 100 : Number(query.limit);
      if (!(limit >= 1 && limit <= 1000))
        throw new InputError('limit must be from 1 to 1000', [
          { path: 'querystring/limit', message: 'must be 1-1000' },
        ]);
      const after =
        query.continue === undefined
          ? undefined
          : decodeContinueToken(query.continue, isGroupPosition).groupKey;
      const dispatcher = deps.dispatcher?.();
      if (!dispatcher) return { dispatching: false, groups: [] };
      // The dispatcher holds every alert of its groups with its labels: nothing is read from the store.
      const page = dispatcher.groupPage(team, { ...(after !== undefined ? { after } : {}), limit });
      return {
        dispatching: true,
        groups: page.groups.map((group) => ({
          groupKey: group.groupKey,
          routing: group.routing,
          routeId: group.routeId,
          receivers: group.receivers,
          groupLabels: group.groupLabels,
          ...(group.nextFlushAt !== undefined
            ? { nextFlushAt: new Date(group.nextFlushAt).toISOString() }
            : {}),
          alerts: group.alerts.map((alert) => ({
            fingerprint: alert.fingerprint,
            silencedBy: alert.silencedBy,
            inhibitedBy: alert.inhibitedBy,
          })),
        })),
        ...(page.next !== undefined ? { continue: encodeContinueToken({ groupKey: page.next }) } : {}),
      };
    },
  );

  for (const perTeam of [true, false]) {
    const prefix = perTeam ? '/api/teams/:team/alerts' : '/api/alerts';
    const params = perTeam ? { params: TeamParams } : {};
    const teamOf = (request: FastifyRequest) =>
      perTeam ? (request.params as { team: string }).team : undefined;
    const binding = perTeam ? "the path's team" : 'the team their team label names';
    app.post(
      `${prefix}/webhook/alertmanager`,
      {
        schema: {
          tags,
          summary: `Alertmanager's webhook receiver (message version 4): an Alertmanager forwards its alerts, stored for ${binding}`,
          ...params,
          body: AlertmanagerWebhookMessage,
          response: { 200: AlertIngestResult, ...errorResponses(403) },
        },
      },
      async (request) => {
        const body = request.body as AlertmanagerWebhookMessage;
        const now = new Date(deps.now()).toISOString();
        const alerts: InboundAlert[] = body.alerts.map((alert) => ({
          labels: alert.labels,
          annotations: alert.annotations,
          startsAt: alert.startsAt,
          // A forwarded firing alert has no end (Alertmanager sends the zero time): the resolve timeout
          // applies. A resolved one without an end ends now.
          endsAt:
            alert.status === 'resolved'
              ? alert.endsAt && !alert.endsAt.startsWith('0001-01-01')
                ? alert.endsAt
                : now
              : undefined,
          generatorURL: alert.generatorURL,
        }));
        const team = teamOf(request);
        return deps.ingest.ingest(request.caller, {
          ...(team !== undefined ? { team } : {}),
          source: 'alertmanager-webhook',
          alerts,
        });
      },
    );
    app.post(
      `${prefix}/webhook`,
      {
        schema: {
          tags,
          summary: `Gantry's generic alert webhook (docs/reference/alerts.md), stored for ${binding}`,
          ...params,
          body: GenericAlertBatch,
          response: { 200: AlertIngestResult, ...errorResponses(403) },
        },
      },
      async (request) => {
        const now = new Date(deps.now()).toISOString();
        const alerts: InboundAlert[] = (request.body as GenericAlertBatch).alerts.map((alert) => ({
          labels: {
            ...alert.labels,
            alertname: alert.name,
            ...(alert.severity !== undefined ? { severity: alert.severity } : {}),
          },
          annotations: {
            ...alert.annotations,
            ...(alert.summary !== undefined ? { summary: alert.summary } : {}),
            ...(alert.description !== undefined ? { description: alert.description } : {}),
          },
          startsAt: alert.startsAt,
          endsAt: alert.status === 'resolved' ? (alert.endsAt ?? now) : alert.endsAt,
          generatorURL: alert.url,
        }));
        const team = teamOf(request);
        return deps.ingest.ingest(request.caller, {
          ...(team !== undefined ? { team } : {}),
          source: 'generic',
          alerts,
        });
      },
    );
  }
}
