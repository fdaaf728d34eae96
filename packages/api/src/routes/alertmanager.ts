import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import {
  AlertGroups,
  AlertIngestResult,
  AlertmanagerAlertQuery,
  AlertmanagerError,
  AlertmanagerStatus,
  GantryError,
  GettableAlerts,
  GettableSilence,
  GettableSilences,
  InputError,
  PostableAlerts,
  PostableSilence,
  SilenceCreated,
  type AlertGroup,
  type GettableAlert,
} from '@gantry/model';
import {
  compileMatcher,
  matchesAll,
  parseMatchers,
  silenceState,
  type AlertIngest,
  type CompiledMatcher,
  type IngestMetrics,
  type SilenceApi,
  type AlertDispatcher,
  type GroupAlertView,
} from '@gantry/alerts';
import { authorize, readableTeams, type Caller } from '@gantry/identity';
import type { AlertRepository, StoredAlert } from '@gantry/store';
import type { VersionInfo } from './meta.ts';

/** What the alert routes (Alertmanager API and Gantry's own) need. */
export interface AlertRouteDependencies {
  ingest: AlertIngest;
  silences: SilenceApi;
  repository: AlertRepository;
  metrics: IngestMetrics;
  now: () => number;
  startedAt: number;
  /** This server's name in `/api/v2/status`' cluster. */
  instance: string;
  version: VersionInfo;
  /** The dispatcher of this server while it holds the alert-dispatch lease (its groups and mutings). */
  dispatcher?: () =>
    Pick<AlertDispatcher, 'groupPage' | 'muting' | 'receivers' | 'teams' | 'unrouted'> | undefined;
  /**
   * What `/api/v2/status` shows beyond the version: the teams' alerting configuration as text
   * (`alertingConfigText`) and the servers that hold leases (`leaseHolders`). Without it, empty.
   */
  status?: {
    config(teams: readonly string[] | undefined): Promise<string>;
    peers(): Promise<{ name: string; address: string }[]>;
  };
}

/** Groups read from the dispatcher per page while answering `/api/v2/alerts/groups`. */
const GROUP_PAGE = 1_000;

/** Most alerts one `GET /api/v2/alerts` answers (Alertmanager answers all; past this, the newest). */
const MAX_LISTED = 50_000;

const TEAM_NAME = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const Team = Type.Object({
  team: Type.String({ pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 }),
});
const amErrors = {
  400: AlertmanagerError,
  401: AlertmanagerError,
  403: AlertmanagerError,
  404: AlertmanagerError,
};

function matchersOf(filter: string | string[] | undefined): CompiledMatcher[] {
  const texts = filter === undefined ? [] : Array.isArray(filter) ? filter : [filter];
  return texts.flatMap((text, index) => {
    const parsed = parseMatchers(text);
    if (!parsed.ok)
      throw new InputError(`bad matcher ${JSON.stringify(text)}: ${parsed.error}`, [
        { path: `querystring/filter/${index}`, message: parsed.error },
      ]);
    return parsed.matchers.map(compileMatcher);
  });
}

/**
 * The Alertmanager API v2, as far as it applies, at `/api/v2/...` (teams bound by the team label) and
 * per team at `/api/teams/{team}/alertmanager/api/v2/...` (Prometheus' `path_prefix`, amtool's
 * `--alertmanager.url`). Errors are answered as Alertmanager does, as a JSON string.
 */
export async function alertmanagerRoutes(
  fastify: FastifyInstance,
  deps: AlertRouteDependencies,
): Promise<void> {
  await fastify.register((scope, _options, done) => {
    scope.setErrorHandler((error: FastifyError | GantryError, request, reply) => {
      const posting = request.method === 'POST' && request.url.split('?')[0]!.endsWith('/api/v2/alerts');
      if (error instanceof GantryError)
        return reply.status(error.status).type('application/json').send(JSON.stringify(error.message));
      if ((error as FastifyError).validation || /^FST_ERR_CTP_(INVALID|EMPTY)_JSON_BODY$/.test(error.code)) {
        if (posting) deps.metrics.rejected('malformed', 1);
        return reply.status(400).type('application/json').send(JSON.stringify(error.message));
      }
      throw error;
    });
    for (const prefix of ['', '/api/teams/:team/alertmanager'])
      routes(scope.withTypeProvider<TypeBoxTypeProvider>(), prefix, deps);
    done();
  });
}

