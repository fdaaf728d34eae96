import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { AlertEntities, AlertRecord } from '@gantry/model';
import type { AlertTable, Database } from './schema.ts';
import { AlertThreadGone, AlertWriterThread, type ThreadWrite } from './sqlite-alert-thread.ts';

/** An alert to store: its record without the sequence number and state, which the store gives. */
export type AlertWrite = Omit<AlertRecord, 'seq' | 'state' | 'updatedAt'>;

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
 * objects (no JSON parsed), the stored start (`planAlertWrite` may keep an earlier one) and entities
 * (the alert's own object when it is stored as it is: the usual case, nothing copied).
 */
function writtenAlert(alert: AlertWrite, startsAt: string, seq: number, updatedAt: string): StoredAlert {
  return {
    team: alert.team,
    fingerprint: alert.fingerprint,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt,
    endsAt: alert.endsAt,
    updatedAt,
    generatorURL: alert.generatorURL,
    source: alert.source,
    entities: storedEntities(alert.entities),
    seq,
  };
}

/** A batch the writer's thread committed, as the write's listeners are told of it. */
function writtenByThread(
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
    written.push(writtenAlert(alert, startsAt, seq++, updatedAt));
  });
  if (written.length === 0) return NOTHING_WRITTEN;
  return {
    change: { fromSeq: write.fromSeq, toSeq: seq - 1, teams: [...teams], count: written.length },
    alerts: written,
  };
}

const ENTITY_COLUMNS = ['cluster', 'node', 'namespace', 'application', 'component'] as const;
const ENTITY_LENGTH = 253;

/** The entities as their columns store them: empty ones left out, each cut to the column's length. */
function storedEntities(entities: AlertEntities): AlertEntities {
  let same = true;
  for (const name in entities) {
    const value = entities[name as keyof AlertEntities];
    if (!value || value.length > ENTITY_LENGTH) same = false;
  }
  if (same) return entities;
  const stored: AlertEntities = {};
  for (const name of ENTITY_COLUMNS) {
    const value = entities[name];
    if (value) stored[name] = value.slice(0, ENTITY_LENGTH);
  }
  return stored;
}

/** The columns of a stored alert that a write may change (labels, and so the entities, cannot). */
export interface StoredAlertHead {
  starts_at: string;
  ends_at: string;
  annotations: string;
  generator_url: string;
  source: string;
}

/** What a write changes in a stored alert: its start (kept or moved) and its annotations as stored. */
export interface AlertPlan {
  startsAt: string;
  annotations: string;
}

/**
 * What to write for `alert` given the stored one, or undefined when the write would change nothing but
 * `updated_at` (a resend with the same times, annotations and source: skipped, it takes no sequence number
 * and the dispatcher has nothing to read). A stored alert whose firing interval overlaps the new one keeps
 * its earlier `startsAt`, as Alertmanager merges them. Any change of `endsAt` is written: that is what
 * resolves an alert, and what keeps a resent firing alert from resolving.
 */
export function planAlertWrite(
  alert: AlertWrite,
  stored: StoredAlertHead | undefined,
): AlertPlan | undefined {
  let startsAt = alert.startsAt;
  if (
    stored &&
    alert.startsAt <= stored.ends_at &&
    alert.endsAt >= stored.starts_at &&
    stored.starts_at < alert.startsAt
  )
    startsAt = stored.starts_at;
  const annotations = JSON.stringify(alert.annotations);
  if (
    stored &&
    stored.starts_at === startsAt &&
    stored.ends_at === alert.endsAt &&
    stored.annotations === annotations &&
    stored.generator_url === alert.generatorURL &&
    stored.source === alert.source
  )
    return undefined;
  return { startsAt, annotations };
}

