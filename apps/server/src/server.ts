import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { buildApi, Metrics } from '@gantry/api';
import {
  ClusterClients,
  ConnectionRegistry,
  FleetService,
  createClusterController,
  registerClusterAdmission,
} from '@gantry/fleet';
import { createDeliveryModule } from '@gantry/delivery';
import {
  ControllerManager,
  StoreEventRecorder,
  createTeamController,
  recordResourceEvents,
  systemClock,
} from '@gantry/controllers';
import {
  DEFAULT_LOGIN_LIMITS,
  IdentityService,
  LoginLimiter,
  MembershipIndex,
  PasswordPolicy,
  SecretCipher,
  SecretService,
  loadSecretKey,
} from '@gantry/identity';
import { KindRegistry, builtinKinds, type KindDefinition, type Resource } from '@gantry/model';
import { ChangeFeed, ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { createHostsModule, registerHostGroupAdmission, type HostsModule } from '@gantry/hosts';
import type { ResolvedConfig } from './config.ts';
import { VERSION } from './version.ts';

export interface ServerOptions {
  /** The clock behind sessions, leases and rate limits; tests inject their own. */
  now?: () => number;
  logger?: Logger;
  /** Kinds to register beside the built-in ones (tests, and embedders with kinds of their own). */
  extraKinds?: readonly KindDefinition[];
}

export interface RunningServer {
  url: string;
  /** Hosts and agents: the AgentPort (hosts.hub) and the offline/online hooks. */
  hosts: HostsModule;
  app: FastifyInstance;
  store: Store;
  config: ResolvedConfig;
  /** Set when this start created the bootstrap admin with a generated password. */
  generatedAdminPassword?: string;
  adminCreated: boolean;
  close(): Promise<void>;
}

const HOUSEKEEPING_INTERVAL_MS = 60_000;

function defaultConsoleDir(): string {
  // From apps/server/src (run from source) or dist/ (bundled): look for apps/console/dist.
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    join(here, '../../console/dist'),
    join(here, '../apps/console/dist'),
    join(process.cwd(), 'apps/console/dist'),
  ]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return join(here, '../../console/dist');
}

