import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { AlertRecord } from '@gantry/model';
import type { AlertTable, Database } from './schema.ts';
import { AlertThreadGone, AlertWriterThread, type ThreadWrite } from './sqlite-alert-thread.ts';
import {
  ALERT_COLUMNS as COLUMNS,
  planAlertRow,
  SqliteAlertStatements,
  storedEntities,
  type AlertWrite,
  type StoredAlertHead,
} from './sqlite-alert-statements.ts';

export {
  alertRow,
  mergeAlertTimes,
  planAlertRow,
  planAlertWrite,
  SqliteAlertStatements,
  TeamMap,
  type AlertPlan,
  type AlertTimes,
  type AlertWrite,
  type SqliteWrite,
  type StoredAlertHead,
} from './sqlite-alert-statements.ts';

/** What one committed ingest changed: sequence numbers `fromSeq..toSeq`, in the teams listed. */
export interface AlertsIngested {
  fromSeq: number;
  toSeq: number;
  teams: readonly string[];
  /** Rows written; 0 (and `fromSeq` = `toSeq` = 0) when every alert was stored already as it is. */
  count: number;
}

/** Nothing written: every alert of the batch was stored already with the same content. */
export const NOTHING_INGESTED: AlertsIngested = { fromSeq: 0, toSeq: 0, teams: [], count: 0 };

/** A stored alert; `state` is read against a clock by whoever shows it (`alertState`). */
export type StoredAlert = Omit<AlertRecord, 'state'>;

/** A committed write: what changed, and the rows written in sequence order (`fromSeq..toSeq`). */
export interface AlertsWritten {
  change: AlertsIngested;
  alerts: readonly StoredAlert[];
}

const NOTHING_WRITTEN: AlertsWritten = { change: NOTHING_INGESTED, alerts: [] };

/**
 * A written row as `changedSince` would read it back, from the write itself: the same label and annotation
 * objects (no JSON parsed), the stored start and end (`planAlertWrite` may keep the stored ones) and
 * entities (the alert's own object when it is stored as it is: the usual case, nothing copied).
 */
function writtenAlert(
  alert: AlertWrite,
  startsAt: string,
  endsAt: string,
  seq: number,
  updatedAt: string,
): StoredAlert {
  return {
    team: alert.team,
    fingerprint: alert.fingerprint,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt,
    endsAt,
    updatedAt,
    generatorURL: alert.generatorURL,
    source: alert.source,
    entities: storedEntities(alert.entities),
    seq,
  };
}

/**
 * A batch written on another connection (`SqliteAlertStatements`: the writer's thread, the ingest's
 * thread), as the write's listeners are told of it.
 */
export function writtenByThread(
  alerts: readonly AlertWrite[],
  updatedAt: string,
  write: ThreadWrite,
): AlertsWritten {
  const teams = new Set<string>();
  const written: StoredAlert[] = [];
  let seq = write.fromSeq;
  alerts.forEach((alert, i) => {
    const startsAt = write.starts[i];
    if (startsAt === null || startsAt === undefined) return;
    teams.add(alert.team);
    written.push(writtenAlert(alert, startsAt, write.ends[i]!, seq++, updatedAt));
  });
  if (written.length === 0) return NOTHING_WRITTEN;
  return {
    change: { fromSeq: write.fromSeq, toSeq: seq - 1, teams: [...teams], count: written.length },
    alerts: written,
  };
}

/**
 * The alert upsert on SQLite: better-sqlite3 statements prepared once and run directly (no query
 * compiled per batch), one `BEGIN IMMEDIATE` transaction per call. Each alert is read by its primary key
 * and then inserted, updated or left alone (`planAlertWrite`), and only written rows take sequence
 * numbers, so they stay without gaps. It runs inside `db.connection()`, which holds Kysely's lock on the
 * one connection: no Kysely transaction is open on it meanwhile, so these writes never land inside
 * another caller's transaction.
 *
 * On a database file the statements run in a worker thread on a connection of its own (ADR 0038:
 * `AlertWriterThread`), still inside `db.connection()`: the store's connection is held, so the thread's
 * connection is the only writer while it writes and no transaction of the store's can have its snapshot
 * overtaken by the thread's commit, while the event loop goes on parsing, checking and answering other
 * requests. In memory, with `thread: false`, or once the thread has ended, they run here as before.
 */