function routes(
  app: ReturnType<FastifyInstance['withTypeProvider']>,
  prefix: string,
  deps: AlertRouteDependencies,
): void {
  const tags = ['alertmanager'];
  const perTeam = prefix !== '';
  const params = perTeam ? { params: Team } : {};
  const teamOf = (request: FastifyRequest) =>
    perTeam ? (request.params as { team: string }).team : undefined;
  const scope = perTeam ? "the path's team" : 'the teams their team label names';

  app.post(
    `${prefix}/api/v2/alerts`,
    {
      // The body goes to the ingest as it came: on SQLite its thread parses and checks it (ADR 0042), so
      // the schemas here describe the route (OpenAPI) and the ingest checks them (`postableProblem`; the
      // path's team below).
      config: { rawJsonBody: true },
      validatorCompiler: () => () => true,
      schema: {
        tags,
        summary: `Alertmanager API v2: post alerts (Prometheus), stored for ${scope} before the answer`,
        ...params,
        body: PostableAlerts,
        response: { 200: AlertIngestResult, ...amErrors },
      },
    },
    async (request) => {
      const team = teamOf(request);
      if (team !== undefined && !TEAM_NAME.test(team))
        throw new InputError(`params/team must match pattern "${TEAM_NAME.source}"`, [
          { path: 'params/team', message: `must match pattern "${TEAM_NAME.source}"` },
        ]);
      return deps.ingest.ingestBody(request.caller, {
        ...(team !== undefined ? { team } : {}),
        source: 'prometheus',
        body: request.body as Uint8Array | undefined,
      });
    },
  );

  const listAlerts = async (request: FastifyRequest): Promise<GettableAlert[]> => {
    const query = request.query as AlertmanagerAlertQuery;
    const filter = matchersOf(query.filter);
    const receiver = receiverPattern(query.receiver);
    const team = teamOf(request);
    const teams = visibleTeams(request.caller, team);
    const nowMs = deps.now();
    const now = new Date(nowMs).toISOString();
    const { items } = await deps.repository.query({
      ...(teams ? { teams } : {}),
      state: 'firing',
      now,
      limit: MAX_LISTED,
      accept: (labels) => matchesAll(filter, labels),
      scanLimit: MAX_LISTED * 4,
    });
    const silences = await activeSilences(deps, request.caller, team, nowMs);
    // While this server dispatches, the receivers are the channels of the groups that hold the alert and
    // inhibitedBy the inhibiting alerts' fingerprints; on another server, the team and none (documented).
    const dispatcher = deps.dispatcher?.();
    const out: GettableAlert[] = [];
    for (const alert of items) {
      const silencedBy = silences
        .filter((s) => s.team === alert.team && matchesAll(s.matchers, alert.labels))
        .map((s) => s.id);
      const inhibitedBy = dispatcher?.muting(alert.team, alert.labels, alert.fingerprint).inhibitedBy ?? [];
      const receivers = dispatcher?.receivers(alert.team, alert.fingerprint) ?? [];
      const gettable = toGettable(
        alert,
        silencedBy,
        inhibitedBy,
        receivers.length > 0 ? receivers : [alert.team],
      );
      if (!keepAlert(gettable, query, receiver)) continue;
      out.push(gettable);
    }
    return out.sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : 1));
  };

  app.get(
    `${prefix}/api/v2/alerts`,
    {
      schema: {
        tags,
        summary: 'Alertmanager API v2: the firing alerts, filtered by matchers',
        ...params,
        querystring: AlertmanagerAlertQuery,
        response: { 200: GettableAlerts, ...amErrors },
      },
    },
    listAlerts,
  );

  app.get(
    `${prefix}/api/v2/alerts/groups`,
    {
      schema: {
        tags,
        summary:
          "Alertmanager API v2: the dispatcher's aggregation groups (one per group and receiver: the route's channel, the group labels), with their firing alerts",
        ...params,
        querystring: AlertmanagerAlertQuery,
        response: { 200: AlertGroups, ...amErrors },
      },
    },
    async (request): Promise<AlertGroup[]> => {
      const dispatcher = deps.dispatcher?.();
      if (!dispatcher) return groupsByAlertname(await listAlerts(request));
      const query = request.query as AlertmanagerAlertQuery;
      const filter = matchersOf(query.filter);
      const receiver = receiverPattern(query.receiver);
      const team = teamOf(request);
      const teams = visibleTeams(request.caller, team) ?? dispatcher.teams();
      const now = deps.now();
      const out: AlertGroup[] = [];
      for (const name of teams) {
        let after: string | undefined;
        for (;;) {
          const page = dispatcher.groupPage(name, {
            ...(after !== undefined ? { after } : {}),
            limit: GROUP_PAGE,
          });
          for (const group of page.groups) {
            const alerts = group.alerts
              .filter((alert) => alert.endsAt === null || alert.endsAt > now)
              .map((alert) => heldGettable(name, alert, group.receivers, now))
              .filter((alert) => matchesAll(filter, alert.labels) && keepAlert(alert, query, undefined));
            if (alerts.length === 0) continue;
            for (const channel of group.receivers) {
              if (receiver && !receiver.test(channel)) continue;
              out.push({ labels: { ...group.groupLabels }, receiver: { name: channel }, alerts });
            }
          }
          if (page.next === undefined) break;
          after = page.next;
        }
        // Alerts no route takes (the team has no AlertRouting) are shown by alertname with the team as
        // receiver, as GET /api/v2/alerts names them, so that nothing firing is missing from the groups.
        const unrouted = dispatcher
          .unrouted(name)
          .map((alert) => heldGettable(name, alert, [name], now))
          .filter((alert) => matchesAll(filter, alert.labels) && keepAlert(alert, query, receiver));
        out.push(...groupsByAlertname(unrouted));
      }
      return out;
    },
  );

  app.get(
    `${prefix}/api/v2/status`,
    {
      schema: {
        tags,
        summary:
          "Alertmanager API v2: version, uptime, the servers holding leases, and the team's alerting configuration as YAML",
        ...params,
        response: { 200: AlertmanagerStatus, ...amErrors },
      },
    },
    async (request) => {
      const team = teamOf(request);
      const teams = visibleTeams(request.caller, team);
      const [original, peers] = deps.status
        ? await Promise.all([deps.status.config(teams), deps.status.peers()])
        : ['', []];
      return {
        cluster: { name: deps.instance, status: 'ready' as const, peers },
        versionInfo: {
          version: deps.version.version,
          revision: deps.version.commit,
          branch: '',
          buildUser: 'gantry',
          buildDate: '',
          goVersion: 'none (Gantry)',
        },
        config: { original },
        uptime: new Date(deps.startedAt).toISOString(),
      };
    },
  );

  app.get(
    `${prefix}/api/v2/silences`,
    {
      schema: {
        tags,
        summary: 'Alertmanager API v2: the silences (Silence objects)',
        ...params,
        querystring: Type.Object(
          { filter: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) },
          { additionalProperties: false },
        ),
        response: { 200: GettableSilences, ...amErrors },
      },
    },
    async (request) =>
      deps.silences.list(
        request.caller,
        teamOf(request),
        matchersOf((request.query as { filter?: string }).filter),
      ),
  );

  app.post(
    `${prefix}/api/v2/silences`,
    {
      schema: {
        tags,
        summary: 'Alertmanager API v2: create a silence, or with an id update it (a Silence object, audited)',
        ...params,
        body: PostableSilence,
        response: { 200: SilenceCreated, ...amErrors },
      },
    },
    async (request) => ({
      silenceID: await deps.silences.post(request.caller, teamOf(request), request.body as PostableSilence),
    }),
  );

  const SilenceId = Type.Object({
    ...(perTeam ? Team.properties : {}),
    silenceID: Type.String({ maxLength: 63 }),
  });
  app.get(
    `${prefix}/api/v2/silence/:silenceID`,
    {
      schema: {
        tags,
        summary: 'Alertmanager API v2: one silence',
        params: SilenceId,
        response: { 200: GettableSilence, ...amErrors },
      },
    },
    async (request) =>
      deps.silences.get(request.caller, teamOf(request), (request.params as { silenceID: string }).silenceID),
  );
  app.delete(
    `${prefix}/api/v2/silence/:silenceID`,
    {
      schema: {
        tags,
        summary: 'Alertmanager API v2: expire a silence (endsAt becomes now)',
        params: SilenceId,
        response: { 200: Type.Object({}, { additionalProperties: false }), ...amErrors },
      },
    },
    async (request) => {
      await deps.silences.expire(
        request.caller,
        teamOf(request),
        (request.params as { silenceID: string }).silenceID,
      );
      return {};
    },
  );
}

