import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type LogEvent,
  type MigrationProvider,
} from 'kysely';
import pg from 'pg';
import { dialectOf, type Dialect } from './dialect.ts';
import { migrations } from './migrations/index.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';
import { withStatementCache } from './statement-cache.ts';
import type { Database } from './schema.ts';

export interface ConnectOptions {
  /** `postgres://...` for PostgreSQL, otherwise a SQLite file path (or `:memory:`). */
  url: string;
  /** PostgreSQL pool size. */
  poolSize?: number;
  /** Told the duration of every statement, for metrics. */
  onQuery?: (durationMs: number, ok: boolean) => void;
}

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
  close(): Promise<void>;
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
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // A client that loses its server must not crash the process: idle ones are replaced by the pool, and
    // one in use fails its query, which the caller reports as 503.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
    return { db, dialect, pgUrl: options.url, close: () => db.destroy() };
  }
  if (options.url !== ':memory:') ownerOnly(options.url);
  const sqlite = new SqliteDatabase(options.url);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(sqlite) }),
    ...(log ? { log } : {}),
  });
  const checkpointer = options.url === ':memory:' ? undefined : startCheckpointer(sqlite, options.url);
  return {
    db,
    dialect,
    sqlite,
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
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
