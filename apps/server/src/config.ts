import { isAbsolute, join, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { compileValidator, createAjv, InputError } from '@gantry/model';

/**
 * Every setting of `gantry server`: one schema with a documented default per key, read from the
 * environment (`GANTRY_*`) or flags, resolved once at start-up into a complete Config.
 */
export const ConfigSchema = Type.Object(
  {
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 7420,
      description: 'TCP port of the API and console.',
      env: 'GANTRY_PORT',
    }),
    host: Type.String({ default: '127.0.0.1', description: 'Address to listen on.', env: 'GANTRY_HOST' }),
    dataDir: Type.String({
      default: './.gantry',
      description: 'Where the SQLite database and the generated secret key live.',
      env: 'GANTRY_DATA_DIR',
    }),
    databaseUrl: Type.String({
      default: '',
      description:
        'A postgres:// URL selects PostgreSQL; empty means SQLite at <dataDir>/gantry.db; any other value is a SQLite file path.',
      env: 'GANTRY_DATABASE_URL',
    }),
    // A database that hangs must not hang every request with it (ADR 0029).
    dbAcquireTimeoutMs: Type.Integer({
      minimum: 100,
      default: 3000,
      description:
        'PostgreSQL: longest wait for a pooled connection; a request that gets none answers 503 GANTRY_E_DATABASE_TIMEOUT with Retry-After.',
      env: 'GANTRY_DB_ACQUIRE_TIMEOUT_MS',
    }),
    dbStatementTimeoutMs: Type.Integer({
      minimum: 100,
      default: 5000,
      description:
        'PostgreSQL: statement_timeout of every request session; the client stops waiting a second later even if the server does not answer at all (503 GANTRY_E_DATABASE_TIMEOUT). Migrations are not bounded.',
      env: 'GANTRY_DB_STATEMENT_TIMEOUT_MS',
    }),
    dbIdleInTransactionTimeoutMs: Type.Integer({
      minimum: 100,
      default: 10_000,
      description:
        'PostgreSQL: idle_in_transaction_session_timeout: a session that leaves a transaction open this long is ended, releasing its locks.',
      env: 'GANTRY_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
    }),
    dbBusyTimeoutMs: Type.Integer({
      minimum: 100,
      default: 5000,
      description: 'SQLite: busy_timeout, the longest wait for the write lock before 503.',
      env: 'GANTRY_DB_BUSY_TIMEOUT_MS',
    }),
    readyTimeoutMs: Type.Integer({
      minimum: 100,
      default: 1500,
      description: '/readyz answers 503 when the database has not answered its probe within this time.',
      env: 'GANTRY_READY_TIMEOUT_MS',
    }),
    idempotencyKeyHours: Type.Number({
      minimum: 0.01,
      default: 24,
      description:
        'How long the answer to a create sent with an Idempotency-Key is kept for retries; older keys are pruned.',
      env: 'GANTRY_IDEMPOTENCY_KEY_HOURS',
    }),
    adminPassword: Type.String({
      default: '',
      description:
        'Password of the bootstrap user `admin` on first start; empty generates one and prints it once.',
      env: 'GANTRY_ADMIN_PASSWORD',
      secret: true,
    }),
    secretKey: Type.String({
      default: '',
      description:
        'AES-256 key for secrets (64 hex chars); empty uses <dataDir>/secret.key, generated on first start.',
      env: 'GANTRY_SECRET_KEY',
      secret: true,
    }),
    bodyLimitBytes: Type.Integer({
      minimum: 1024,
      default: 1_048_576,
      description: 'Largest request body accepted.',
      env: 'GANTRY_BODY_LIMIT_BYTES',
    }),
    logLevel: Type.Union(
      [
        Type.Literal('trace'),
        Type.Literal('debug'),
        Type.Literal('info'),
        Type.Literal('warn'),
        Type.Literal('error'),
        Type.Literal('silent'),
      ],
      {
        default: 'info',
        description: 'pino log level.',
        env: 'GANTRY_LOG_LEVEL',
      },
    ),
    sessionTtlHours: Type.Number({
      minimum: 0.1,
      maximum: 720,
      default: 12,
      description: 'Lifetime of a login session.',
      env: 'GANTRY_SESSION_TTL_HOURS',
    }),
    consoleDir: Type.String({
      default: '',
      description: 'Directory of the built console; empty uses apps/console/dist next to the server.',
      env: 'GANTRY_CONSOLE_DIR',
    }),
    externalUrl: Type.String({
      default: '',
      description:
        'The URL users reach Gantry at, for links in alerts and notifications (generatorURL, externalURL); empty: the address it listens on.',
      env: 'GANTRY_EXTERNAL_URL',
    }),
    instanceId: Type.String({
      default: '',
      description: "This server's name in controller leases; empty uses hostname-pid.",
      env: 'GANTRY_INSTANCE_ID',
    }),
    leaseDurationMs: Type.Integer({
      minimum: 1000,
      default: 8000,
      description:
        'How long a controller lease lasts without renewal: the failover time when a server dies. Renewed every quarter of it; a holder that could not renew for three quarters steps down (ADR 0029).',
      env: 'GANTRY_LEASE_DURATION_MS',
    }),
    changeRetention: Type.Integer({
      minimum: 1000,
      default: 100_000,
      description: 'How many recent changes are kept for watches to resume from.',
      env: 'GANTRY_CHANGE_RETENTION',
    }),
    eventRetentionHours: Type.Number({
      minimum: 1,
      default: 168,
      description:
        'How long an event record (Gantry’s own or a cluster’s Kubernetes Event) is kept after it was last seen.',
      env: 'GANTRY_EVENT_RETENTION_HOURS',
    }),
    notificationLeaseSeconds: Type.Number({
      minimum: 2,
      maximum: 3600,
      default: 30,
      description:
        'How long a server holds a notification it is sending without renewing its claim: after a crash, the time until another server takes the notification over.',
      env: 'GANTRY_NOTIFICATION_LEASE_SECONDS',
    }),
    notificationPollMs: Type.Integer({
      minimum: 10,
      maximum: 60_000,
      default: 500,
      description:
        'How often the notification outbox is polled for notifications other servers enqueued or whose retry is due.',
      env: 'GANTRY_NOTIFICATION_POLL_MS',
    }),
    notificationRetention: Type.String({
      default: '7d',
      pattern: '^([0-9]+(y|w|d|h|m|s|ms))+$',
      description:
        'How long a delivered, failed or superseded notification and its delivery log (attempts) are kept after it last changed; deleted in batches by the alert dispatch leader. Pending notifications are never deleted.',
      env: 'GANTRY_NOTIFICATION_RETENTION',
    }),
    helmPath: Type.String({
      default: 'helm',
      description:
        'The helm binary that renders helm components (`helm template`); a name is looked up on PATH.',
      env: 'GANTRY_HELM_PATH',
    }),
    helmChartDirs: Type.String({
      default: '',
      pattern: '^(/[^:]*(:/[^:]*)*)?$',
      description:
        'Absolute directories, separated by `:`, whose charts a helm component may name by local path (symlinks resolved); empty allows no local chart, only repositories, OCI and URLs.',
      env: 'GANTRY_HELM_CHART_DIRS',
    }),
    deliveryProgressGraceSeconds: Type.Number({
      minimum: 0,
      maximum: 3600,
      default: 60,
      description:
        'How long a workload may fail its health policy after a change (a rollout) before its component reads Unhealthy instead of Progressing.',
      env: 'GANTRY_DELIVERY_PROGRESS_GRACE_SECONDS',
    }),
    riskRetentionDays: Type.Number({
      minimum: 1,
      default: 30,
      description: 'How long gone risks and finished inspection runs are kept (open risks stay).',
      env: 'GANTRY_RISK_RETENTION_DAYS',
    }),
    inspectionConcurrency: Type.Integer({
      minimum: 1,
      maximum: 256,
      default: 8,
      description:
        'Scheduled inspection runs doing their checks at once; every run still starts on its slot and waits its turn beyond this (ADR 0024).',
      env: 'GANTRY_INSPECTION_CONCURRENCY',
    }),
    fleetTlsCertificates: Type.Boolean({
      default: false,
      description:
        "Also watch the clusters' kubernetes.io/tls Secrets and keep each certificate's expiry (notAfter) only, for inspections; the secrets' data is read and dropped, never stored. Needs list and watch on secrets.",
      env: 'GANTRY_FLEET_TLS_CERTIFICATES',
    }),
    jobLostAfterSeconds: Type.Number({
      minimum: 1,
      default: 60,
      description:
        'How long the agent of a host running a job target may be away before the target counts as lost.',
      env: 'GANTRY_JOB_LOST_AFTER_SECONDS',
    }),
    jobResultGraceSeconds: Type.Number({
      minimum: 1,
      default: 60,
      description:
        "How long past a job's timeout a connected agent may stay silent before its target counts as timed out.",
      env: 'GANTRY_JOB_RESULT_GRACE_SECONDS',
    }),
    failureCheckSeconds: Type.Number({
      minimum: 1,
      default: 15,
      description:
        'How often the failure controller looks at unresolved exceptions; a failure level is raised at most this late.',
      env: 'GANTRY_FAILURE_CHECK_SECONDS',
    }),
    healingIntervalSeconds: Type.Number({
      minimum: 1,
      default: 10,
      description:
        'How often the healing controller looks for triggers to act on and runs to verify or escalate (ADR 0032).',
      env: 'GANTRY_HEALING_INTERVAL_SECONDS',
    }),
    changePollMs: Type.Integer({
      minimum: 10,
      default: 5000,
      description:
        'Longest wait, in milliseconds, before the change engine looks again at a waiting, paused or observing change (requests and stops on other servers are seen this late).',
      env: 'GANTRY_CHANGE_POLL_MS',
    }),
    seedCatalog: Type.Boolean({
      default: true,
      description:
        "Install or upgrade the built-in component and trait definitions at start (an operator's newer version of one is kept).",
      env: 'GANTRY_SEED_CATALOG',
    }),
    loginMaxFailures: Type.Integer({
      minimum: 1,
      default: 10,
      description:
        'Failed logins for one user name from one address (and 5x from one address, whatever the names) before that address must wait: 5 s, doubling with each further failure up to 15 min; counts start again after 15 quiet minutes. A user is never locked out as such: the right password from another address works.',
      env: 'GANTRY_LOGIN_MAX_FAILURES',
    }),
    watchesPerUser: Type.Integer({
      minimum: 1,
      default: 100,
      description:
        'Most watch streams one user may keep open on one server; one more is refused with 429 GANTRY_E_TOO_MANY_WATCHES.',
      env: 'GANTRY_WATCHES_PER_USER',
    }),
    passwordMinLength: Type.Integer({
      minimum: 8,
      maximum: 1024,
      default: 12,
      description: 'Shortest password accepted for a user (and for GANTRY_ADMIN_PASSWORD).',
      env: 'GANTRY_PASSWORD_MIN_LENGTH',
    }),
    passwordDenyListFile: Type.String({
      default: '',
      description:
        'A file of passwords to refuse, one a line (`#` starts a comment), in addition to the built-in list of common passwords; empty uses the built-in list only.',
      env: 'GANTRY_PASSWORD_DENY_LIST_FILE',
    }),
    alertResolveTimeout: Type.String({
      default: '5m',
      pattern: '^[0-9]+(ms|s|m|h)$',
      description:
        "endsAt given to an alert posted without one: now plus this (Alertmanager's resolve_timeout); the alert resolves when it passes without a repeat.",
      env: 'GANTRY_ALERT_RESOLVE_TIMEOUT',
    }),
    alertTeamLabel: Type.String({
      default: 'team',
      pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$',
      description:
        'The label that binds an alert posted on a global path (`/api/v2/alerts`, `/api/alerts/webhook...`) to its team; per-team paths need none.',
      env: 'GANTRY_ALERT_TEAM_LABEL',
    }),
    alertRetentionHours: Type.Number({
      minimum: 1,
      default: 168,
      description: 'How long an alert record is kept after it resolved (its endsAt).',
      env: 'GANTRY_ALERT_RETENTION_HOURS',
    }),
    healthRackLabel: Type.String({
      default: 'topology.gantry.dev/rack',
      minLength: 1,
      maxLength: 317,
      description:
        "The node label that names a node's rack: health correlation folds the alerts of many nodes of one rack into one exception (ADR 0019).",
      env: 'GANTRY_HEALTH_RACK_LABEL',
    }),
    healthGroupWait: Type.String({
      default: '30s',
      pattern: '^[0-9]+(ms|s|m|h)$',
      description:
        "How long health correlation holds an alert bound to an entity before it decides its failure domain and opens or joins an exception (the storm's collapse happens within it).",
      env: 'GANTRY_HEALTH_GROUP_WAIT',
    }),
    healthEscalationPolicy: Type.String({
      default: 'default',
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
      maxLength: 63,
      description: "The team's EscalationPolicy that applies to an exception whose HealthPolicy names none.",
      env: 'GANTRY_HEALTH_ESCALATION_POLICY',
    }),
    agentHeartbeatSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 30,
      description: 'How often a host agent sends a heartbeat (the server tells each agent when it connects).',
      env: 'GANTRY_AGENT_HEARTBEAT_SECONDS',
    }),
    hostOfflineAfterSeconds: Type.Integer({
      minimum: 2,
      default: 90,
      description:
        'A host whose agent sent no heartbeat for this long is Offline (a Warning event HostOffline); keep it a few heartbeats long.',
      env: 'GANTRY_HOST_OFFLINE_AFTER_SECONDS',
    }),
    agentRotateHours: Type.Number({
      minimum: 0.01,
      default: 24,
      description: 'How long a host agent keeps its credential before it rotates it.',
      env: 'GANTRY_AGENT_ROTATE_HOURS',
    }),
    trustedProxies: Type.String({
      default: '',
      pattern: '^[0-9a-fA-F.:/]*(,[0-9a-fA-F.:/]+)*$',
      description:
        'Addresses or CIDR ranges of reverse proxies, separated by `,`, whose X-Forwarded-For names the client (for login throttling, audit and logs); empty trusts none and uses the connection address.',
      env: 'GANTRY_TRUSTED_PROXIES',
    }),
    maxHeapMb: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        "V8's old-space limit in MB (Node's `--max-old-space-size`): the `gantry` bin starts Node again with it; 0 leaves Node's default. A cap about 2x the live heap keeps RSS near it (ADR 0025); too low ends the server out of memory.",
      env: 'GANTRY_MAX_HEAP_MB',
    }),
    heapGrowthPercent: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 40,
      description:
        "How far V8 lets the heap grow past the live set before its next full collection, in percent (V8's `--heap-growing-percent`, set when the server starts); 0 leaves V8's own factor (2.5-3.5x under load). Not a cap: a larger live set gets room, never an out-of-memory abort (ADR 0038).",
      env: 'GANTRY_HEAP_GROWTH_PERCENT',
    }),
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