/** Opens the store, wires every service, starts the feed and controllers, and listens. */
export async function startServer(
  config: ResolvedConfig,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'gantry' } });
  const metrics = new Metrics();
  const store = await Store.open({
    url: config.database,
    onQuery: (ms, ok) => metrics.dbQueries.observe({ outcome: ok ? 'ok' : 'error' }, ms / 1000),
  });
  const cleanups: (() => Promise<void> | void)[] = [() => store.close()];
  // Gantry's own events: written in batches, the rest flushed at shutdown before the store closes.
  const recorder = new StoreEventRecorder({
    events: store.events,
    clock: systemClock(now),
    logger: logger.child({ component: 'events' }),
  });
  cleanups.unshift(() => recorder.close());
  try {
    const kinds = new KindRegistry();
    for (const kind of [...builtinKinds, ...(options.extraKinds ?? [])]) kinds.register(kind);

    const cipher = new SecretCipher(
      loadSecretKey({
        ...(config.secretKey ? { key: config.secretKey } : {}),
        keyFile: join(config.dataDir, 'secret.key'),
      }),
    );
    const memberships = new MembershipIndex();
    const feed = new ChangeFeed(store.resources, {
      pollIntervalMs: 1000,
      batchSize: 500,
      onError: (error) => logger.error({ err: error }, 'change feed read failed'),
    });
    feed.subscribe((change) => {
      if (change.kind === 'Team') memberships.apply(change.type, change.object);
    });
    await feed.start();
    cleanups.unshift(() => feed.stop());
    memberships.replaceAll(
      (await store.resources.list({ kind: 'Team', limit: 100_000 })).items.map(
        (item) => JSON.parse(item.json) as Resource,
      ),
    );
    const stopListening = await store.listenForChanges(
      () => feed.poke(),
      (error) => logger.warn({ err: error }, 'change notifications interrupted'),
    );
    cleanups.unshift(stopListening);

    const limiter = new LoginLimiter(
      store.loginThrottle,
      {
        ...DEFAULT_LOGIN_LIMITS,
        freeFailuresPerUserAtSource: config.loginMaxFailures,
        freeFailuresPerSource: config.loginMaxFailures * 5,
      },
      now,
    );
    const identity = new IdentityService(store.users, store.audit, memberships, limiter, {
      sessionTtlMs: config.sessionTtlHours * 3_600_000,
      tokenCacheMs: 5_000,
      now,
      passwords: new PasswordPolicy({
        minLength: config.passwordMinLength,
        denied: config.passwordDenyListFile ? readDenyList(config.passwordDenyListFile) : [],
      }),
    });
    const bootstrap = await identity.bootstrap(config.adminPassword || undefined);
    const secrets = new SecretService(store.secrets, store.audit, cipher, now);
    const resources = new ResourceService(kinds, store.resources, now);
    registerClusterAdmission(resources);
    registerHostGroupAdmission(resources);
    // A deleted user leaves no membership behind, and a team's secrets count as what it holds.
    identity.beforeUserDeleted((caller, username) => resources.removeMemberEverywhere(caller, username));
    resources.addTeamHoldings({
      kind: 'Secret',
      names: async (team) => (await store.secrets.list([team])).map((secret) => secret.name),
      delete: (caller, team, name) => secrets.delete(caller, team, name),
    });
    resources.onWrite(({ type, object }) => {
      // Membership changes count at once on the server that made them (read your writes); the feed
      // brings them to the other servers.
      if (object.kind === 'Team') memberships.apply(type, object);
      feed.poke();
    });
    recordResourceEvents(resources, recorder);

    const connections = new ConnectionRegistry({
      inventory: store.inventory,
      events: store.events,
      logger: logger.child({ component: 'fleet' }),
      now,
    });
    cleanups.unshift(() => connections.stopAll());
    const fleet = new FleetService({
      repository: store.resources,
      inventory: store.inventory,
      events: store.events,
      secrets,
      audit: store.audit,
      recorder,
    });
    const clusterClients = new ClusterClients({ repository: store.resources, secrets });
    cleanups.unshift(() => clusterClients.closeAll());
    const delivery = await createDeliveryModule({
      resources,
      repository: store.resources,
      records: store.applied,
      clients: clusterClients,
      feed,
      events: recorder,
      helmPath: config.helmPath,
      helmChartDirs: config.helmChartDirs.split(':').filter((dir) => dir !== ''),
      seedCatalog: config.seedCatalog,
      logger: logger.child({ component: 'delivery' }),
      controller: {
        progressGraceMs: config.deliveryProgressGraceSeconds * 1000,
        observeReconcile: ({ own, api }) => {
          metrics.applicationReconcile.observe({ part: 'own' }, own);
          metrics.applicationReconcile.observe({ part: 'api' }, api);
        },
      },
    });
    const controllers = new ControllerManager(
      { changes: feed, objects: store.resources, leases: store.leases },
      {
        holder: config.instanceId || `${hostname()}-${process.pid}`,
        leaseDurationMs: config.leaseDurationMs,
        clock: systemClock(now),
        logger: logger.child({ component: 'controllers' }),
        metrics,
      },
    )
      .register(createTeamController({ resources, users: store.users }))
      .register(
        createClusterController({
          resources,
          repository: store.resources,
          secrets,
          inventory: store.inventory,
          connections,
          recorder,
        }),
      )
      .register(delivery.controller);
    await controllers.start();
    cleanups.unshift(() => controllers.stop());

    // Hosts and their agents (ADR 0016). The lead connects hosts.hub.onHostOffline/onHostOnline to
    // alerts; the jobs module takes hosts.hub as its AgentPort.
    const hosts = await createHostsModule({
      store,
      recorder,
      logger: logger.child({ component: 'hosts' }),
      now,
      serverId: config.instanceId || `${hostname()}-${process.pid}`,
      heartbeatSeconds: config.agentHeartbeatSeconds,
      offlineAfterSeconds: config.hostOfflineAfterSeconds,
      rotateAfterSeconds: Math.round(config.agentRotateHours * 3600),
    });
    cleanups.unshift(() => hosts.close());

    const app = await buildApi(
      {
        kinds,
        resources,
        identity,
        secrets,
        fleet,
        delivery: delivery.service,
        hosts,
        store,
        feed,
        metrics,
        logger,
        version: { version: VERSION, commit: process.env.GANTRY_COMMIT ?? 'dev', database: store.dialect },
      },
      {
        bodyLimitBytes: config.bodyLimitBytes,
        consoleDir: config.consoleDir || defaultConsoleDir(),
        bookmarkIntervalMs: 15_000,
        watchRecheckMs: 1_000,
        watchesPerUser: config.watchesPerUser,
        trustedProxies: config.trustedProxies === '' ? [] : config.trustedProxies.split(','),
      },
    );
    cleanups.unshift(() => app.close());

    const housekeeping = setInterval(() => {
      void store.resources
        .compactChanges(config.changeRetention)
        .catch((error: unknown) => logger.warn({ err: error }, 'change compaction failed'));
      void store.users
        .pruneSessions(new Date(now() - 86_400_000).toISOString())
        .catch((error: unknown) => logger.warn({ err: error }, 'session pruning failed'));
      void store.events
        .deleteLastSeenBefore(new Date(now() - config.eventRetentionHours * 3_600_000).toISOString())
        .catch((error: unknown) => logger.warn({ err: error }, 'event retention failed'));
    }, HOUSEKEEPING_INTERVAL_MS);
    housekeeping.unref();
    cleanups.unshift(() => clearInterval(housekeeping));

    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    logger.info(
      { url, database: store.dialect, instance: config.instanceId || `${hostname()}-${process.pid}` },
      'gantry is listening',
    );

    let closing: Promise<void> | undefined;
    return {
      url,
      app,
      hosts,
      store,
      config,
      adminCreated: bootstrap.created,
      ...(bootstrap.generatedPassword ? { generatedAdminPassword: bootstrap.generatedPassword } : {}),
      close: () => (closing ??= runCleanups(cleanups)),
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

async function runCleanups(cleanups: (() => Promise<void> | void)[]): Promise<void> {
  for (const cleanup of cleanups) await cleanup();
}

/** One password a line; blank lines and `#` comments are skipped. */
function readDenyList(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}