/** The teams a caller reads alerts of: the path's (checked), else every team they belong to (all for admins). */
export function visibleTeams(caller: Caller, team: string | undefined): string[] | undefined {
  if (team === undefined) return readableTeams(caller.principal);
  authorize(caller.principal, 'read', team, 'the alerts');
  return [team];
}

interface ActiveSilence {
  id: string;
  team: string;
  matchers: CompiledMatcher[];
}

/** Active silences, to show which alerts they mute (the dispatcher's own evaluation decides what is sent). */
async function activeSilences(
  deps: AlertRouteDependencies,
  caller: Caller,
  team: string | undefined,
  now: number,
): Promise<ActiveSilence[]> {
  const listed = await deps.silences.listWithTeams(caller, team);
  return listed
    .filter(({ silence }) => silenceState(silence, now) === 'active')
    .map(({ team: owner, silence }) => ({
      id: silence.id,
      team: owner,
      matchers: silence.matchers.map(compileMatcher),
    }));
}

/** amtool's `--receiver` is a regular expression over the whole receiver name. */
function receiverPattern(text: string | undefined): RegExp | undefined {
  if (!text) return undefined;
  try {
    return new RegExp(`^(?:${text})$`);
  } catch (error) {
    throw new InputError(`bad receiver pattern: ${(error as Error).message}`, [
      { path: 'querystring/receiver', message: 'is not a regular expression' },
    ]);
  }
}

