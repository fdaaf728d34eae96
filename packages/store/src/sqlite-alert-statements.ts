import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import type { AlertEntities, AlertRecord } from '@gantry/model';
import type { AlertTable } from './schema.ts';

/**
 * The SQLite alert write as prepared statements on one better-sqlite3 connection, and the plan per alert
 * it follows: what the store's own connection runs in process, and what the alert ingest's thread runs on a
 * connection of its own (ADR 0042). Nothing here imports more than better-sqlite3's types, so that the
 * thread loads only this.
 */

/** An alert to store: its record without the sequence number and state, which the store gives. */
export type AlertWrite = Omit<AlertRecord, 'seq' | 'state' | 'updatedAt'>;

/** A batch written by `SqliteAlertStatements`: the first sequence number, and per alert what was stored. */
export interface SqliteWrite {
  fromSeq: number;
  /** Per alert of the batch, in order: the start it was stored with, or null when it was left as it was. */
  starts: (string | null)[];
  /**
   * Per alert of the batch, in order: whether it was inserted (true), updated (false), or left as it was
   * (null, as in `starts`).
   */
  inserted: (boolean | null)[];
  /** Per alert of the batch, in order: its annotations as stored (JSON), or null as in `starts`. */
  annotations: (string | null)[];
  /**
   * Per alert of the batch, in order (journaling only; else false): whether its annotations, generatorURL
   * and source are as this writer's previous write of it left them; null as in `starts`.
   */
  unchanged: (boolean | null)[];
}

export const ENTITY_LENGTH = 253;

const ENTITY_COLUMNS = ['cluster', 'node', 'namespace', 'application', 'component'] as const;

