import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { Type } from '@sinclair/typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifySchemaCompiler,
} from 'fastify';
import type { Logger } from 'pino';
import { createAjv, type KindRegistry } from '@gantry/model';
import type { IdentityService, SecretService } from '@gantry/identity';
import type { ChangeFeed, ResourceService } from '@gantry/resources';
import type { FleetService } from '@gantry/fleet';
import type { DeliveryService } from '@gantry/delivery';
import type { NotificationService } from '@gantry/alerts';
import type { JobService } from '@gantry/jobs';
import type { Store } from '@gantry/store';
import type { HostsModule } from '@gantry/hosts';
import type { ExceptionService, HealthStreamService, StatsService } from '@gantry/health';
import { registerAuthentication } from './auth.ts';
import { registerContentTypes } from './content-types.ts';
import { registerSecurityHeaders } from './security-headers.ts';
import { methodNotAllowedBody, notFoundBody, registerErrorHandler } from './errors.ts';
import type { Metrics } from './metrics.ts';
import { allowedMethods, buildOpenApi, collectRoutes, isApiPath } from './openapi.ts';
import { alertmanagerRoutes, type AlertRouteDependencies } from './routes/alertmanager.ts';
import { alertRoutes } from './routes/alerts.ts';
import { auditRoutes } from './routes/audit.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { notificationRoutes } from './routes/notifications.ts';
import { jobRoutes } from './routes/jobs.ts';
import { deliveryRoutes } from './routes/delivery.ts';
import { authRoutes } from './routes/auth.ts';
import { metaRoutes, type VersionInfo } from './routes/meta.ts';
import { resourceRoutes } from './routes/resources.ts';
import { secretRoutes } from './routes/secrets.ts';
import { userRoutes } from './routes/users.ts';
import { agentRoutes } from './routes/agent.ts';
import { hostRoutes } from './routes/hosts.ts';
import { exceptionRoutes } from './routes/health-exceptions.ts';
import { healthStatsRoutes } from './routes/health-stats.ts';
import { baselineRoutes, type BaselineSeriesSource } from './routes/baselines.ts';
import { riskRoutes, type RiskRouteDependencies } from './routes/risks.ts';
import { healthStreamRoutes } from './routes/health-stream.ts';
import { changeRoutes } from './routes/changes.ts';
import { changeWindowRoutes } from './routes/change-windows.ts';
import type { ChangeService } from '@gantry/changes';
import type { HealingApi } from '@gantry/healing';
import { healingRoutes } from './routes/healing.ts';

export interface ApiDependencies {
  kinds: KindRegistry;
  resources: ResourceService;
  identity: IdentityService;
  secrets: SecretService;
  fleet: FleetService;
  delivery: DeliveryService;
  alerts: AlertRouteDependencies;
  notifications: NotificationService;
  jobs: JobService;
  hosts: HostsModule;
  /** Exceptions and failures (ADR 0018). */
  exceptions: ExceptionService;
  /** Risks and inspection runs (ADR 0020). */
  health: RiskRouteDependencies;
  /** The health stream of the five kinds (ADR 0027); absent: no such route. */
  healthStream?: HealthStreamService;
  /** Failure statistics (ADR 0023); absent: no such routes. */
  stats?: StatsService;
  store: Store;
  feed: ChangeFeed;
  metrics: Metrics;
  version: VersionInfo;
  logger: Logger;
  /** A Baseline's series with its band (the health center's anomaly detection); absent: no such route. */
  baselines?: BaselineSeriesSource;
  /** Changes' actions and stop-the-line (ADR 0026); absent: no such routes. */
  changes?: ChangeService;
  /** Healing runs, approvals, scorecard, statistics and the dry run (ADR 0037); absent: no such routes. */
  healing?: HealingApi;
}

export interface ApiOptions {
  bodyLimitBytes: number;
  /** The built console (index.html and assets), served at `/`; absent in API-only setups. */
  consoleDir: string | undefined;
  bookmarkIntervalMs: number;
  /** How often an open watch checks that its caller may still see what it watches. */
  watchRecheckMs: number;
  /** Most watches one user may keep open on this server. */
  watchesPerUser: number;
  /** Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client; empty trusts none. */
  trustedProxies: readonly string[];
}