export interface ResolvedConfig extends Config {
  /** The database URL after defaults: a postgres:// URL or an absolute SQLite path. */
  database: string;
  dataDir: string;
}

const validateConfig = compileValidator<Config>(createAjv(), ConfigSchema);

type Source = Record<string, string | undefined>;

/** Flags win over the environment, which wins over the defaults. */
export function resolveConfig(env: Source, flags: Partial<Config> = {}, cwd = process.cwd()): ResolvedConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(ConfigSchema.properties)) {
    const name = (property as unknown as { env: string }).env;
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (property.type === 'integer' || property.type === 'number') raw[key] = Number(value);
    else if (property.type === 'boolean')
      raw[key] =
        value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
    else raw[key] = value;
  }
  Object.assign(raw, Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)));
  const checked = validateConfig(raw);
  if (!checked.ok) {
    const envName = (path: string) =>
      (ConfigSchema.properties as Record<string, { env?: string }>)[path.slice(1)]?.env ?? path;
    throw new InputError(
      `invalid configuration: ${checked.errors.map((e) => `${envName(e.path)} ${e.message}`).join('; ')}`,
      checked.errors,
    );
  }
  const config = checked.value;
  const dataDir = isAbsolute(config.dataDir) ? config.dataDir : resolve(cwd, config.dataDir);
  const database = /^postgres(ql)?:\/\//.test(config.databaseUrl)
    ? config.databaseUrl
    : config.databaseUrl === ''
      ? join(dataDir, 'gantry.db')
      : config.databaseUrl === ':memory:'
        ? ':memory:'
        : resolve(cwd, config.databaseUrl);
  return { ...config, dataDir, database };
}

/** Rows for docs and `--help`: key, environment variable, default, description. */
export function describeConfig(): { key: string; env: string; default: unknown; description: string }[] {
  return Object.entries(ConfigSchema.properties).map(([key, property]) => {
    const p = property as unknown as { env: string; default: unknown; description: string };
    return { key, env: p.env, default: p.default, description: p.description };
  });
}
