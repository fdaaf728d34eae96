import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import {
  AlertDispatchRunner,
  termDispatchState,
  termNotificationSink,
  alertingConfigText,
  leaseHolders,
  AlertDispatcher,
  AlertIngest,
  NotificationService,
  NotificationWorker,
  NotificationRetention,
  SilenceApi,
  createAlertRuleController,
  createPrometheusQuerier,
  hostAvailabilityAlerts,
  ingestAlertSink,
  notificationChannelAdmission,
  notificationInput,
  parseDuration,
  parseDurationMs,
  registerAlertRuleAdmission,
  registerDispatchAdmission,
  resourceChannelSource,
  revealingSecretResolver,
  watchAlertChanges,
  type AlertRuleControllerDeps,
  type IngestMetrics,
} from '@gantry/alerts';
import { buildApi, Metrics } from '@gantry/api';
import {
  ClusterClients,
  ConnectionRegistry,
  FleetService,
  type FleetServiceDeps,
  createClusterController,
  registerClusterAdmission,
} from '@gantry/fleet';
import { createCelEngine, createDeliveryModule } from '@gantry/delivery';
import {
  createChangePauser,
  createChangesModule,
  createExceptionSink,
  createStoreHealthSignals,
  windowBlock,
  StoreFleetChangeGate,
  type ChangeObject,
} from '@gantry/changes';
import {
  HealingApi,
  HealingController,
  combineTriggerSources,
  createAlertTriggerSource,
  createApprovalNotifier,
  createChangeActuator,
  createExceptionOutcomePort,
  createExceptionTriggerSource,
  createApplicationRevisionReader,
  createHealingModule,
  createInventoryConditionSubjects,
  createInventoryDomainHealth,
  createInventoryEntityReader,
  createInventoryEntityResolver,
  createJobDiagnosticRunner,
  createResourceChangeSubmitter,
  createResourcePolicySource,
  createResourceSilenceCreator,
  createRiskTriggerSource,
  createStoreEvidenceProviders,
  createStoreSignalHealth,
  InventoryPassSnapshots,
  registerHealingAdmission,
} from '@gantry/healing';
import { KubeJobRunner, createJobsModule, type AgentPort, type HostDirectory } from '@gantry/jobs';
import {
  StatsService,
  HealthStreamService,
  createExceptionsModule,
  createHealthCorrelation,
  createMetricsSourceResolver,
  type ExceptionService,
} from '@gantry/health';
import {
  ControllerManager,
  StoreEventRecorder,
  createTeamController,
  termElector,
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
import {
  BASELINE_LEASE,
  BaselineEvaluator,
  createBaselineSeriesReader,
  registerBaselineAdmission,
  type RiskSink,
} from '@gantry/health';
import { createInspectionsModule } from '@gantry/health';
import { KindRegistry, builtinKinds, type KindDefinition, type Resource } from '@gantry/model';
import { ChangeFeed, ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import {
  createHostsModule,
  hostDirectory,
  registerHostGroupAdmission,
  type HostsModule,
} from '@gantry/hosts';
import { registerCorrelationAdmission } from '@gantry/health';
import { releaseDeadLocalHolders } from './dead-holders.ts';
import type { ResolvedConfig } from './config.ts';
import { VERSION } from './version.ts';

export interface ServerOptions {
  /** The clock behind sessions, leases and rate limits; tests inject their own. */
  now?: () => number;
  logger?: Logger;
  /** Kinds to register beside the built-in ones (tests, and embedders with kinds of their own). */
  extraKinds?: readonly KindDefinition[];
  /** Another agent transport and host inventory for jobs (tests); default the server's own agent hub and hosts. */
  jobs?: { port: AgentPort; hosts: HostDirectory };
  /**
   * Where Baselines report their risks (ADR 0021); default the risk store, through the inspections
   * module's sink (ADR 0020). Tests pass another.
   */
  riskSink?: RiskSink;
  /** How node operations by hand reach clusters (tests pass a fake KubeClient); default from the kubeconfig. */
  kubeClientFactory?: FleetServiceDeps['clientFactory'];
}

export interface RunningServer {
  url: string;
  /** Hosts and agents: the AgentPort (hosts.hub) and the offline/online hooks. */
  hosts: HostsModule;
  app: FastifyInstance;
  store: Store;
  config: ResolvedConfig;
  /** Where the alert dispatcher hands group notifications over: `notifications.enqueue(...)`. */
  notifications: NotificationService;
  /** Exceptions (ADR 0018): correlation's ExceptionPort and escalation's ExceptionReader. */
  exceptions: ExceptionService;
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
    timeouts: {
      acquireMs: config.dbAcquireTimeoutMs,
      statementMs: config.dbStatementTimeoutMs,
      idleInTransactionMs: config.dbIdleInTransactionTimeoutMs,
      busyMs: config.dbBusyTimeoutMs,
    },
    readyTimeoutMs: config.readyTimeoutMs,
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
    // A server of this host killed and started again finds its predecessor's leases: a dead process
    // holds nothing, so they are freed now rather than waited out (on SQLite, the only server there is).
    const freed = await releaseDeadLocalHolders(store.leases);
    if (freed.length > 0)
      logger.info({ leases: freed }, "freed the leases of this host's dead server process");
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
    const resources = new ResourceService(kinds, store.resources, now, {
      idempotencyKeyTtlMs: config.idempotencyKeyHours * 3_600_000,
    });
    registerClusterAdmission(resources);
    registerDispatchAdmission(resources);
    // AlertRule and GlobalAlertRule writes: CEL and templates compiled, one of promql and cel (ADR 0015).
    registerAlertRuleAdmission(resources, createCelEngine());
    registerHostGroupAdmission(resources);
    registerBaselineAdmission(resources);
    // CorrelationRule (CEL compiled, with paths) and EscalationPolicy writes (ADR 0019).
    registerCorrelationAdmission(resources, createCelEngine());
    // HealingPolicy and DiagnosisTree writes: trees without cycles or dead branches, CEL compiled (ADR 0032).
    registerHealingAdmission({ resources, repository: store.resources, engine: createCelEngine() });
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
      feed.written({
        resourceVersion: Number(object.metadata.resourceVersion),
        type,
        kind: object.kind,
        team: object.metadata.team ?? '',
        name: object.metadata.name,
        object,
      });
    });
    recordResourceEvents(resources, recorder);

    const connections = new ConnectionRegistry({
      inventory: store.inventory,
      events: store.events,
      logger: logger.child({ component: 'fleet' }),
      now,
      tlsCertificates: config.fleetTlsCertificates,
    });
    cleanups.unshift(() => connections.stopAll());
    // Every actuator outside Changes asks the fleet gate (ADR 0033): stopped lines, ChangeWindows' appliesTo.
    const fleetGate = new StoreFleetChangeGate({ repository: store.resources, journal: store.changes });
    const fleet = new FleetService({
      gate: fleetGate,
      now,
      // Drains by hand hold the shared disruption budget (ADR 0033); the changes module, built below, keeps it.
      drainHolds: { acquire: (request) => changes.drainHolds.acquire(request) },
      ...(options.kubeClientFactory ? { clientFactory: options.kubeClientFactory } : {}),
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
        // Drift restores honour ChangeWindows as changes do (ADR 0031): the engine's own window gate.
        fleetGate,
        restoreWindow: async (team, windows, at) => {
          // A restore is an application apply: a stopped line and windows governing applications hold it too.
          const gate = await fleetGate.check(team, 'applications', at);
          if (!gate.open)
            return {
              open: false,
              message: gate.message,
              ...(gate.until !== undefined ? { until: gate.until } : {}),
            };
          const block = await windowBlock(
            store.resources,
            { metadata: { team, name: 'drift-restore' }, spec: { windows: [...windows] } } as ChangeObject,
            at,
          );
          return block
            ? {
                open: false,
                message: block.message,
                ...(block.until !== undefined ? { until: block.until } : {}),
              }
            : { open: true };
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
    // Hosts and their agents (ADR 0016): jobs run on hosts through the agent hub, and a host that goes
    // offline is an alert (below).
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

    const jobs = createJobsModule(
      {
        resources,
        jobs: store.jobs,
        port: options.jobs?.port ?? hosts.hub,
        hosts: options.jobs?.hosts ?? hostDirectory(store.hosts),
        secrets,
        leases: store.leases,
        clock: systemClock(now),
        recorder,
        clusters: new KubeJobRunner(clusterClients, systemClock(now)),
        gate: fleetGate,
        logger: logger.child({ component: 'jobs' }),
        metrics,
      },
      {
        holder: config.instanceId || `${hostname()}-${process.pid}`,
        runs: {
          leaseDurationMs: config.leaseDurationMs,
          lostAfterMs: config.jobLostAfterSeconds * 1000,
          resultGraceMs: config.jobResultGraceSeconds * 1000,
        },
        schedules: { leaseDurationMs: config.leaseDurationMs },
        idempotencyKeyTtlMs: config.idempotencyKeyHours * 3_600_000,
      },
    );
    jobs.start();
    cleanups.unshift(() => jobs.stop());

    // Changes (ADR 0026): admission of Change and ChangeWindow, the actions' service, and the change
    // engine on the server holding the `controller/change` lease, journaling every step.
    const changes = createChangesModule(
      {
        resources,
        store,
        fleet,
        // Application rollouts move StatefulSet partitions through the clusters' API servers (ADR 0036).
        clusters: clusterClients,
        jobs: { service: jobs.service, hosts: options.jobs?.hosts ?? hostDirectory(store.hosts) },
        feed,
        recorder,
        clock: systemClock(now),
        logger: logger.child({ component: 'changes' }),
        // Gates and failure policies (ADR 0030): the health center read and written, Prometheus through
        // the team's MetricsSources. The exception service is built below; the sink reaches it when called.
        signals: createStoreHealthSignals({ alerts: store.alerts, exceptions: store.exceptions, now }),
        exceptions: createExceptionSink({
          exceptions: { create: (caller, team, input) => exceptions.service.create(caller, team, input) },
          repository: store.exceptions,
          actor: 'controller/change',
        }),
        metricsSecrets: secrets,
      },
      {
        holder: config.instanceId || `${hostname()}-${process.pid}`,
        leaseDurationMs: config.leaseDurationMs,
        pollMs: config.changePollMs,
      },
    );
    await changes.start();
    cleanups.unshift(() => changes.stop());
    resources.onWrite(({ type, object }) => {
      if (type === 'DELETED' && object.kind === 'Team')
        void store.changes
          .deleteTeam(object.metadata.name)
          .catch((error: unknown) => logger.warn({ err: error }, 'deleting a team’s change journals failed'));
    });

    // Exceptions and failures (ADR 0018): the service on every server (the API; correlation's
    // ExceptionPort and escalation's ExceptionReader), the failure controller on the lease holder. An
    // exception opened here wakes self-healing's loop (made below) when this server runs it.
    /** Set once the healing loop exists (below): an opened exception and a decided approval wake it. */
    const healingWake: { wake?: () => void } = {};
    const exceptions = createExceptionsModule(
      {
        onActivated: () => healingWake.wake?.(),
        resources,
        repository: store.exceptions,
        leases: store.leases,
        clock: systemClock(now),
        recorder,
        metrics,
        logger: logger.child({ component: 'failures' }),
      },
      {
        holder: config.instanceId || `${hostname()}-${process.pid}`,
        failures: { leaseDurationMs: config.leaseDurationMs, intervalMs: config.failureCheckSeconds * 1000 },
      },
    );
    exceptions.start();
    cleanups.unshift(() => exceptions.stop());
    resources.onWrite(({ type, object }) => {
      if (type === 'DELETED' && object.kind === 'Team')
        void store.exceptions
          .deleteTeam(object.metadata.name)
          .catch((error: unknown) => logger.warn({ err: error }, 'deleting a team’s exceptions failed'));
    });

    // Alerts (ADR 0012): ingest and the Alertmanager API's silences over the Silence kind.
    const alertMetrics: IngestMetrics = {
      received: (source, count) => metrics.alertsReceived.inc({ source }, count),
      rejected: (reason, count) => metrics.alertsRejected.inc({ reason }, count),
      normalized: (reason, count) => metrics.alertsNormalized.inc({ reason }, count),
      thread: (ready) => metrics.alertIngestThread.set(ready ? 1 : 0),
    };
    const alertIngest = new AlertIngest({
      repository: store.alerts,
      teamExists: async (team) =>
        (await store.resources.get({ kind: 'Team', team: '', name: team })) !== undefined,
      metrics: alertMetrics,
      now,
      resolveTimeoutMs: parseDurationMs(config.alertResolveTimeout),
      teamLabel: config.alertTeamLabel,
    });
    // Its thread (SQLite on a file, ADR 0042) ends before the store closes; a commit in flight then
    // finishes on the store's connection.
    cleanups.unshift(() => alertIngest.close());
    const silences = new SilenceApi(resources, now, config.alertTeamLabel);
    const hostAlerts = hostAvailabilityAlerts(alertIngest, (error) =>
      logger.warn({ err: error }, 'posting a host availability alert failed'),
    );
    cleanups.unshift(hosts.hub.onHostOffline((host) => hostAlerts.offline(host)));
    cleanups.unshift(hosts.hub.onHostOnline((host) => hostAlerts.online(host)));
    resources.onWrite(({ type, object }) => {
      if (type === 'DELETED' && object.kind === 'Team')
        void store.alerts
          .deleteTeam(object.metadata.name)
          .catch((error: unknown) => logger.warn({ err: error }, 'deleting a team’s alerts failed'));
      if (type === 'DELETED' && object.kind === 'Team')
        void store.correlation
          .deleteTeam(object.metadata.name)
          .catch((error: unknown) =>
            logger.warn({ err: error }, 'deleting a team’s correlation state failed'),
          );
    });
    const startedAt = now();
    // Notifications (ADR 0014): the outbox's worker runs on every server; claims keep each row to one.
    resources.admit('NotificationChannel', notificationChannelAdmission);
    const notificationClock = systemClock(now);
    const notificationChannels = resourceChannelSource(store.resources);
    const secretResolver = revealingSecretResolver(secrets);
    const instance = config.instanceId || `${hostname()}-${process.pid}`;
    const notificationWorker = new NotificationWorker(
      {
        outbox: store.notifications,
        channels: notificationChannels,
        secrets: secretResolver,
        clock: notificationClock,
        server: instance,
        events: recorder,
        onError: (error) => logger.warn({ err: error }, 'notification worker'),
      },
      { leaseMs: config.notificationLeaseSeconds * 1000, pollIntervalMs: config.notificationPollMs },
    );
    const notifications = new NotificationService({
      repository: store.notifications,
      channels: notificationChannels,
      secrets: secretResolver,
      clock: notificationClock,
      server: instance,
      onEnqueued: (channel) => notificationWorker.wake(channel),
    });
    notificationWorker.start();
    cleanups.unshift(() => notificationWorker.stop());

    // Risk inspection (ADR 0020): Inspection admission now; the scheduler starts with the others below.
    const inspections = createInspectionsModule(
      {
        resources,
        repository: store.resources,
        inventory: store.inventory,
        risks: store.risks,
        secrets,
        leases: store.leases,
        clock: systemClock(now),
        recorder,
        engine: createCelEngine(),
        logger: logger.child({ component: 'inspections' }),
        metrics,
        subscribe: (listener) => feed.subscribe(listener),
      },
      {
        holder: instance,
        leaseDurationMs: config.leaseDurationMs,
        scheduler: { concurrency: config.inspectionConcurrency },
      },
    );
    resources.onWrite(({ type, object }) => {
      if (type === 'DELETED' && object.kind === 'Team')
        void store.risks
          .deleteTeam(object.metadata.name)
          .catch((error: unknown) => logger.warn({ err: error }, 'deleting a team’s risks failed'));
    });

    // Self-healing's ports, shared by the healing controller (below) and the healing API (ADR 0032, 0037).
    // The team's nodes and hosts read once per healing pass, shared by the ports below (ADR 0032).
    const healingSnapshots = new InventoryPassSnapshots();
    const healingInventory = {
      inventory: store.inventory,
      hosts: store.hosts,
      resources: store.resources,
      snapshots: healingSnapshots,
    };
    const healingEntities = createInventoryEntityResolver(healingInventory);
    const healingPolicies = createResourcePolicySource({
      repository: store.resources,
      engine: createCelEngine(),
    });
    const healingTriggers = combineTriggerSources([
      createExceptionTriggerSource({ exceptions: store.exceptions, entities: healingEntities }),
      createAlertTriggerSource({ alerts: store.alerts, entities: healingEntities }),
      createRiskTriggerSource({ risks: store.risks, entities: healingEntities }),
    ]);
    const healingMetrics = {
      prometheus: createPrometheusQuerier(),
      sources: createMetricsSourceResolver({ resources: store.resources, secrets }),
    };
    const healingEvidence = createStoreEvidenceProviders({
      inventory: store.inventory,
      events: store.events,
      hosts: store.hosts,
      ...healingMetrics,
      jobs: createJobDiagnosticRunner(jobs.service, now),
    });
    const healingApi = new HealingApi({
      runs: store.healing,
      policies: healingPolicies,
      triggers: healingTriggers,
      entities: healingEntities,
      evidence: healingEvidence,
      engine: createCelEngine(),
      audit: store.audit,
      now,
      onDecided: () => healingWake.wake?.(),
      recovery: new StatsService({ source: store.healthStats, now }),
    });

    /** Set once the dispatch runner exists: the alert API shows its dispatcher's groups. */
    const dispatchView: { runner?: AlertDispatchRunner } = {};
    const app = await buildApi(
      {
        kinds,
        resources,
        identity,
        secrets,
        fleet,
        delivery: delivery.service,
        alerts: {
          ingest: alertIngest,
          silences,
          repository: store.alerts,
          metrics: alertMetrics,
          now,
          startedAt,
          instance: config.instanceId || `${hostname()}-${process.pid}`,
          version: { version: VERSION, commit: process.env.GANTRY_COMMIT ?? 'dev', database: store.dialect },
          dispatcher: () => dispatchView.runner?.dispatcher,
          status: {
            config: (teams) => alertingConfigText(store.resources, teams),
            peers: () => leaseHolders(store.leases, now()),
          },
        },
        notifications,
        baselines: createBaselineSeriesReader({ repository: store.resources, secrets, now }),
        jobs: jobs.service,
        hosts,
        exceptions: exceptions.service,
        health: { risks: inspections.riskService, inspections: inspections.service },
        stats: new StatsService({ source: store.healthStats, now }),
        healthStream: new HealthStreamService({ repository: store.healthStream, now }),
        changes: changes.service,
        healing: healingApi,
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
      void store.alerts
        .deleteEndedBefore(new Date(now() - config.alertRetentionHours * 3_600_000).toISOString())
        .catch((error: unknown) => logger.warn({ err: error }, 'alert retention failed'));
      void store.risks
        .deleteHistoryBefore(new Date(now() - config.riskRetentionDays * 86_400_000).toISOString())
        .catch((error: unknown) => logger.warn({ err: error }, 'risk retention failed'));
      void store.idempotency
        .prune(now())
        .catch((error: unknown) => logger.warn({ err: error }, 'idempotency key pruning failed'));
      void silences
        .refreshStates()
        .catch((error: unknown) => logger.warn({ err: error }, 'silence states failed'));
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

    // The alert pipeline's controllers start once the server's URL is known (links in alerts). Gantry's
    // own rules post through the ingest (ADR 0015); the dispatcher, on the server holding the
    // `alert-dispatch` lease, routes and groups the alert records and hands notifications to the outbox.
    const externalUrl = (config.externalUrl || url).replace(/\/+$/, '');
    const ruleDeps: AlertRuleControllerDeps = {
      resources,
      repository: store.resources,
      inventory: store.inventory,
      secrets,
      state: store.alertRuleState,
      sink: ingestAlertSink(alertIngest),
      recorder,
    };
    const alertControllers = new ControllerManager(
      { changes: feed, objects: store.resources, leases: store.leases },
      {
        holder: instance,
        leaseDurationMs: config.leaseDurationMs,
        clock: systemClock(now),
        logger: logger.child({ component: 'alert-rules' }),
        metrics,
      },
    )
      .register(createAlertRuleController('AlertRule', ruleDeps, { externalUrl }))
      .register(createAlertRuleController('GlobalAlertRule', ruleDeps, { externalUrl }));
    await alertControllers.start();
    cleanups.unshift(() => alertControllers.stop());
    const dispatchLogger = logger.child({ component: 'alert-dispatch' });
    const dispatchRunner = new AlertDispatchRunner({
      // Each term's notifications carry its fence: a deposed dispatcher enqueues nothing (ADR 0028).
      // So do its notification log entries and flap histories.
      createDispatcher: (term) => {
        const dispatchState = termDispatchState(term, store.alertDispatch);
        return new AlertDispatcher({
          clock: systemClock(now),
          log: dispatchState,
          flapStore: dispatchState,
          logger: dispatchLogger,
          sink: termNotificationSink(term, async (notification, fenced) => {
            await notifications.enqueue(notificationInput(notification, externalUrl), fenced);
          }),
        });
      },
      alerts: store.alerts,
      resources: store.resources,
      subscribe: (listener) => feed.subscribe(listener),
      watchAlerts: (onChange) =>
        watchAlertChanges(store, onChange, (error) =>
          dispatchLogger.warn({ err: error }, 'alert change notifications interrupted'),
        ),
      clock: systemClock(now),
      onError: (error, what) => dispatchLogger.warn({ err: error }, what),
    });
    dispatchView.runner = dispatchRunner;
    const retention = parseDuration(config.notificationRetention);
    if (!retention.ok) throw new Error(`GANTRY_NOTIFICATION_RETENTION: ${retention.error}`);
    const notificationRetention = new NotificationRetention(
      {
        outbox: store.notifications,
        clock: systemClock(now),
        onError: (error) => dispatchLogger.warn({ err: error }, 'notification retention failed'),
        onDeleted: (count) => dispatchLogger.info({ count }, 'old notifications deleted'),
      },
      { retentionMs: retention.ms },
    );
    const dispatchLeader = termElector(store.leases, {
      leaseName: 'alert-dispatch',
      holder: instance,
      leaseDurationMs: config.leaseDurationMs,
      clock: systemClock(now),
      logger: dispatchLogger,
      metrics,
      // The outbox's retention runs on the same one server (ADR 0014).
      onStartedLeading: async (scope) => {
        await dispatchRunner.start(scope);
        notificationRetention.start();
      },
      onStoppedLeading: async () => {
        await notificationRetention.stop();
        await dispatchRunner.stop();
      },
    });
    await dispatchLeader.start();
    cleanups.unshift(() => dispatchLeader.stop());

    // Self-healing (ADR 0032): on the server holding `controller/healing`, policies matched against open
    // exceptions, alerts, risks and lasting inventory conditions; diagnosis trees walked over the store,
    // Prometheus and diagnostic jobs; actions submitted as Changes (windows, stop-the-line, the budget).
    const healingController = new HealingController({
      runs: store.healing,
      policies: healingPolicies,
      triggers: healingTriggers,
      conditions: createInventoryConditionSubjects(healingInventory),
      evidence: healingEvidence,
      actuator: createChangeActuator({
        changes: createResourceChangeSubmitter(resources),
        notifier: notifications,
        silences: createResourceSilenceCreator(resources),
        revisions: createApplicationRevisionReader(store.resources),
        pauser: createChangePauser({ service: changes.service, repository: store.resources }),
        now,
        externalUrl,
      }),
      // A team's MetricsSource that does not answer freezes its healing (PrometheusDown), as silent agents do.
      signals: createStoreSignalHealth(
        { ...healingInventory, resourcesGet: store.resources, now },
        { metrics: healingMetrics },
      ),
      domains: createInventoryDomainHealth(healingInventory),
      entities: createInventoryEntityReader(healingInventory),
      outcomes: createExceptionOutcomePort(exceptions.service),
      // A risky action's request goes to the ladder's channels with a link to the run's page (ADR 0041).
      approvals: createApprovalNotifier({ notifier: notifications, externalUrl, now }),
      recorder,
      now,
      passScope: healingSnapshots,
    });
    const healing = createHealingModule({
      controller: healingController,
      leases: store.leases,
      clock: systemClock(now),
      logger: logger.child({ component: 'healing' }),
      holder: instance,
      leaseDurationMs: config.leaseDurationMs,
      intervalMs: config.healingIntervalSeconds * 1000,
      metrics,
    });
    healingWake.wake = () => healing.loop.wake();
    await healing.start();
    cleanups.unshift(() => healing.stop());

    // Correlation and escalation (ADR 0019): the server holding the `health-correlation` lease folds
    // alerts into exceptions by rule and topology (storm collapse before anyone is notified) and walks
    // each open exception's EscalationPolicy until it is acknowledged.
    const healthLogger = logger.child({ component: 'health-correlation' });
    const health = createHealthCorrelation(
      {
        store,
        port: exceptions.service,
        reader: exceptions.service,
        notifications,
        subscribe: (listener) => feed.subscribe(listener),
        cel: createCelEngine(),
        clock: systemClock(now),
        externalUrl,
        events: recorder,
        onError: (error, what) => healthLogger.warn({ err: error }, what),
      },
      {
        groupWaitMs: parseDurationMs(config.healthGroupWait),
        rackLabel: config.healthRackLabel,
        defaultPolicy: config.healthEscalationPolicy,
      },
    );
    const healthLeader = termElector(store.leases, {
      leaseName: 'health-correlation',
      holder: instance,
      leaseDurationMs: config.leaseDurationMs,
      clock: systemClock(now),
      logger: healthLogger,
      metrics,
      // The escalation notifications of a term carry its fence (ADR 0028).
      onStartedLeading: (scope) => health.start(scope),
      onStoppedLeading: () => health.stop(),
    });
    await healthLeader.start();
    cleanups.unshift(() => healthLeader.stop());

    // Anomaly detection (ADR 0021): the server holding the `health-baselines` lease checks every
    // Baseline's series and reports sustained deviations as risks.
    const baselineLogger = logger.child({ component: 'baselines' });
    const baselineEvaluator = new BaselineEvaluator({
      repository: store.resources,
      resources,
      secrets,
      sink: options.riskSink ?? inspections.sink,
      recorder,
      clock: systemClock(now),
      logger: baselineLogger,
    });
    // Its terms have a TermScope: memory and fenced status writes (ADR 0028).
    const baselineLeader = termElector(store.leases, {
      leaseName: BASELINE_LEASE,
      holder: instance,
      leaseDurationMs: config.leaseDurationMs,
      clock: systemClock(now),
      logger: baselineLogger,
      metrics,
      onStartedLeading: (scope) => baselineEvaluator.start(scope),
      onStoppedLeading: () => baselineEvaluator.stop(),
    });
    await baselineLeader.start();
    cleanups.unshift(() => baselineLeader.stop());
    await inspections.start();
    cleanups.unshift(() => inspections.stop());

    let closing: Promise<void> | undefined;
    return {
      url,
      app,
      hosts,
      store,
      config,
      notifications,
      exceptions: exceptions.service,
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