export class SqliteAlertWriter {
  #statements: SqliteAlertStatements | undefined;
  /** Whether changes may wait in `alert_journal` (ADR 0042): unknown at open, so true. */
  #journal = true;
  /** No change in the journal has a sequence number above this (unknown at open). */
  #journalTo = Number.POSITIVE_INFINITY;
  /** Alert writes made on this connection (and the writer's thread): a journaling writer's heads go stale. */
  #epoch = 0;
  /** Started at the first write (a store opened for anything else never starts it); null: none. */
  #thread: AlertWriterThread | undefined | null;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlite: SqliteDatabase,
    options: { thread?: boolean } = {},
  ) {
    if (options.thread === false || sqlite.memory || sqlite.name === '') this.#thread = null;
  }

  /** Whether writes go to the thread (or will, at the first write). */
  get threaded(): boolean {
    return this.#thread !== null && this.#thread?.gone !== true;
  }

  write(alerts: readonly AlertWrite[], updatedAt: string): Promise<AlertsWritten> {
    return this.db.connection().execute(async () => {
      this.#settleHere();
      this.#epoch++;
      const thread = (this.#thread ??= new AlertWriterThread(
        this.sqlite.name,
        Number(this.sqlite.pragma('busy_timeout', { simple: true })),
      ));
      if (thread && !thread.gone) {
        try {
          return writtenByThread(alerts, updatedAt, await thread.write(alerts, updatedAt));
        } catch (error) {
          if (!(error instanceof AlertThreadGone)) throw error;
          // The thread ended: this batch and the next ones here. A batch it may have committed before it
          // ended is written again, which stores nothing new (an unchanged resend takes no number).
        }
      }
      return this.#write(alerts, updatedAt);
    });
  }

  /**
   * Runs `run` while the store's connection is held (Kysely's lock): writes on another connection of the
   * same file (the alert ingest's thread, ADR 0042, 0046) are then the only ones, and no transaction of the
   * store's is open across their commits. `run` is given the count of alert writes made here (its heads of
   * stored alerts are stale when it moved), and reports each write through `noted`, which says whether
   * changes now wait in the journal.
   */
  exclusive(
    run: (epoch: number, noted: (written: AlertsWritten & { journaled: boolean }) => void) => Promise<void>,
  ): Promise<void> {
    return this.db.connection().execute(async () => {
      await run(this.#epoch, (written) => {
        if (!written.journaled) return;
        this.#journal = true;
        if (written.change.count > 0)
          this.#journalTo = Number.isFinite(this.#journalTo)
            ? Math.max(this.#journalTo, written.change.toSeq)
            : written.change.toSeq;
      });
    });
  }

  /**
   * Folds what waits in the journal into `alerts` (ADR 0042), so that a read of `alerts` sees all of it;
   * with `afterSeq`, only if a change above that sequence number may wait (a reader of changes after it,
   * the dispatcher that took every write as it was made, has nothing to wait for).
   */
  async settle(afterSeq?: number): Promise<void> {
    if (!this.#journal || (afterSeq !== undefined && this.#journalTo <= afterSeq)) return;
    await this.db.connection().execute(async () => this.#settleHere());
  }

  /**
   * Runs `change` (a delete of alert rows, on the connection it is given) after folding the journal, as a
   * write of this connection: a journaling writer's heads are dropped.
   */
  changeRows<T>(change: (connection: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (connection) => {
      this.#settleHere();
      this.#epoch++;
      return change(connection);
    });
  }

  /** `settle` while the connection is held already. */
  #settleHere(): void {
    if (!this.#journal) return;
    this.#statements ??= new SqliteAlertStatements(this.sqlite);
    this.#statements.foldAll();
    this.#journal = false;
    this.#journalTo = 0;
  }

  /** The database file and the connection's busy timeout, for a connection of another thread. */
  get file(): { path: string; busyMs: number } | undefined {
    if (this.sqlite.memory || this.sqlite.name === '') return undefined;
    return { path: this.sqlite.name, busyMs: Number(this.sqlite.pragma('busy_timeout', { simple: true })) };
  }

  /** Ends the writer's thread, if it has one. */
  close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = null;
    return thread?.stop() ?? Promise.resolve();
  }

  #write(alerts: readonly AlertWrite[], updatedAt: string): AlertsWritten {
    this.#statements ??= new SqliteAlertStatements(this.sqlite);
    return writtenByThread(alerts, updatedAt, this.#statements.write(alerts, updatedAt));
  }
}

