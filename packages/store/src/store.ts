import { sql } from 'kysely';
import pg from 'pg';
import { AlertRepository } from './alert-repository.ts';
import { AlertDispatchRepository } from './alert-dispatch-repository.ts';
import { AlertRuleStateRepository } from './alert-rule-state-repository.ts';
import { AppliedObjectRepository } from './applied-object-repository.ts';
import { AuditRepository } from './audit-repository.ts';
import { ChangeRepository } from './change-repository.ts';
import { DisruptionHoldRepository } from './disruption-hold-repository.ts';
import { connect, isMigrated, migrateToLatest, type ConnectOptions, type Connection } from './connect.ts';
import { dialectOf } from './dialect.ts';
import { EventRepository } from './event-repository.ts';
import { ExceptionRepository } from './exception-repository.ts';
import { HealthStatsRepository } from './health-stats-repository.ts';
import { HealthStreamRepository } from './health-stream-repository.ts';
import { HealingRepository } from './healing-repository.ts';
import { HostRepository } from './host-repository.ts';
import { CorrelationRepository } from './correlation-repository.ts';
import { IdempotencyRepository } from './idempotency-repository.ts';
import { InventoryRepository } from './inventory-repository.ts';
import { JobRepository } from './job-repository.ts';
import { LeaseRepository } from './lease-repository.ts';
import { LoginThrottleRepository } from './login-throttle-repository.ts';
import { NotificationRepository } from './notification-repository.ts';
import { ResourceRepository } from './resource-repository.ts';
import { RiskRepository } from './risk-repository.ts';
import { SecretRepository } from './secret-repository.ts';
import { UserRepository } from './user-repository.ts';

/** The PostgreSQL channel that announces resource writes. */
export const CHANGE_CHANNEL = 'gantry_changes';
/** The PostgreSQL channel that announces committed alert ingests (payload: the last sequence number). */
export const ALERT_CHANNEL = 'gantry_alerts';

/** `Store.open`'s options: the connection's, and how long `/readyz`'s probe may take. */
export interface StoreOptions extends ConnectOptions {
  /** Longest time `ready()` waits for the database before answering false (default 1500 ms). */
  readyTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 1500;

/** Every repository over one connection. */
export class Store {
  readonly resources: ResourceRepository;
  readonly users: UserRepository;
  readonly audit: AuditRepository;
  readonly secrets: SecretRepository;
  readonly leases: LeaseRepository;
  readonly inventory: InventoryRepository;
  readonly events: EventRepository;
  readonly applied: AppliedObjectRepository;
  readonly loginThrottle: LoginThrottleRepository;
  readonly alerts: AlertRepository;
  readonly alertDispatch: AlertDispatchRepository;
  readonly alertRuleState: AlertRuleStateRepository;
  readonly notifications: NotificationRepository;
  readonly jobs: JobRepository;
  readonly hosts: HostRepository;
  readonly exceptions: ExceptionRepository;
  readonly correlation: CorrelationRepository;
  readonly risks: RiskRepository;
  readonly healthStats: HealthStatsRepository;
  readonly healthStream: HealthStreamRepository;
  /** Changes' journals, requests and stop-the-line (ADR 0026). */
  readonly changes: ChangeRepository;
  /** Answers of creates sent with an `Idempotency-Key` (ADR 0029). */
  readonly idempotency: IdempotencyRepository;
  /** Healing runs and the guardrails' counters (ADR 0032). */
  readonly healing: HealingRepository;
  readonly disruptionHolds: DisruptionHoldRepository;

  /** The probe `ready()` is waiting for, shared by concurrent callers so that probes never pile up. */
  #probe: Promise<boolean> | undefined;

