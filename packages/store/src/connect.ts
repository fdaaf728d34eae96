import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type Driver,
  type LogEvent,
  type MigrationProvider,
  type PostgresCursor,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
import pg from 'pg';
import { dialectOf, type Dialect } from './dialect.ts';
import { migrations } from './migrations/index.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';
import { withStatementCache } from './statement-cache.ts';
import { DatabaseTimeoutError } from './unavailable.ts';
import type { Database } from './schema.ts';

export interface ConnectOptions {
  /** `postgres://...` for PostgreSQL, otherwise a SQLite file path (or `:memory:`). */
  url: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** Told the duration of every statement, for metrics. */
  onQuery?: (durationMs: number, ok: boolean) => void;
  /** How long a caller may wait for a connection, and a statement for its answer; absent: unbounded. */
  timeouts?: DatabaseTimeouts;
}

/**
 * The bounds that keep a database that hangs from hanging every request with it (ADR 0029). PostgreSQL
 * takes all four; SQLite only `busyMs`.
 */
export interface DatabaseTimeouts {
  /** PostgreSQL: longest wait for a pooled connection (or a new one) before `DatabaseTimeoutError`. */
  acquireMs: number;
  /**
   * PostgreSQL: `statement_timeout` of every session. The client gives up on its own a second later, so a
   * server that does not answer at all (frozen, partitioned) also ends in `DatabaseTimeoutError`.
   */
  statementMs: number;
  /** PostgreSQL: `idle_in_transaction_session_timeout`: a session that left a transaction open is ended. */
  idleInTransactionMs: number;
  /** SQLite: `busy_timeout`, the longest wait for the write lock. */
  busyMs: number;
}

/** How much later than the server's `statement_timeout` the client stops waiting for an answer. */
const CLIENT_STATEMENT_MARGIN_MS = 1000;
/** The SQLite `busy_timeout` when none is configured. */
const DEFAULT_BUSY_MS = 5000;

export interface Connection {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL only: the URL, for the LISTEN session that runs beside the pool. */
  pgUrl?: string;
  /**
   * SQLite only: the connection under `db`, for prepared statements run directly (the alert ingest's
   * upsert, ADR 0022). Use it only inside `db.connection().execute(...)`, which holds Kysely's lock on it,
   * so that no Kysely transaction is open on it meanwhile.
   */
  sqlite?: SqliteDatabase.Database;
  /** SQLite only: who waits for the connection under `db` (see `Contention`). */
  contention?: Contention;
  close(): Promise<void>;
}

/**
 * Those who wait for SQLite's one connection: one who holds it for long (the alert ingest's lease, ADR
 * 0046) lets it go as soon as someone asks for it.
 */
export interface Contention {
  /** How many wait now. */
  waiting(): number;
  /** Calls `listener` whenever someone starts to wait; returns the function that stops it. */
  onWait(listener: () => void): () => void;
}

/** Kysely's SQLite dialect, telling who waits for its one connection. */
class WatchedSqliteDialect extends SqliteDialect implements Contention {
  #waiting = 0;
  readonly #listeners = new Set<() => void>();

