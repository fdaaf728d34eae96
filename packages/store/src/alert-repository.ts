import type { Kysely, Selectable } from 'kysely';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import type { Contention } from './connect.ts';
import type { AlertEntities, AlertSource } from '@gantry/model';
import {
  NOTHING_INGESTED,
  SqliteAlertWriter,
  writeAlertsPostgres,
  type AlertsIngested,
  type AlertsWritten,
  type AlertWrite,
  type StoredAlert,
} from './alert-writes.ts';
import type { AlertTable, Database } from './schema.ts';
import { foldAlertWrites } from './sqlite-alert-statements.ts';

export type { AlertsIngested, AlertsWritten, AlertWrite, SqliteWrite, StoredAlert } from './alert-writes.ts';
export { NOTHING_INGESTED, TeamMap, writtenByThread } from './alert-writes.ts';

/**
 * Hears a committed write: what changed, and the rows written in sequence order (`change.fromSeq` to
 * `change.toSeq`), as `changedSince` would read them back. The rows share their label and annotation
 * objects with the write: a listener must not change them.
 */
export type IngestListener = (change: AlertsIngested, alerts: readonly StoredAlert[]) => void;

export interface AlertRecordQuery {
  /** Team names; absent means every team (admins). */
  teams?: readonly string[];
  state?: 'firing' | 'resolved';
  /** The clock `state` is read against (ISO). */
  now: string;
  entities?: AlertEntities;
  /** Updated at or after (ISO). */
  since?: string;
  /** Resume below this sequence number (newest change first). */
  beforeSeq?: number;
  limit: number;
  /** A filter on labels that SQL cannot express (matchers); rows it refuses do not count towards limit. */
  accept?: (labels: Readonly<Record<string, string>>) => boolean;
  /** Most rows read to fill one page when `accept` refuses many; past it the page ends early with a token. */
  scanLimit?: number;
}

const SCAN_PAGE = 500;

/** The state of a stored alert at `now` (ISO): resolved once endsAt has passed, as in Alertmanager. */
export function alertState(alert: { endsAt: string }, now: string): 'firing' | 'resolved' {
  return alert.endsAt <= now ? 'resolved' : 'firing';
}

/**
 * Alert records, one per (team, fingerprint). Every write takes the next sequence numbers in its
 * transaction (a one-row counter, so commits are in sequence order); `changedSince` reads them in order,
 * and `onIngested` (this process) and the PostgreSQL channel (every server) say when there is more.
 */
