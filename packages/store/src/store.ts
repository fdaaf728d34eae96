import { sql } from 'kysely';
import type pg from 'pg';
import { AuditRepository } from './audit-repository.ts';
import { connect, isMigrated, migrateToLatest, type ConnectOptions, type Connection } from './connect.ts';
import { LeaseRepository } from './lease-repository.ts';
import { ResourceRepository } from './resource-repository.ts';
import { SecretRepository } from './secret-repository.ts';
import { UserRepository } from './user-repository.ts';

/** The PostgreSQL channel that announces resource writes. */
export const CHANGE_CHANNEL = 'gantry_changes';

/** Every repository over one connection. */
export class Store {
  readonly resources: ResourceRepository;
  readonly users: UserRepository;
  readonly audit: AuditRepository;
  readonly secrets: SecretRepository;
  readonly leases: LeaseRepository;

  private constructor(readonly connection: Connection) {
    const { db } = connection;
    this.resources = new ResourceRepository(db, connection.dialect === 'postgres' ? CHANGE_CHANNEL : undefined);
    this.users = new UserRepository(db);
    this.audit = new AuditRepository(db);
    this.secrets = new SecretRepository(db);
    this.leases = new LeaseRepository(db);
  }

  /** Connects and brings the schema up to date. */
  static async open(options: ConnectOptions): Promise<Store> {
    const connection = connect(options);
    try {
      await migrateToLatest(connection);
    } catch (error) {
      await connection.close();
      throw error;
    }
    return new Store(connection);
  }

  get dialect() {
    return this.connection.dialect;
  }

  /** Database reachable and schema current. */
  async ready(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.connection.db);
      return await isMigrated(this.connection);
    } catch {
      return false;
    }
  }

  /**
   * PostgreSQL: calls `onChange` whenever any server commits a resource write. Returns the function that
   * stops listening. SQLite has one writer, this process, so there is nothing to listen to.
   */
  async listenForChanges(onChange: () => void, onError: (error: unknown) => void): Promise<() => Promise<void>> {
    const pool = this.connection.pgPool;
    if (!pool) return () => Promise.resolve();
    let stopped = false;
    let client: pg.PoolClient | undefined;
    const attach = async (): Promise<void> => {
      try {
        const connected = await pool.connect();
        client = connected;
        connected.on('notification', onChange);
        connected.on('error', (error: Error) => {
          onError(error);
          client?.release(true);
          client = undefined;
          if (!stopped) setTimeout(() => void attach(), 1000).unref();
        });
        await connected.query(`LISTEN ${CHANGE_CHANNEL}`);
        // Anything written while we were not listening is read now.
        onChange();
      } catch (error) {
        onError(error);
        client?.release(true);
        client = undefined;
        if (!stopped) setTimeout(() => void attach(), 1000).unref();
      }
    };
    await attach();
    return async () => {
      stopped = true;
      if (client) {
        await client.query(`UNLISTEN ${CHANGE_CHANNEL}`).catch(() => undefined);
        client.release();
      }
    };
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