  private constructor(
    readonly connection: Connection,
    private readonly readyTimeoutMs: number = DEFAULT_READY_TIMEOUT_MS,
  ) {
    const { db } = connection;
    this.resources = new ResourceRepository(
      db,
      connection.dialect === 'postgres' ? CHANGE_CHANNEL : undefined,
      connection.dialect,
    );
    this.users = new UserRepository(db);
    this.audit = new AuditRepository(db);
    this.secrets = new SecretRepository(db);
    this.leases = new LeaseRepository(db);
    this.inventory = new InventoryRepository(db, connection.dialect);
    this.events = new EventRepository(db, connection.dialect);
    this.applied = new AppliedObjectRepository(db, connection.dialect);
    this.loginThrottle = new LoginThrottleRepository(db);
    this.alerts = new AlertRepository(
      db,
      connection.dialect === 'postgres' ? ALERT_CHANNEL : undefined,
      connection.sqlite,
      connection.contention,
    );
    this.alertDispatch = new AlertDispatchRepository(db, connection.dialect);
    this.alertRuleState = new AlertRuleStateRepository(db, connection.dialect);
    this.notifications = new NotificationRepository(db, connection.dialect);
    this.jobs = new JobRepository(db, connection.dialect);
    this.hosts = new HostRepository(db);
    this.exceptions = new ExceptionRepository(db, connection.dialect);
    this.correlation = new CorrelationRepository(db, connection.dialect);
    this.risks = new RiskRepository(db, connection.dialect);
    this.healthStats = new HealthStatsRepository(db, connection.dialect);
    this.healthStream = new HealthStreamRepository(db, (afterSeq) => this.alerts.settle(afterSeq));
    this.changes = new ChangeRepository(db, connection.dialect);
    this.idempotency = new IdempotencyRepository(db);
    this.healing = new HealingRepository(db, connection.dialect);
    this.disruptionHolds = new DisruptionHoldRepository(db);
  }

  /**
   * Connects and brings the schema up to date. On PostgreSQL the migrations run on a connection of their
   * own without the statement timeout, which is meant for requests, not for rebuilding a large table.
   */
  static async open(options: StoreOptions): Promise<Store> {
    const { readyTimeoutMs, ...connectOptions } = options;
    const separate = dialectOf(options.url) === 'postgres' && options.timeouts !== undefined;
    const migrating = connect(separate ? { url: options.url, poolSize: 1 } : connectOptions);
    try {
      await migrateToLatest(migrating);
    } catch (error) {
      await migrating.close();
      throw error;
    }
    if (!separate) return new Store(migrating, readyTimeoutMs);
    await migrating.close();
    return new Store(connect(connectOptions), readyTimeoutMs);
  }

  get dialect() {
    return this.connection.dialect;
  }

  /**
   * Database reachable and schema current, answered within `readyTimeoutMs` whatever the database does: a
   * database that does not answer is not ready (ADR 0029). A probe still running when the bound passes is
   * left to end on its own (the statement timeout ends it) and is shared by the next callers meanwhile.
   */
  ready(): Promise<boolean> {
    const probe = (this.#probe ??= this.#probeOnce().finally(() => {
      this.#probe = undefined;
    }));
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.readyTimeoutMs);
      void probe.then((ready) => {
        clearTimeout(timer);
        resolve(ready);
      });
    });
  }

  async #probeOnce(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.connection.db);
      return await isMigrated(this.connection);
    } catch {
      return false;
    }
  }

  /**
   * PostgreSQL: calls `onChange` whenever any server commits a resource write, with the NOTIFY's payload
   * (undefined after a (re)connect). Returns the function that stops listening. SQLite has one writer,
   * this process, so there is nothing to listen to.
   */
  async listenForChanges(
    onChange: (payload?: string) => void,
    onError: (error: unknown) => void,
    /** `ALERT_CHANNEL` for alert ingests. */
    channel: string = CHANGE_CHANNEL,
  ): Promise<() => Promise<void>> {
    const url = this.connection.pgUrl;
    if (!url) return () => Promise.resolve();
    // A client of its own, outside the pool: LISTEN belongs to one session for as long as we listen.
    let stopped = false;
    let client: pg.Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    const reconnect = (error: unknown) => {
      onError(error);
      const broken = client;
      client = undefined;
      broken?.removeAllListeners();
      broken?.on('error', () => undefined);
      void broken?.end().catch(() => undefined);
      if (!stopped) retry = setTimeout(() => void attach(), 1000);
      retry?.unref();
    };
    const attach = async (): Promise<void> => {
      const candidate = new pg.Client({ connectionString: url });
      client = candidate;
      candidate.on('notification', (message) => onChange(message.payload));
      candidate.on('error', reconnect);
      try {
        await candidate.connect();
        await candidate.query(`LISTEN ${channel}`);
        // Anything written while we were not listening is read now.
        onChange();
      } catch (error) {
        if (client === candidate) reconnect(error);
      }
    };
    await attach();
    return async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners();
        current.on('error', () => undefined);
        await current.end().catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    await this.alerts.close();
    await this.connection.close();
  }
}