/** The whole row of a planned write (an insert, or PostgreSQL's upsert of every column). */
export function alertRow(alert: AlertWrite, plan: AlertPlan, seq: number, updatedAt: string): AlertTable {
  return {
    team: alert.team,
    fingerprint: alert.fingerprint,
    seq,
    alertname: (alert.labels.alertname ?? '').slice(0, 256),
    labels: JSON.stringify(alert.labels),
    annotations: plan.annotations,
    starts_at: plan.startsAt,
    ends_at: alert.endsAt,
    updated_at: updatedAt,
    generator_url: alert.generatorURL,
    source: alert.source,
    cluster: (alert.entities.cluster ?? '').slice(0, ENTITY_LENGTH),
    node: (alert.entities.node ?? '').slice(0, ENTITY_LENGTH),
    namespace: (alert.entities.namespace ?? '').slice(0, ENTITY_LENGTH),
    application: (alert.entities.application ?? '').slice(0, ENTITY_LENGTH),
    component: (alert.entities.component ?? '').slice(0, ENTITY_LENGTH),
  };
}

/** `planAlertWrite` and `alertRow` together: the row to write, or undefined when nothing changes. */
export function planAlertRow(
  alert: AlertWrite,
  stored: StoredAlertHead | undefined,
  seq: number,
  updatedAt: string,
): AlertTable | undefined {
  const plan = planAlertWrite(alert, stored);
  return plan && alertRow(alert, plan, seq, updatedAt);
}

const COLUMNS = [
  'team',
  'fingerprint',
  'seq',
  'alertname',
  'labels',
  'annotations',
  'starts_at',
  'ends_at',
  'updated_at',
  'generator_url',
  'source',
  'cluster',
  'node',
  'namespace',
  'application',
  'component',
] as const satisfies readonly (keyof AlertTable)[];

interface SqliteStatements {
  seq: Statement<[], { value: number }>;
  setSeq: Statement<[number]>;
  head: Statement<[string, string], StoredAlertHead>;
  insert: Statement<unknown[]>;
  update: Statement<unknown[]>;
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
  #statements: SqliteStatements | undefined;
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

  /** Ends the writer's thread, if it has one. */
  close(): Promise<void> {
    const thread = this.#thread;
    this.#thread = null;
    return thread?.stop() ?? Promise.resolve();
  }

  #write(alerts: readonly AlertWrite[], updatedAt: string): AlertsWritten {
    const s = (this.#statements ??= this.#prepare());
    const run = this.sqlite.transaction((): AlertsWritten => {
      const last = Number(s.seq.get()!.value);
      let seq = last;
      const teams = new Set<string>();
      const written: StoredAlert[] = [];
      for (const alert of alerts) {
        const stored = s.head.get(alert.team, alert.fingerprint);
        const plan = planAlertWrite(alert, stored);
        if (!plan) continue;
        seq++;
        teams.add(alert.team);
        written.push(writtenAlert(alert, plan.startsAt, seq, updatedAt));
        // A stored alert's labels, and so its name and entities, never change: the update leaves them.
        if (stored)
          s.update.run(
            seq,
            plan.startsAt,
            alert.endsAt,
            updatedAt,
            plan.annotations,
            alert.generatorURL,
            alert.source,
            alert.team,
            alert.fingerprint,
          );
        else {
          const row = alertRow(alert, plan, seq, updatedAt);
          s.insert.run(...COLUMNS.map((column) => row[column]));
        }
      }
      if (seq === last) return NOTHING_WRITTEN;
      s.setSeq.run(seq);
      return {
        change: { fromSeq: last + 1, toSeq: seq, teams: [...teams], count: seq - last },
        alerts: written,
      };
    });
    return run.immediate();
  }

  #prepare(): SqliteStatements {
    const db = this.sqlite;
    return {
      seq: db.prepare('select value from alert_seq where id = 1'),
      setSeq: db.prepare('update alert_seq set value = ? where id = 1'),
      head: db.prepare(
        'select starts_at, ends_at, annotations, generator_url, source from alerts where team = ? and fingerprint = ?',
      ),
      insert: db.prepare(
        `insert into alerts (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`,
      ),
      update: db.prepare(
        'update alerts set seq = ?, starts_at = ?, ends_at = ?, updated_at = ?, annotations = ?, generator_url = ?, source = ? where team = ? and fingerprint = ?',
      ),
    };
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
    select a.team, a.fingerprint, a.starts_at, a.ends_at, a.annotations, a.generator_url, a.source
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
    written.push(writtenAlert(alert, row.starts_at, row.seq, updatedAt));
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
        updated_at = excluded.updated_at, annotations = excluded.annotations,
        generator_url = excluded.generator_url, source = excluded.source
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