export class AlertRepository {
  readonly #listeners = new Set<IngestListener>();
  readonly #sqlite: SqliteAlertWriter | undefined;
  /** Writes not told to the listeners yet, in commit order (see `#tell`). */
  #untold: [AlertsIngested, readonly StoredAlert[]][] = [];
  #telling: NodeJS.Immediate | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    /** PostgreSQL: the channel NOTIFY announces committed writes on; undefined on SQLite. */
    private readonly notifyChannel?: string,
    /** SQLite: the connection under `db`, for the upsert's prepared statements (`SqliteAlertWriter`). */
    sqlite?: SqliteDatabase,
    /** SQLite: who waits for that connection (see `lease`). */
    private readonly contention?: Contention,
  ) {
    this.#sqlite = sqlite ? new SqliteAlertWriter(db, sqlite) : undefined;
  }

  /** Whether writes run off the event loop (SQLite's writer thread, ADR 0038): waiting to group gains nothing. */
  get writesOffThread(): boolean {
    return this.#sqlite?.threaded ?? false;
  }

  /**
   * SQLite on a file: its path and busy timeout, for a thread that writes alerts on a connection of its
   * own through `lease` (the alert ingest's thread, ADR 0042, 0046). Undefined on PostgreSQL and in
   * memory.
   */
  get sqliteFile(): { path: string; busyMs: number } | undefined {
    return this.#sqlite?.file;
  }

  /**
   * Holds the store's connection while `run` runs, for writes made on another connection to the SQLite
   * file (the alert ingest's thread, ADR 0042, 0046): that connection is then the only writer, and no
   * transaction of the store's is open across its commits. Each write is reported through `committed` as
   * it is made, and its rows are told to the listeners as `upsert`'s are: at once, or, when `busy()` says
   * more writes wait, after the event loop's turn (see `#tell`). Whoever starts to wait for the connection
   * meanwhile is told to `onContended`'s listeners: the holder should let it go.
   */
  async lease(
    run: (
      epoch: number,
      committed: (written: AlertsWritten & { journaled: boolean }) => AlertsIngested,
    ) => Promise<void>,
    busy: () => boolean = () => false,
  ): Promise<void> {
    if (!this.#sqlite) throw new Error('lease needs SQLite');
    await this.#sqlite.exclusive((epoch, noted) =>
      run(epoch, (written) => {
        noted(written);
        if (written.change.count > 0) this.#tell(written.change, written.alerts, busy() ? 'later' : 'now');
        return written.change;
      }),
    );
  }

  /** SQLite: calls `listener` whenever someone starts to wait for the store's connection (see `lease`). */
  onContended(listener: () => void): () => void {
    return this.contention?.onWait(listener) ?? (() => undefined);
  }

  /**
   * Tells the listeners of a write, every write in commit order. A write told `later` is told after the
   * event loop's turn: in a storm, the writer answers its requests and hands the ingest's thread its next
   * commit first, so the thread is not idle while the listeners (the dispatcher, correlation) take the
   * rows (ADR 0043). Otherwise a write is told at once (a lone alert reaches the dispatcher before its
   * answer), after any told later that wait.
   */
  #tell(change: AlertsIngested, written: readonly StoredAlert[], when: 'now' | 'later'): void {
    this.#untold.push([change, written]);
    if (when === 'now') this.#tellUntold();
    else this.#telling ??= setImmediate(() => this.#tellUntold());
  }

  #tellUntold(): void {
    if (this.#telling) clearImmediate(this.#telling);
    this.#telling = undefined;
    const untold = this.#untold;
    this.#untold = [];
    for (const [change, written] of untold) for (const listener of this.#listeners) listener(change, written);
  }

  /** Ends what the repository runs beside the store's connection (SQLite: the alert writer's thread). */
  close(): Promise<void> {
    // Writes committed before the close are told while the store is still open.
    if (this.#untold.length > 0) this.#tellUntold();
    return this.#sqlite?.close() ?? Promise.resolve();
  }

  /** Tells `listener` of every ingest this process commits; returns the function that stops it. */
  onIngested(listener: IngestListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Stores a batch in one transaction: all of it or nothing. A stored alert of the same team and
   * fingerprint is replaced, its times merged with the stored ones when the two activity ranges overlap
   * (a repeat of a firing alert; a resolve) as Alertmanager merges them (`mergeAlertTimes`: the earlier
   * start stays, and a later given end or resolve time may). `updatedAt` is the server's clock of the
   * write, which the merge reads. Repeats within the batch fold the same way. An alert stored already with
   * the same times, annotations and source is left as it is (`planAlertRow`): only rows written take
   * sequence numbers, and listeners hear only of writes that changed something.
   */
  async upsert(alerts: readonly AlertWrite[], updatedAt: string): Promise<AlertsIngested> {
    const folded = foldAlertWrites(alerts, updatedAt);
    if (folded.length === 0) return NOTHING_INGESTED;
    const { change, alerts: written } = this.#sqlite
      ? await this.#sqlite.write(folded, updatedAt)
      : await this.db
          .transaction()
          .execute((tx) => writeAlertsPostgres(tx, folded, updatedAt, this.notifyChannel));
    if (change.count > 0) this.#tell(change, written, 'now');
    return change;
  }

  /**
   * SQLite: folds changes that wait in the alert journal (ADR 0042) into `alerts`; every read of `alerts`
   * does this first, here and in the health stream's repository.
   */
  async settle(afterSeq?: number): Promise<void> {
    await this.#sqlite?.settle(afterSeq);
  }

  /** Alerts written after sequence number `seq`, in sequence order, at most `limit`. */
  async changedSince(seq: number, limit: number): Promise<StoredAlert[]> {
    await this.settle(seq);
    const rows = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map(fromRow);
  }

  /** The highest sequence number given so far. */
  async currentSeq(): Promise<number> {
    const row = await this.db
      .selectFrom('alert_seq')
      .select('value')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.value);
  }

  async get(team: string, fingerprint: string): Promise<StoredAlert | undefined> {
    await this.settle();
    const row = await this.db
      .selectFrom('alerts')
      .selectAll()
      .where('team', '=', team)
      .where('fingerprint', '=', fingerprint)
      .executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Alerts by most recent change first. `nextBeforeSeq` is set when there may be more. */
  async query(query: AlertRecordQuery): Promise<{ items: StoredAlert[]; nextBeforeSeq?: number }> {
    if (query.teams?.length === 0) return { items: [] };
    await this.settle();
    const items: StoredAlert[] = [];
    const scanLimit = query.scanLimit ?? 20_000;
    let scanned = 0;
    let below = query.beforeSeq;
    for (;;) {
      const page = query.accept ? Math.min(SCAN_PAGE, scanLimit - scanned) : query.limit + 1;
      let select = this.db.selectFrom('alerts').selectAll();
      if (query.teams) select = select.where('team', 'in', query.teams);
      if (query.state === 'firing') select = select.where('ends_at', '>', query.now);
      if (query.state === 'resolved') select = select.where('ends_at', '<=', query.now);
      for (const [key, value] of Object.entries(query.entities ?? {}))
        if (value !== undefined)
          select = select.where(key as keyof AlertEntities & keyof AlertTable, '=', value);
      if (query.since) select = select.where('updated_at', '>=', query.since);
      if (below !== undefined) select = select.where('seq', '<', below);
      const rows = await select.orderBy('seq', 'desc').limit(page).execute();
      scanned += rows.length;
      for (const row of rows) {
        const alert = fromRow(row);
        below = alert.seq;
        if (query.accept && !query.accept(alert.labels)) continue;
        if (items.length === query.limit) return { items, nextBeforeSeq: items.at(-1)!.seq };
        items.push(alert);
      }
      if (rows.length < page) return { items };
      if (!query.accept) return { items, nextBeforeSeq: items.at(-1)!.seq };
      if (items.length === query.limit) return { items, nextBeforeSeq: items.at(-1)!.seq };
      if (scanned >= scanLimit) return { items, ...(below !== undefined ? { nextBeforeSeq: below } : {}) };
    }
  }

  /** A deleted team's alerts go with it: a team re-created under the name inherits none. */
  async deleteTeam(team: string): Promise<number> {
    const remove = (db: Kysely<Database>) =>
      db.deleteFrom('alerts').where('team', '=', team).executeTakeFirst();
    const result = await (this.#sqlite ? this.#sqlite.changeRows(remove) : remove(this.db));
    return Number(result.numDeletedRows);
  }

  /** Retention: removes alerts that ended before `cutoff` (ISO); returns how many. */
  async deleteEndedBefore(cutoff: string): Promise<number> {
    const remove = (db: Kysely<Database>) =>
      db.deleteFrom('alerts').where('ends_at', '<', cutoff).executeTakeFirst();
    const result = await (this.#sqlite ? this.#sqlite.changeRows(remove) : remove(this.db));
    return Number(result.numDeletedRows);
  }
}

function fromRow(row: Selectable<AlertTable>): StoredAlert {
  const entities: AlertEntities = {};
  if (row.cluster) entities.cluster = row.cluster;
  if (row.node) entities.node = row.node;
  if (row.namespace) entities.namespace = row.namespace;
  if (row.application) entities.application = row.application;
  if (row.component) entities.component = row.component;
  return {
    team: row.team,
    fingerprint: row.fingerprint,
    labels: JSON.parse(row.labels) as Record<string, string>,
    annotations: JSON.parse(row.annotations) as Record<string, string>,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    updatedAt: row.updated_at,
    generatorURL: row.generator_url,
    source: row.source as AlertSource,
    entities,
    seq: Number(row.seq),
  };
}

/** The row mapper, for the health stream's reads (health-stream-repository.ts). */
export { fromRow as alertFromRow };