/** Alertmanager's filters of `GET /api/v2/alerts`: receiver, silenced, inhibited, active. */
function keepAlert(
  alert: GettableAlert,
  query: AlertmanagerAlertQuery,
  receiver: RegExp | undefined,
): boolean {
  const { silencedBy, inhibitedBy } = alert.status;
  if (receiver && !alert.receivers.some((r) => receiver.test(r.name))) return false;
  if (query.silenced === 'false' && silencedBy.length > 0) return false;
  if (query.inhibited === 'false' && inhibitedBy.length > 0) return false;
  if (query.active === 'false' && silencedBy.length === 0 && inhibitedBy.length === 0) return false;
  return true;
}

/** An alert the dispatcher holds, as the Alertmanager API shows it. */
function heldGettable(
  team: string,
  alert: GroupAlertView,
  receivers: readonly string[],
  now: number,
): GettableAlert {
  return toGettable(
    {
      team,
      labels: alert.labels,
      annotations: alert.annotations,
      startsAt: new Date(alert.startsAt).toISOString(),
      endsAt: new Date(alert.endsAt ?? now + 3_600_000).toISOString(),
      updatedAt: new Date(alert.updatedAt).toISOString(),
      generatorURL: alert.generatorURL,
      fingerprint: alert.fingerprint,
    },
    alert.silencedBy,
    alert.inhibitedBy,
    receivers,
  );
}

/** The groups answered by a server that does not run the dispatcher: by team and alertname. */
function groupsByAlertname(alerts: GettableAlert[]): AlertGroup[] {
  const groups = new Map<string, AlertGroup>();
  for (const alert of alerts) {
    const receiver = alert.receivers[0]?.name ?? '';
    const key = `${receiver}\u0000${alert.labels.alertname ?? ''}`;
    let group = groups.get(key);
    if (!group) {
      group = {
        labels: { alertname: alert.labels.alertname ?? '' },
        receiver: { name: receiver },
        alerts: [],
      };
      groups.set(key, group);
    }
    group.alerts.push(alert);
  }
  return [...groups.values()];
}

function toGettable(
  alert: Pick<
    StoredAlert,
    'team' | 'labels' | 'annotations' | 'startsAt' | 'endsAt' | 'updatedAt' | 'generatorURL' | 'fingerprint'
  >,
  silencedBy: string[],
  inhibitedBy: string[],
  receivers: readonly string[],
): GettableAlert {
  return {
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt,
    updatedAt: alert.updatedAt,
    ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
    fingerprint: alert.fingerprint,
    receivers: receivers.map((name) => ({ name })),
    status: {
      state: silencedBy.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active',
      silencedBy,
      inhibitedBy,
    },
  };
}