export async function buildApi(deps: ApiDependencies, options: ApiOptions): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimitBytes,
    // One line per request, written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: options.trustedProxies.length > 0 ? [...options.trustedProxies] : false,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: true },
    },
    return503OnClosing: true,
  });
  // Answers are plain JSON.stringify: the routes' response schemas document the API (OpenAPI) and are
  // checked against real answers by the contract test, but never drop or coerce a field on the way out.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setValidatorCompiler(lazyRouteValidators());
  const routes = collectRoutes(app);
  registerSecurityHeaders(app);
  registerContentTypes(app);
  registerErrorHandler(app);
  registerAuthentication(app, deps.identity);

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    deps.metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    deps.metrics.httpDuration.observe({ method: request.method, route }, seconds);
    if (route !== '/metrics' && route !== '/healthz' && route !== '/readyz') {
      request.log.info(
        {
          method: request.method,
          url: request.url,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          user: request.caller?.principal.username,
        },
        'request',
      );
    }
    done();
  });

  metaRoutes(app, {
    kinds: deps.kinds,
    metrics: deps.metrics,
    version: deps.version,
    ready: () => deps.store.ready(),
  });
  authRoutes(app, deps.identity);
  userRoutes(app, deps.identity);
  auditRoutes(app, deps.store.audit);
  secretRoutes(app, deps.secrets);
  fleetRoutes(app, deps.fleet);
  deliveryRoutes(app, deps.delivery);
  await alertmanagerRoutes(app, deps.alerts);
  alertRoutes(app, deps.alerts);
  notificationRoutes(app, deps.notifications);
  jobRoutes(app, deps.jobs);
  hostRoutes(app, deps.hosts);
  agentRoutes(app, deps.hosts);
  exceptionRoutes(app, deps.exceptions);
  if (deps.stats) healthStatsRoutes(app, deps.stats);
  if (deps.baselines) baselineRoutes(app, { resources: deps.resources, series: deps.baselines });
  riskRoutes(app, deps.health);
  if (deps.healthStream) healthStreamRoutes(app, deps.healthStream);
  if (deps.changes) changeRoutes(app, deps.changes);
  if (deps.healing) healingRoutes(app, deps.healing);
  changeWindowRoutes(app, { resources: deps.resources, now: () => Date.now() });
  resourceRoutes(app, {
    resources: deps.resources,
    repository: deps.store.resources,
    feed: deps.feed,
    metrics: deps.metrics,
    bookmarkIntervalMs: options.bookmarkIntervalMs,
    watchRecheckMs: options.watchRecheckMs,
    watchesPerUser: options.watchesPerUser,
  });

  let openapi: Record<string, unknown> | undefined;
  app.get(
    '/api/openapi.json',
    {
      config: { public: true },
      schema: {
        tags: ['meta'],
        summary: 'This document',
        response: { 200: Type.Object({ openapi: Type.Literal('3.1.0') }, { additionalProperties: true }) },
      },
    },
    () => (openapi ??= buildOpenApi(routes, deps.kinds, deps.version.version)),
  );

  const consoleIndex = options.consoleDir ? join(options.consoleDir, 'index.html') : undefined;
  if (options.consoleDir && consoleIndex && existsSync(consoleIndex)) {
    await app.register(fastifyStatic, {
      root: options.consoleDir,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
      maxAge: '1h',
    });
  }
  app.setNotFoundHandler((request, reply) => {
    const isApi = request.url.startsWith('/api/') || request.url.startsWith('/apis/');
    // Client-side routes of the console fall back to its index page.
    if (!isApi && request.method === 'GET' && consoleIndex && existsSync(consoleIndex)) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    const allowed = isApiPath(request.url) ? allowedMethods(routes, request.url) : [];
    if (allowed.length > 0)
      return reply
        .status(405)
        .header('allow', allowed.join(', '))
        .send(methodNotAllowedBody(request.method, request.url, allowed));
    return reply.status(404).send(notFoundBody(request.method, request.url));
  });
  return app;
}

/**
 * Route schemas compiled on a route's first request rather than all at start-up (they were a tenth of the
 * cold start, for routes a given run may never serve). Same options as Fastify's own compiler would use
 * with ours: no coercion, defaults applied, every error reported; `addUsedSchema: false` so that a schema
 * with an `$id` may serve several routes.
 */
type ValidateFunction = ReturnType<ReturnType<typeof createAjv>['compile']>;

function lazyRouteValidators(): FastifySchemaCompiler<unknown> {
  const ajv = createAjv({ addUsedSchema: false });
  return ({ schema }) => {
    let compiled: ValidateFunction | undefined;
    const validate = (data: unknown): boolean => {
      compiled ??= ajv.compile(schema as object);
      const ok = compiled(data) as boolean; // no $async schemas here
      validate.errors = compiled.errors;
      return ok;
    };
    validate.errors = undefined as ValidateFunction['errors'];
    return validate;
  };
}