const PG_TYPES: Record<(typeof COLUMNS)[number], string> = {
  team: 'varchar',
  fingerprint: 'varchar',
  seq: 'bigint',
  alertname: 'varchar',
  labels: 'text',
  annotations: 'text',
  starts_at: 'varchar',
  ends_at: 'varchar',
  ends_timeout: 'integer',
  updated_at: 'varchar',
  generator_url: 'text',
  source: 'varchar',
  cluster: 'varchar',
  node: 'varchar',
  namespace: 'varchar',
  application: 'varchar',
  component: 'varchar',
};

/**
 * The alert upsert on PostgreSQL, in the caller's transaction, in a fixed number of round trips whatever
 * the number of alerts: lock the sequence counter row (`for update`: it orders all alert writers, on every
 * server, so commits come in sequence order), read the stored alerts of the batch in one statement, then
 * one statement that writes the rows that change (`INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
 * UPDATE`, one array parameter per column, so its text is the same for any batch), moves the counter and
 * notifies. With BEGIN and COMMIT: five round trips per group commit.
 */
export async function writeAlertsPostgres(
  tx: Transaction<Database>,
  alerts: readonly AlertWrite[],
  updatedAt: string,
  notifyChannel: string | undefined,
): Promise<AlertsWritten> {
  const counter = await sql<{ value: number }>`select value from alert_seq where id = 1 for update`.execute(
    tx,
  );
  const last = Number(counter.rows[0]!.value);
  const stored = await sql<StoredAlertHead & { team: string; fingerprint: string }>`
    select a.team, a.fingerprint, a.starts_at, a.ends_at, a.ends_timeout, a.annotations, a.generator_url,
      a.source
    from alerts a
    join unnest(${alerts.map((a) => a.team)}::varchar[], ${alerts.map((a) => a.fingerprint)}::varchar[])
      as k(team, fingerprint) on a.team = k.team and a.fingerprint = k.fingerprint`.execute(tx);
  const byKey = new Map(stored.rows.map((row) => [`${row.team}\u0000${row.fingerprint}`, row]));
  const rows: AlertTable[] = [];
  const written: StoredAlert[] = [];
  for (const alert of alerts) {
    const row = planAlertRow(
      alert,
      byKey.get(`${alert.team}\u0000${alert.fingerprint}`),
      last + rows.length + 1,
      updatedAt,
    );
    if (!row) continue;
    rows.push(row);
    written.push(writtenAlert(alert, row.starts_at, row.ends_at, row.seq, updatedAt));
  }
  if (rows.length === 0) return NOTHING_WRITTEN;
  const arrays = COLUMNS.map(
    (column) => sql`${rows.map((row) => row[column])}::${sql.raw(PG_TYPES[column])}[]`,
  );
  const toSeq = last + rows.length;
  // The rows, the counter and the wake-up of other servers in one statement (data-modifying CTEs run
  // whether or not the outer query reads them): one round trip.
  const notify = notifyChannel ? sql`pg_notify(${notifyChannel}, ${String(toSeq)})` : sql`null`;
  await sql`
    with written as (
      insert into alerts (${sql.raw(COLUMNS.join(', '))})
      select * from unnest(${sql.join(arrays)})
      on conflict (team, fingerprint) do update set
        seq = excluded.seq, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
        ends_timeout = excluded.ends_timeout, updated_at = excluded.updated_at,
        annotations = excluded.annotations, generator_url = excluded.generator_url, source = excluded.source
    ), counted as (
      update alert_seq set value = ${toSeq} where id = 1
    )
    select ${notify}`.execute(tx);
  return {
    change: {
      fromSeq: last + 1,
      toSeq,
      teams: [...new Set(rows.map((row) => row.team))],
      count: rows.length,
    },
    alerts: written,
  };
}