/** The entities as their columns store them: empty ones left out, each cut to the column's length. */
export function storedEntities(entities: AlertEntities): AlertEntities {
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

/** One entry per (team, fingerprint), later ones merged onto earlier ones as a write merges with the store. */
export function foldAlertWrites(alerts: readonly AlertWrite[]): AlertWrite[] {
  const byKey = new Map<string, AlertWrite>();
  for (const alert of alerts) {
    const key = `${alert.team}\u0000${alert.fingerprint}`;
    const known = byKey.get(key);
    const overlaps = known && alert.startsAt <= known.endsAt && alert.endsAt >= known.startsAt;
    byKey.set(
      key,
      overlaps && known.startsAt < alert.startsAt ? { ...alert, startsAt: known.startsAt } : alert,
    );
  }
  return [...byKey.values()];
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

export { COLUMNS as ALERT_COLUMNS };

/** A stored alert's head as a journaling writer knows it, with the sequence number of its last change. */
interface KnownHead extends StoredAlertHead {
  seq: number;
}

/**
 * One journaled change: team, fingerprint, seq, startsAt, endsAt, and annotations, generatorURL and source
 * or null where they are as the alert's change before (nearly always: a resend moves its times only).
 */
type JournalEntry = [string, string, number, string, string, string | null, string | null, string | null];

export interface JournalOptions {
  /** Fold once this many changes wait in the journal (ADR 0042). */
  foldPending: number;
  /** Fold once the oldest change has waited this long (ms). */
  foldAgeMs: number;
  /** Most changes one fold reads (a fold runs while the store's connection is held: it bounds the wait). */
  foldChunk: number;
  /** Most heads kept; past it the journal is folded whole and they are dropped. */
  heads: number;
  /** The clock the fold's age is read against. */
  now(): number;
}

const JOURNAL_DEFAULTS: JournalOptions = {
  foldPending: 100_000,
  foldAgeMs: 3_000,
  foldChunk: 4_000,
  heads: 20_000,
  now: () => Date.now(),
};

/**
 * The alert upsert on SQLite: better-sqlite3 statements prepared once and run directly (no query compiled
 * per batch), one `BEGIN IMMEDIATE` transaction per call. Each alert is planned against its stored head
 * (`planAlertWrite`) and inserted, changed or left alone; only written rows take sequence numbers, so they
 * stay without gaps. The caller makes sure this connection is the only writer while it runs (the store's
 * own connection held: `AlertRepository.writeExclusive`).
 *
 * **Journaling** (ADR 0042; the alert ingest's thread): a change of a stored alert is not written into its
 * row (the row and its four index entries rewritten: most of a write's cost) but appended to
 * `alert_journal`, all changes of a commit in one row; the heads of the alerts written are kept here, so
 * the next resend of the same alert reads nothing. The journal is folded into `alerts` in bounded chunks
 * after a commit once it is old or long enough, each alert's latest change only (a change a later one
 * supersedes is never written), and whole by `foldAll` (any connection) before anyone reads `alerts`. The
 * heads are valid while this connection is the only one that writes alerts: `epoch` (the store's count of
 * its own alert writes, each made after folding the journal whole) drops them when another wrote.
 */
export class SqliteAlertStatements {
  readonly #seq: Statement<[], { value: number }>;
  readonly #setSeq: Statement<[number]>;
  readonly #head: Statement<[string, string], KnownHead>;
  readonly #insert: Statement<unknown[]>;
  readonly #update: Statement<unknown[]>;
  readonly #fold: Statement<unknown[]>;
  readonly #journal: Statement<[number, string, string]>;
  readonly #journalRows: Statement<[number], { id: number; updated_at: string; entries: string }>;
  readonly #journalDelete: Statement<[number]>;
  readonly #write: (alerts: readonly AlertWrite[], updatedAt: string) => SqliteWrite;
  readonly #foldAll: () => number;
  readonly #foldSome: () => void;
  readonly #options: JournalOptions | undefined;
  readonly #heads = new Map<string, KnownHead>();
  /** Journal rows this writer appended and has not folded: id, changes, when. */
  readonly #pending: { id: number; count: number; at: number }[] = [];
  #pendingCount = 0;
  #epoch: number | undefined;

  constructor(db: SqliteDatabase, journal?: Partial<JournalOptions>) {
    this.#options = journal ? { ...JOURNAL_DEFAULTS, ...journal } : undefined;
    this.#seq = db.prepare('select value from alert_seq where id = 1');
    this.#setSeq = db.prepare('update alert_seq set value = ? where id = 1');
    this.#head = db.prepare(
      'select starts_at, ends_at, annotations, generator_url, source, seq from alerts where team = ? and fingerprint = ?',
    );
    this.#insert = db.prepare(
      `insert into alerts (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`,
    );
    this.#update = db.prepare(
      'update alerts set seq = ?, starts_at = ?, ends_at = ?, updated_at = ?, annotations = ?, generator_url = ?, source = ? where team = ? and fingerprint = ?',
    );
    // A fold never moves a row back: a change older than the row (a journal folded twice) is left.
    this.#fold = db.prepare(
      'update alerts set seq = ?, starts_at = ?, ends_at = ?, updated_at = ?, annotations = coalesce(?, annotations), generator_url = coalesce(?, generator_url), source = coalesce(?, source) where team = ? and fingerprint = ? and seq < ?',
    );
    this.#journal = db.prepare('insert into alert_journal (id, updated_at, entries) values (?, ?, ?)');
    this.#journalRows = db.prepare('select id, updated_at, entries from alert_journal order by id limit ?');
    this.#journalDelete = db.prepare('delete from alert_journal where id <= ?');
    const write = db.transaction((alerts: readonly AlertWrite[], updatedAt: string) =>
      this.#run(alerts, updatedAt),
    );
    this.#write = (alerts, updatedAt) => write.immediate(alerts, updatedAt);
    const foldAll = db.transaction(() => this.#foldRows(Number.POSITIVE_INFINITY, false));
    this.#foldAll = () => foldAll.immediate();
    const foldSome = db.transaction(() => this.#foldRows(this.#options!.foldChunk, true));
    this.#foldSome = () => foldSome.immediate();
  }

  /**
   * Writes `alerts` (one per team and fingerprint) in one transaction. `epoch` (journaling only): the
   * store's count of alert writes made on other connections; a new value drops the heads kept here.
   * Afterwards, a journaling writer folds a chunk of the journal when it is due.
   */
  write(alerts: readonly AlertWrite[], updatedAt: string, epoch?: number): SqliteWrite {
    if (this.#options && (epoch !== this.#epoch || this.#epoch === undefined)) {
      // Heads kept from before another connection wrote (or none yet: a thread just started, maybe with a
      // journal a crashed one left) are not trusted: the journal is folded whole and heads read again.
      this.foldAll();
      this.#heads.clear();
      this.#epoch = epoch ?? 0;
    }
    const written = this.#write(alerts, updatedAt);
    const options = this.#options;
    if (options && this.#pending.length > 0) {
      if (this.#heads.size > options.heads) {
        this.foldAll();
        this.#heads.clear();
      } else if (
        this.#pendingCount >= options.foldPending ||
        options.now() - this.#pending[0]!.at >= options.foldAgeMs
      )
        this.#foldSome();
    }
    return written;
  }

  /** Whether changes may wait in the journal (written by this writer and not folded since). */
  get journaling(): boolean {
    return this.#pending.length > 0;
  }

  /** Folds the whole journal into `alerts` (any connection: the store's folds it before reading). */
  foldAll(): number {
    return this.#foldAll();
  }

  #run(alerts: readonly AlertWrite[], updatedAt: string): SqliteWrite {
    const journaling = this.#options !== undefined;
    const last = Number(this.#seq.get()!.value);
    let seq = last;
    const starts: (string | null)[] = [];
    const inserted: (boolean | null)[] = [];
    const annotations: (string | null)[] = [];
    const unchanged: (boolean | null)[] = [];
    const entries: JournalEntry[] = [];
    for (const alert of alerts) {
      const key = journaling ? `${alert.team}\u0000${alert.fingerprint}` : '';
      const head = journaling ? this.#heads.get(key) : undefined;
      const stored = head ?? this.#head.get(alert.team, alert.fingerprint);
      const plan = planAlertWrite(alert, stored);
      if (!plan) {
        starts.push(null);
        inserted.push(null);
        annotations.push(null);
        unchanged.push(null);
        continue;
      }
      seq++;
      starts.push(plan.startsAt);
      inserted.push(!stored);
      annotations.push(plan.annotations);
      unchanged.push(false);
      if (!stored) {
        const row = alertRow(alert, plan, seq, updatedAt);
        this.#insert.run(...COLUMNS.map((column) => row[column]));
      } else if (journaling)
        entries.push([
          alert.team,
          alert.fingerprint,
          seq,
          plan.startsAt,
          alert.endsAt,
          plan.annotations === stored.annotations ? null : plan.annotations,
          alert.generatorURL === stored.generator_url ? null : alert.generatorURL,
          alert.source === stored.source ? null : alert.source,
        ]);
      // A stored alert's labels, and so its name and entities, never change: the update leaves them.
      else
        this.#update.run(
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
      if (!journaling) continue;
      // Whether annotations, generatorURL and source are as this writer's previous write of the alert left
      // them (a resend: nearly always); the caller may then skip sending them on (the ingest's thread).
      unchanged[unchanged.length - 1] =
        head !== undefined &&
        head.annotations === plan.annotations &&
        head.generator_url === alert.generatorURL &&
        head.source === alert.source;
      if (head) {
        head.starts_at = plan.startsAt;
        head.ends_at = alert.endsAt;
        head.annotations = plan.annotations;
        head.generator_url = alert.generatorURL;
        head.source = alert.source;
        head.seq = seq;
      } else
        this.#heads.set(key, {
          starts_at: plan.startsAt,
          ends_at: alert.endsAt,
          annotations: plan.annotations,
          generator_url: alert.generatorURL,
          source: alert.source,
          seq,
        });
    }
    if (entries.length > 0) {
      this.#journal.run(entries[0]![2], updatedAt, JSON.stringify(entries));
      this.#pending.push({ id: entries[0]![2], count: entries.length, at: this.#options!.now() });
      this.#pendingCount += entries.length;
    }
    if (seq > last) this.#setSeq.run(seq);
    return { fromSeq: last + 1, starts, inserted, annotations, unchanged };
  }

  /**
   * Folds the oldest journal rows, at least one and up to `limit` changes, into `alerts`: per alert the
   * latest change among them, unless (`skipSuperseded`, with the heads of this writer) a later change of
   * the same alert waits in a row not folded yet. The rows folded are deleted; returns their changes.
   */
  #foldRows(limit: number, skipSuperseded: boolean): number {
    const rows = this.#journalRows.all(Number.isFinite(limit) ? Math.max(1, Math.ceil(limit / 16)) : -1);
    const latest = new Map<string, { entry: JournalEntry; updatedAt: string }>();
    let count = 0;
    let lastId: number | undefined;
    for (const row of rows) {
      const entries = JSON.parse(row.entries) as JournalEntry[];
      for (const entry of entries) {
        const key = `${entry[0]}\u0000${entry[1]}`;
        // Superseded by a later change this writer made (nearly every entry of a steady resender) and
        // carrying nothing a later one relies on: passed over at once (what it carries from an earlier
        // one, that earlier one carries).
        if (
          skipSuperseded &&
          entry[5] === null &&
          entry[6] === null &&
          entry[7] === null &&
          (this.#heads.get(key)?.seq ?? 0) > entry[2]
        )
          continue;
        const before = latest.get(key)?.entry;
        // What a change left as it was is what the one before it set (or the row, when none is here).
        if (before) {
          entry[5] ??= before[5];
          entry[6] ??= before[6];
          entry[7] ??= before[7];
        }
        latest.set(key, { entry, updatedAt: row.updated_at });
      }
      count += entries.length;
      lastId = Number(row.id);
      if (count >= limit) break;
    }
    if (lastId === undefined) {
      this.#pending.length = 0;
      this.#pendingCount = 0;
      return 0;
    }
    for (const [key, { entry, updatedAt }] of latest) {
      const [team, fingerprint, seq, startsAt, endsAt, annotations, generatorURL, source] = entry;
      // Superseded by a change in a later row: left to that one, unless this one carries a field (a later
      // change says null for it, relying on this one).
      const carries = annotations !== null || generatorURL !== null || source !== null;
      if (skipSuperseded && !carries && (this.#heads.get(key)?.seq ?? 0) > seq) continue;
      this.#fold.run(
        seq,
        startsAt,
        endsAt,
        updatedAt,
        annotations,
        generatorURL,
        source,
        team,
        fingerprint,
        seq,
      );
    }
    this.#journalDelete.run(lastId);
    while (this.#pending.length > 0 && this.#pending[0]!.id <= lastId)
      this.#pendingCount -= this.#pending.shift()!.count;
    if (!Number.isFinite(limit)) {
      this.#pending.length = 0;
      this.#pendingCount = 0;
    }
    return count;
  }
}