  override createDriver(): Driver {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    // The driver's own promise goes back as it is: an async wrapper would add turns of the microtask queue
    // to every query, and move the order in which concurrent callers get the connection.
    driver.acquireConnection = () => {
      this.#waiting++;
      for (const listener of this.#listeners) listener();
      const acquired = acquire();
      const done = () => {
        this.#waiting--;
      };
      acquired.then(done, done);
      return acquired;
    };
    return driver;
  }

  waiting(): number {
    return this.#waiting;
  }

  onWait(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

// bigint columns (resource versions, lease times) fit in a double for the life of any installation.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function connect(options: ConnectOptions): Connection {
  const dialect = dialectOf(options.url);
  const { onQuery } = options;
  const log = onQuery
    ? (event: LogEvent) => onQuery(event.queryDurationMillis, event.level === 'query')
    : undefined;
  if (dialect === 'postgres') {
    const { timeouts } = options;
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      ...(timeouts
        ? {
            // A backstop that drops a queued waiter; `BoundedPool` answers the caller before it.
            connectionTimeoutMillis: timeouts.acquireMs + CLIENT_STATEMENT_MARGIN_MS,
            statement_timeout: timeouts.statementMs,
            idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
          }
        : {}),
    });
    // A client that loses its server must not crash the process: idle ones are replaced by the pool, and
    // one in use fails its query, which the caller reports as 503.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: timeouts ? new BoundedPool(pool, timeouts) : pool }),
      ...(log ? { log } : {}),
    });
    return { db, dialect, pgUrl: options.url, close: () => db.destroy() };
  }
  if (options.url !== ':memory:') ownerOnly(options.url);
  const sqlite = new SqliteDatabase(options.url);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${Math.floor(options.timeouts?.busyMs ?? DEFAULT_BUSY_MS)}`);
  const watched = new WatchedSqliteDialect({ database: withStatementCache(sqlite) });
  const db = new Kysely<Database>({ dialect: watched, ...(log ? { log } : {}) });
  const checkpointer = options.url === ':memory:' ? undefined : startCheckpointer(sqlite, options.url);
  return {
    db,
    dialect,
    sqlite,
    contention: watched,
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/**
 * A `pg.Pool` whose callers wait at most `acquireMs` for a connection and `statementMs` plus a margin for
 * each answer, whatever the server does. A connection whose statement timed out is in an unknown state (the
 * answer may still come): it is destroyed on release, never handed to the next caller.
 */
class BoundedPool implements PostgresPool {
  readonly #statementBoundMs: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly timeouts: DatabaseTimeouts,
  ) {
    this.#statementBoundMs = timeouts.statementMs + CLIENT_STATEMENT_MARGIN_MS;
  }

  connect(): Promise<PostgresPoolClient> {
    const { acquireMs } = this.timeouts;
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new DatabaseTimeoutError('acquire', acquireMs));
      }, acquireMs);
      this.pool.connect().then(
        (client) => {
          clearTimeout(timer);
          // The caller has gone: the connection goes back to the pool unused.
          if (late) client.release();
          else resolve(new BoundedClient(client, this.#statementBoundMs));
        },
        (error: unknown) => {
          clearTimeout(timer);
          if (!late) reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class BoundedClient implements PostgresPoolClient {
  #broken = false;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly boundMs: number,
  ) {}

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sql: string | PostgresCursor<R>,
    parameters: readonly unknown[] = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // Gantry configures no cursor (no streamed queries), so Kysely never passes one.
    if (typeof sql !== 'string') throw new Error('streamed queries are not supported');
    if (this.#broken) return Promise.reject(new DatabaseTimeoutError('statement', this.boundMs));
    const answer = this.client.query(sql, [...parameters]) as unknown as Promise<PostgresQueryResult<R>>;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#broken = true;
        // The answer, if it ever comes, has no one waiting for it.
        answer.catch(() => undefined);
        reject(new DatabaseTimeoutError('statement', this.boundMs));
      }, this.boundMs);
      answer.then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  release(destroy?: boolean): void {
    this.client.release(destroy === true || this.#broken);
  }
}

export async function migrateToLatest(connection: Connection): Promise<string[]> {
  const all = migrations(connection.dialect);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(all) };
  const migrator = new Migrator({
    db: connection.db,
    provider,
    migrationTableName: 'gantry_migrations',
    migrationLockTableName: 'gantry_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? [])
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
}

/** True when every known migration has been applied (for /readyz). */
export async function isMigrated(connection: Connection): Promise<boolean> {
  const migrator = new Migrator({
    db: connection.db,
    provider: { getMigrations: () => Promise.resolve(migrations(connection.dialect)) },
    migrationTableName: 'gantry_migrations',
    migrationLockTableName: 'gantry_migrations_lock',
  });
  const all = await migrator.getMigrations();
  return all.every((migration) => migration.executedAt !== undefined);
}

/**
 * The database holds password hashes, token hashes and sealed secrets: its directory is created 0700 and
 * the file 0600 before SQLite opens it (SQLite gives its WAL and shared-memory files the database file's
 * mode), and an existing file, WAL or shared-memory file is tightened to 0600.
 */
function ownerOnly(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
}
