import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { Database } from '@gantry/store';

/** What one server tells the others about agents (PostgreSQL NOTIFY; nothing to tell with SQLite). */
export type HubSignal =
  | { type: 'message'; team: string; host: string }
  /** Messages for several hosts at once (a job's dispatch); split to stay under NOTIFY's 8,000 bytes. */
  | { type: 'messages'; team: string; hosts: string[] }
  | { type: 'revoked'; team: string; host: string }
  | { type: 'connected'; team: string; host: string; server: string }
  | { type: 'disconnected'; team: string; host: string; server: string };

export interface HubSignals {
  publish(signal: HubSignal): Promise<void>;
  /** Starts delivering the other servers' signals (and this one's own) to `onSignal`. */
  subscribe(onSignal: (signal: HubSignal) => void, onError: (error: unknown) => void): Promise<void>;
  close(): Promise<void>;
}

/** One server: nobody else to tell. */
export class LocalSignals implements HubSignals {
  publish(): Promise<void> {
    return Promise.resolve();
  }
  subscribe(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const AGENT_CHANNEL = 'gantry_agents';

/** PostgreSQL LISTEN/NOTIFY on `gantry_agents`, on a client of its own that reconnects after a drop. */
export class PostgresSignals implements HubSignals {
  #client: pg.Client | undefined;
  #stopped = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly url: string,
  ) {}

  async publish(signal: HubSignal): Promise<void> {
    await sql`select pg_notify(${AGENT_CHANNEL}, ${JSON.stringify(signal)})`.execute(this.db);
  }

  async subscribe(onSignal: (signal: HubSignal) => void, onError: (error: unknown) => void): Promise<void> {
    const attach = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: this.url });
      this.#client = client;
      client.on('notification', (message) => {
        if (!message.payload) return;
        try {
          onSignal(JSON.parse(message.payload) as HubSignal);
        } catch (error) {
          onError(error);
        }
      });
      client.on('error', (error) => {
        onError(error);
        client.removeAllListeners();
        client.on('error', () => undefined);
        void client.end().catch(() => undefined);
        if (!this.#stopped) {
          this.#retry = setTimeout(() => void attach().catch(onError), 1000);
          this.#retry.unref();
        }
      });
      await client.connect();
      await client.query(`LISTEN ${AGENT_CHANNEL}`);
    };
    await attach();
  }

  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
