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
export type AlertWrite = Omit<AlertRecord, 'seq' | 'state' | 'updatedAt'> & {
  /**
   * Whether `endsAt` was filled in by Gantry (now + the resolve timeout, for an alert posted without one)
   * rather than given: Alertmanager's `Timeout`, which the merge with the stored alert reads
   * (`mergeAlertTimes`). Absent means given.
   */
  endsTimeout?: boolean | undefined;
};

/** A batch written by `SqliteAlertStatements`: the first sequence number, and per alert what was stored. */
export interface SqliteWrite {
  /** The alerts written, one per team and fingerprint (a journaling writer folds what it was given). */
  alerts: readonly AlertWrite[];
  fromSeq: number;
  /** Per alert of the batch, in order: the start it was stored with, or null when it was left as it was. */
  starts: (string | null)[];
  /**
   * Per alert of the batch, in order: the end it was stored with (`mergeAlertTimes` may keep the stored
   * one), or null as in `starts`.
   */
  ends: (string | null)[];
  /**
   * Per alert of the batch, in order: whether it was inserted (true), updated (false), or left as it was
   * (null, as in `starts`).
   */
  inserted: (boolean | null)[];
  /**
   * Per alert of the batch, in order (journaling only; else empty): the caller's slot kept with its head,
   * undefined where no head is kept.
   */
  slots: (AlertSlot | undefined)[];
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

/**
 * One entry per (team, fingerprint), later ones merged onto earlier ones as a write merges with the store
 * (`mergeAlertTimes`, at `now`: the server's clock of the write, ISO), in the order each alert first came.
 */
export function foldAlertWrites(alerts: readonly AlertWrite[], now: string): AlertWrite[] {
  const byKey = new TeamMap<number>();
  const folded: AlertWrite[] = [];
  for (const alert of alerts) {
    const at = byKey.get(alert.team, alert.fingerprint);
    if (at === undefined) {
      byKey.set(alert.team, alert.fingerprint, folded.length);
      folded.push(alert);
    } else folded[at] = mergedWrite(folded[at]!, alert, now);
  }
  return folded;
}

/** A later write of an alert merged onto an earlier one of the same batch, as onto the stored alert. */
function mergedWrite(known: AlertWrite, alert: AlertWrite, now: string): AlertWrite {
  const times = mergeAlertTimes(alert, known, now);
  // The usual case (a resend that replaces the earlier one) keeps the alert's own object.
  if (
    times.startsAt === alert.startsAt &&
    times.endsAt === alert.endsAt &&
    times.endsTimeout === (alert.endsTimeout === true)
  )
    return alert;
  return { ...alert, ...times };
}

/** An alert's activity range, and whether its end is a timeout (absent: given). */
export interface AlertTimes {
  startsAt: string;
  endsAt: string;
  endsTimeout?: boolean | undefined;
}

/**
 * The start, end and timeout flag to store for `alert` when `stored` is stored already, as Alertmanager
 * 0.25 merges a posted alert with the one it holds (`provider/mem.Put`, `types.Alert.Merge`). `now` is the
 * server's clock of the write (ISO: the store compares its times as text, as `alertState` does).
 *
 * The two merge only when their activity ranges overlap, by strict comparisons: an alert that starts
 * where the stored one ended, or later, is a new firing and replaces it as it is. A merge keeps the earlier
 * start. The stored end, when later, stays in two cases: both alerts are resolved (the later resolve time
 * holds), or the new one fires and the stored end was given, not filled in. So when two Prometheus
 * replicas send the same alert with given ends a moment apart, the later end holds whichever of them came
 * last; an end the server filled in holds off no given one. The merged alert's flag is the new alert's,
 * even with the stored end (as in Alertmanager).
 */
export function mergeAlertTimes(
  alert: AlertTimes,
  stored: AlertTimes | undefined,
  now: string,
): Required<AlertTimes> {
  const merged = { startsAt: '', endsAt: '', endsTimeout: false };
  if (stored) mergeTimesInto(merged, alert, stored.startsAt, stored.endsAt, stored.endsTimeout === true, now);
  else mergeTimesInto(merged, alert, undefined, '', false, now);
  return merged;
}

/**
 * `mergeAlertTimes` into `merged`, the stored times given one by one (`storedStarts` undefined: none is
 * stored): the plan of every write runs it, and allocates nothing for it.
 */
function mergeTimesInto(
  merged: Required<AlertTimes>,
  alert: AlertTimes,
  storedStarts: string | undefined,
  storedEnds: string,
  storedTimeout: boolean,
  now: string,
): void {
  merged.startsAt = alert.startsAt;
  merged.endsAt = alert.endsAt;
  merged.endsTimeout = alert.endsTimeout === true;
  const overlaps =
    storedStarts !== undefined &&
    ((alert.endsAt > storedStarts && alert.endsAt < storedEnds) ||
      (alert.startsAt > storedStarts && alert.startsAt < storedEnds));
  if (!overlaps) return;
  if (storedStarts < alert.startsAt) merged.startsAt = storedStarts;
  if (storedEnds > alert.endsAt) {
    const resolved = alert.endsAt <= now;
    if (resolved ? storedEnds <= now : !storedTimeout) merged.endsAt = storedEnds;
  }
}

/** The times `planAlertWrite` merged last (read at once, before the next plan). */
const planned: Required<AlertTimes> = { startsAt: '', endsAt: '', endsTimeout: false };

/**
 * A map by team and fingerprint, a map per team: a lookup hashes the fingerprint alone (16 characters, its
 * hash kept with the string), where one key of both would be a new string to build and hash per alert.
 */
export class TeamMap<V> {
  readonly #teams = new Map<string, Map<string, V>>();
  /** The last team looked up and its map: a batch is nearly always one team's. */
  #team: string | undefined;
  #map: Map<string, V> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(team: string, fingerprint: string): V | undefined {
    return this.#of(team)?.get(fingerprint);
  }

  set(team: string, fingerprint: string, value: V): void {
    let map = this.#of(team);
    if (!map) {
      map = new Map();
      this.#teams.set(team, map);
      this.#team = team;
      this.#map = map;
    }
    const size = map.size;
    map.set(fingerprint, value);
    this.#size += map.size - size;
  }

  clear(): void {
    this.#teams.clear();
    this.#team = undefined;
    this.#map = undefined;
    this.#size = 0;
  }

  #of(team: string): Map<string, V> | undefined {
    if (team === this.#team) return this.#map;
    const map = this.#teams.get(team);
    if (map) {
      this.#team = team;
      this.#map = map;
    }
    return map;
  }
}

/** The columns of a stored alert that a write may change (labels, and so the entities, cannot). */
export interface StoredAlertHead {
  starts_at: string;
  ends_at: string;
  /** 1 when `ends_at` is a timeout (filled in by Gantry), 0 when given. */
  ends_timeout: number;
  annotations: string;
  generator_url: string;
  source: string;
}

/**
 * What a write stores of an alert: its start and end (merged with the stored ones or not), whether that
 * end is a timeout (1) or given (0) as the column holds it, and its annotations as stored.
 */
export interface AlertPlan {
  startsAt: string;
  endsAt: string;
  endsTimeout: 0 | 1;
  annotations: string;
}

/**
 * What to write for `alert` given the stored one, or undefined when the write would change nothing but
 * `updated_at` (a resend with the same times, annotations and source after the merge: skipped, it takes no
 * sequence number and the dispatcher has nothing to read). Its times are merged with the stored ones as
 * Alertmanager merges them (`mergeAlertTimes`, at `now`: the server's clock of the write). Any change of
 * the stored end or its flag is written: that is what resolves an alert, and what keeps a resent firing
 * alert from resolving.
 */
export function planAlertWrite(
  alert: AlertWrite,
  stored: StoredAlertHead | undefined,
  now: string,
  /** `JSON.stringify(alert.annotations)`, when the caller knows it already. */
  annotationsText?: string,
): AlertPlan | undefined {
  const times = planned;
  if (stored) mergeTimesInto(times, alert, stored.starts_at, stored.ends_at, stored.ends_timeout === 1, now);
  else mergeTimesInto(times, alert, undefined, '', false, now);
  const endsTimeout = times.endsTimeout ? 1 : 0;
  const annotations = annotationsText ?? JSON.stringify(alert.annotations);
  if (
    stored &&
    stored.starts_at === times.startsAt &&
    stored.ends_at === times.endsAt &&
    stored.ends_timeout === endsTimeout &&
    stored.annotations === annotations &&
    stored.generator_url === alert.generatorURL &&
    stored.source === alert.source
  )
    return undefined;
  return { startsAt: times.startsAt, endsAt: times.endsAt, endsTimeout, annotations };
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
    ends_at: plan.endsAt,
    ends_timeout: plan.endsTimeout,
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

/**
 * `planAlertWrite` and `alertRow` together: the row to write, or undefined when nothing changes. The
 * write's `updatedAt` is the server's clock the merge reads.
 */
export function planAlertRow(
  alert: AlertWrite,
  stored: StoredAlertHead | undefined,
  seq: number,
  updatedAt: string,
): AlertTable | undefined {
  const plan = planAlertWrite(alert, stored, updatedAt);
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
  'ends_timeout',
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

/**
 * A number a journaling writer's caller keeps with an alert while the writer keeps its head (the ingest's
 * thread: the slot the server knows the alert by, ADR 0048), and the caller's count of its resets: the
 * caller trusts `slot` only under its current `generation`. A new head has -1 for both.
 */
export interface AlertSlot {
  slot: number;
  generation: number;
}

/**
 * A stored alert's head as a journaling writer knows it: the alert's latest change, journaled or stored,
 * with its sequence number and time, and the annotations object its `annotations` are the JSON of (a resend
 * with equal annotations is recognized without writing them out again).
 */
interface KnownHead extends StoredAlertHead, AlertSlot {
  team: string;
  fingerprint: string;
  seq: number;
  updatedAt: string;
  annotationsValue: AlertRecord['annotations'];
  /** Whether its latest change waits in the journal (not folded into `alerts`). */
  journaled: boolean;
  /** The write that last took it (`#onePerAlert`), and its place in that write's alerts. */
  write: number;
  at: number;
}

/** Whether two annotation sets have the same names in the same order and the same values: the same JSON. */
function sameAnnotations(a: AlertRecord['annotations'], b: AlertRecord['annotations']): boolean {
  if (a === b) return true;
  const names = Object.keys(a);
  const others = Object.keys(b);
  if (names.length !== others.length) return false;
  for (let i = 0; i < names.length; i++)
    if (names[i] !== others[i] || a[names[i]!] !== b[names[i]!]) return false;
  return true;
}

/**
 * One journaled change: team, fingerprint, seq, startsAt, endsAt, and annotations, generatorURL and source
 * or null where they are as the alert's change before (nearly always: a resend moves its times only); a
 * compacted row's entries (`#compact`) carry all three, and each its own time (the row's `updated_at`
 * otherwise: null or absent). Last, 1 when endsAt is a timeout, absent when given (the usual case, kept
 * short; entries written before migration 0031 have no flag, and count as given).
 */
type JournalEntry = [
  string,
  string,
  number,
  string,
  string,
  string | null,
  string | null,
  string | null,
  (string | null)?,
  1?,
];

export interface JournalOptions {
  /**
   * Fold once this many changes wait in the journal (ADR 0042); when they are more than twice as many as
   * the alerts they changed, the journal is compacted instead (ADR 0049).
   */
  foldPending: number;
  /** Fold once the oldest change has waited this long (ms). */
  foldAgeMs: number;
  /**
   * Most alerts one fold writes into `alerts` (a fold runs while the store's connection is held: it bounds
   * the wait).
   */
  foldChunk: number;
  /** Most heads kept; past it the journal is folded whole and they are dropped. */
  heads: number;
  /** The clock the fold's age is read against. */
  now(): number;
}

const JOURNAL_DEFAULTS: JournalOptions = {
  foldPending: 100_000,
  foldAgeMs: 3_000,
  foldChunk: 1_000,
  heads: 20_000,
  now: () => Date.now(),
};

/**
 * The alert upsert on SQLite: better-sqlite3 statements prepared once and run directly (no query compiled
 * per batch), one `BEGIN IMMEDIATE` transaction per call. Each alert is planned against its stored head
 * (`planAlertWrite`) and inserted, changed or left alone; only written rows take sequence numbers, so they
 * stay without gaps. The caller makes sure this connection is the only writer while it runs (the store's
 * own connection held: `AlertRepository.lease`).
 *
 * **Journaling** (ADR 0042; the alert ingest's thread): a change of a stored alert is not written into its
 * row (the row and its four index entries rewritten: most of a write's cost) but appended to
 * `alert_journal`, all changes of a commit in one row; the heads of the alerts written are kept here, so
 * the next resend of the same alert reads nothing. Once the journal is old or long enough, the alerts it
 * changed are folded into `alerts` from their heads, a bounded number after each commit (`foldDue`, once
 * the caller answered for the commit; each alert's latest change only: a change a later one supersedes is
 * never written, and the journal is not read back), and the journal rows go once every alert they changed
 * is folded. `foldAll` (any connection) folds the journal whole from its rows before anyone reads
 * `alerts`. The heads are valid while this connection is the only one that writes alerts: `epoch` (the store's count of
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
  readonly #journalRows: Statement<[], { id: number; updated_at: string; entries: string }>;
  readonly #journalDelete: Statement<[number]>;
  readonly #write: (
    alerts: readonly AlertWrite[],
    heads: readonly (KnownHead | undefined)[] | undefined,
    updatedAt: string,
  ) => SqliteWrite;
  readonly #foldAll: () => number;
  readonly #foldSome: () => void;
  readonly #compactAll: () => void;
  readonly #options: JournalOptions | undefined;
  readonly #heads = new TeamMap<KnownHead>();
  /**
   * Heads whose latest change is journaled and not folded into `alerts`: those the fold under way takes
   * (`#folding`), which cover the journal rows up to `#foldTo`, and those changed since it began.
   */
  #folding: KnownHead[] = [];
  /** How many of `#folding` the fold under way has taken. */
  #folded = 0;
  #changed: KnownHead[] = [];
  #foldTo = 0;
  /** Writes made, to tell the heads a write took from those of earlier ones. */
  #writes = 0;
  /** Journal rows this writer appended and has not folded: id, changes, when. */
  readonly #pending: { id: number; count: number; at: number }[] = [];
  #pendingCount = 0;
  #epoch: number | undefined;

  constructor(db: SqliteDatabase, journal?: Partial<JournalOptions>) {
    this.#options = journal ? { ...JOURNAL_DEFAULTS, ...journal } : undefined;
    this.#seq = db.prepare('select value from alert_seq where id = 1');
    this.#setSeq = db.prepare('update alert_seq set value = ? where id = 1');
    this.#head = db.prepare(
      'select starts_at, ends_at, ends_timeout, annotations, generator_url, source, seq from alerts where team = ? and fingerprint = ?',
    );
    this.#insert = db.prepare(
      `insert into alerts (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`,
    );
    this.#update = db.prepare(
      'update alerts set seq = ?, starts_at = ?, ends_at = ?, ends_timeout = ?, updated_at = ?, annotations = ?, generator_url = ?, source = ? where team = ? and fingerprint = ?',
    );
    // A fold never moves a row back: a change older than the row (a journal folded twice) is left.
    this.#fold = db.prepare(
      'update alerts set seq = ?, starts_at = ?, ends_at = ?, ends_timeout = ?, updated_at = ?, annotations = coalesce(?, annotations), generator_url = coalesce(?, generator_url), source = coalesce(?, source) where team = ? and fingerprint = ? and seq < ?',
    );
    this.#journal = db.prepare('insert into alert_journal (id, updated_at, entries) values (?, ?, ?)');
    this.#journalRows = db.prepare('select id, updated_at, entries from alert_journal order by id');
    this.#journalDelete = db.prepare('delete from alert_journal where id <= ?');
    const write = db.transaction(
      (
        alerts: readonly AlertWrite[],
        heads: readonly (KnownHead | undefined)[] | undefined,
        updatedAt: string,
      ) => this.#run(alerts, heads, updatedAt),
    );
    this.#write = (alerts, heads, updatedAt) => write.immediate(alerts, heads, updatedAt);
    const foldAll = db.transaction(() => this.#foldRows());
    this.#foldAll = () => foldAll.immediate();
    const foldSome = db.transaction(() => this.#foldHeads(this.#options!.foldChunk));
    this.#foldSome = () => foldSome.immediate();
    const compact = db.transaction(() => this.#compact());
    this.#compactAll = () => compact.immediate();
  }

  /**
   * Writes `alerts` (one per team and fingerprint; a journaling writer takes several of one alert and folds
   * them as `foldAlertWrites` does) in one transaction. `epoch` (journaling only): the
   * store's count of alert writes made on other connections; a new value drops the heads kept here.
   * A journaling writer folds the journal in `foldDue`, which its caller runs once the write is answered.
   */
  write(alerts: readonly AlertWrite[], updatedAt: string, epoch?: number): SqliteWrite {
    if (this.#options && (epoch !== this.#epoch || this.#epoch === undefined)) {
      // Heads kept from before another connection wrote (or none yet: a thread just started, maybe with a
      // journal a crashed one left) are not trusted: the journal is folded whole and heads read again.
      this.foldAll();
      this.#heads.clear();
      this.#epoch = epoch ?? 0;
    }
    let written: SqliteWrite;
    try {
      if (this.#options) {
        const { folded, heads } = this.#onePerAlert(alerts, updatedAt);
        written = this.#write(folded, heads, updatedAt);
      } else written = this.#write(alerts, undefined, updatedAt);
    } catch (error) {
      // Rolled back, with the heads changed as if it had not been: they are read again, after the journal
      // is folded whole, at the next write.
      if (this.#options) {
        this.#heads.clear();
        this.#dropFold();
        this.#epoch = undefined;
      }
      throw error;
    }
    return written;
  }

  /**
   * Folds a chunk of the journal when it is due (journaling only; ADR 0042, 0044). The caller runs it
   * after it answered for a commit, not before: the commit's requests do not wait for the fold (ADR 0049).
   * A fold SQLite refused is rolled back, and the heads are dropped as after a refused write.
   */
  foldDue(): void {
    const options = this.#options;
    if (!options || this.#pending.length === 0) return;
    try {
      if (this.#heads.size > options.heads) {
        this.foldAll();
        this.#heads.clear();
      } else if (this.#pendingCount >= options.foldPending) {
        // A storm of resends: its changes outnumber the alerts they changed. Rewriting the journal as one
        // row per alert costs a tenth of writing those alerts' rows (ADR 0049).
        const journaled = this.#changed.length + this.#folding.length - this.#folded;
        if (journaled * 2 <= this.#pendingCount) this.#compactAll();
        else this.#foldSome();
      } else if (options.now() - this.#pending[0]!.at >= options.foldAgeMs) this.#foldSome();
    } catch (error) {
      this.#heads.clear();
      this.#dropFold();
      this.#epoch = undefined;
      throw error;
    }
  }

  /** Whether changes may wait in the journal (written by this writer and not folded since). */
  get journaling(): boolean {
    return this.#pending.length > 0;
  }

  /** Folds the whole journal into `alerts` (any connection: the store's folds it before reading). */
  foldAll(): number {
    return this.#foldAll();
  }

  /**
   * `alerts` folded as `foldAlertWrites` does, each with its head if one is kept: one lookup per alert,
   * the head marked with the write that took it (a second write of the alert in the same batch finds it so).
   */
  #onePerAlert(
    alerts: readonly AlertWrite[],
    now: string,
  ): {
    folded: AlertWrite[];
    heads: (KnownHead | undefined)[];
  } {
    const write = ++this.#writes;
    const folded: AlertWrite[] = [];
    const heads: (KnownHead | undefined)[] = [];
    /** Alerts without a head (new ones), by key: a map only when there are some. */
    let fresh: TeamMap<number> | undefined;
    for (const alert of alerts) {
      const head = this.#heads.get(alert.team, alert.fingerprint);
      let at: number | undefined;
      if (head) {
        if (head.write === write) at = head.at;
        else {
          head.write = write;
          head.at = folded.length;
        }
      } else {
        fresh ??= new TeamMap<number>();
        at = fresh.get(alert.team, alert.fingerprint);
        if (at === undefined) fresh.set(alert.team, alert.fingerprint, folded.length);
      }
      if (at !== undefined) folded[at] = mergedWrite(folded[at]!, alert, now);
      else {
        folded.push(alert);
        heads.push(head);
      }
    }
    return { folded, heads };
  }

  #run(
    alerts: readonly AlertWrite[],
    heads: readonly (KnownHead | undefined)[] | undefined,
    updatedAt: string,
  ): SqliteWrite {
    const journaling = this.#options !== undefined;
    const last = Number(this.#seq.get()!.value);
    let seq = last;
    const starts: (string | null)[] = [];
    const ends: (string | null)[] = [];
    const inserted: (boolean | null)[] = [];
    const annotations: (string | null)[] = [];
    const unchanged: (boolean | null)[] = [];
    const slots: (AlertSlot | undefined)[] = [];
    const entries: JournalEntry[] = [];
    for (let i = 0; i < alerts.length; i++) {
      const alert = alerts[i]!;
      const head = heads?.[i];
      const stored = head ?? this.#head.get(alert.team, alert.fingerprint);
      // A resend's annotations are nearly always those of the head: their JSON is the head's.
      const annotationsText =
        head && sameAnnotations(head.annotationsValue, alert.annotations) ? head.annotations : undefined;
      const plan = planAlertWrite(alert, stored, updatedAt, annotationsText);
      if (!plan) {
        starts.push(null);
        ends.push(null);
        inserted.push(null);
        annotations.push(null);
        unchanged.push(null);
        if (journaling) slots.push(head);
        continue;
      }
      seq++;
      starts.push(plan.startsAt);
      ends.push(plan.endsAt);
      inserted.push(!stored);
      annotations.push(plan.annotations);
      unchanged.push(false);
      if (!stored) {
        const row = alertRow(alert, plan, seq, updatedAt);
        this.#insert.run(...COLUMNS.map((column) => row[column]));
      } else if (journaling) {
        const entry: JournalEntry = [
          alert.team,
          alert.fingerprint,
          seq,
          plan.startsAt,
          plan.endsAt,
          plan.annotations === stored.annotations ? null : plan.annotations,
          alert.generatorURL === stored.generator_url ? null : alert.generatorURL,
          alert.source === stored.source ? null : alert.source,
        ];
        // The time is the row's (null); the flag only when it is set.
        if (plan.endsTimeout === 1) entry.push(null, 1);
        entries.push(entry);
      }
      // A stored alert's labels, and so its name and entities, never change: the update leaves them.
      else
        this.#update.run(
          seq,
          plan.startsAt,
          plan.endsAt,
          plan.endsTimeout,
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
      let known = head;
      if (known) {
        // Only what changed is replaced: a head lives long, and a new value stored in it outlives the
        // scavenge (copied, then promoted); a resend's equal values are garbage young (ADR 0048).
        if (known.starts_at !== plan.startsAt) known.starts_at = plan.startsAt;
        known.ends_at = plan.endsAt;
        known.ends_timeout = plan.endsTimeout;
        if (annotationsText === undefined) {
          known.annotations = plan.annotations;
          known.annotationsValue = alert.annotations;
        }
        if (known.generator_url !== alert.generatorURL) known.generator_url = alert.generatorURL;
        if (known.source !== alert.source) known.source = alert.source;
        known.seq = seq;
        known.updatedAt = updatedAt;
      } else {
        known = {
          team: alert.team,
          fingerprint: alert.fingerprint,
          starts_at: plan.startsAt,
          ends_at: plan.endsAt,
          ends_timeout: plan.endsTimeout,
          annotations: plan.annotations,
          annotationsValue: alert.annotations,
          generator_url: alert.generatorURL,
          source: alert.source,
          seq,
          updatedAt,
          journaled: false,
          write: 0,
          at: 0,
          slot: -1,
          generation: -1,
        };
        this.#heads.set(alert.team, alert.fingerprint, known);
      }
      slots.push(known);
      // Journaled (an insert went to its row): to be folded, once.
      if (stored && !known.journaled) {
        known.journaled = true;
        this.#changed.push(known);
      }
    }
    if (entries.length > 0) {
      this.#journal.run(entries[0]![2], updatedAt, JSON.stringify(entries));
      this.#pending.push({ id: entries[0]![2], count: entries.length, at: this.#options!.now() });
      this.#pendingCount += entries.length;
    }
    if (seq > last) this.#setSeq.run(seq);
    return { alerts, fromSeq: last + 1, starts, ends, inserted, annotations, unchanged, slots };
  }

  /**
   * Folds up to `limit` alerts from their heads into `alerts` (their latest change: what the journal says of
   * them, without reading it back). A fold takes the heads changed when it began, over as many calls as
   * it needs; once they are all folded, every journal row written before it began is covered, and those
   * rows are deleted (a head changed again since is folded with its latest change, and taken again by the
   * next fold).
   */
  #foldHeads(limit: number): void {
    if (this.#folded === this.#folding.length) {
      this.#folding = this.#changed;
      this.#folded = 0;
      this.#changed = [];
      this.#foldTo = this.#pending.at(-1)?.id ?? 0;
    }
    const end = Math.min(this.#folding.length, this.#folded + limit);
    while (this.#folded < end) {
      const head = this.#folding[this.#folded++]!;
      // A head changed again since the fold began is folded with its latest change, here.
      head.journaled = false;
      this.#fold.run(
        head.seq,
        head.starts_at,
        head.ends_at,
        head.ends_timeout,
        head.updatedAt,
        head.annotations,
        head.generator_url,
        head.source,
        head.team,
        head.fingerprint,
        head.seq,
      );
    }
    if (this.#folded < this.#folding.length) return;
    this.#folding = [];
    this.#folded = 0;
    this.#journalDelete.run(this.#foldTo);
    while (this.#pending.length > 0 && this.#pending[0]!.id <= this.#foldTo)
      this.#pendingCount -= this.#pending.shift()!.count;
  }

  /**
   * Rewrites the journal as one row: the latest change of every alert whose change waits in it, whole (no
   * field left to an earlier change) and with its own time, under the id of the last row; the rows before
   * go. Nothing is written into `alerts`: a reader folds the journal first, as ever (`foldAll`), and a fold
   * due by age writes the alerts from their heads. A fold under way starts again, with every alert whose
   * change waits.
   */
  #compact(): void {
    const waiting = [...this.#folding.slice(this.#folded), ...this.#changed];
    const id = this.#pending.at(-1)!.id;
    this.#journalDelete.run(id);
    if (waiting.length > 0) {
      const entries: JournalEntry[] = waiting.map((head) => {
        const entry: JournalEntry = [
          head.team,
          head.fingerprint,
          head.seq,
          head.starts_at,
          head.ends_at,
          head.annotations,
          head.generator_url,
          head.source,
          head.updatedAt,
        ];
        if (head.ends_timeout === 1) entry.push(1);
        return entry;
      });
      this.#journal.run(id, waiting.at(-1)!.updatedAt, JSON.stringify(entries));
    }
    this.#pending.length = 0;
    if (waiting.length > 0) this.#pending.push({ id, count: waiting.length, at: this.#options!.now() });
    this.#pendingCount = waiting.length;
    this.#folding = [];
    this.#folded = 0;
    this.#changed = waiting;
  }

  /**
   * Folds the whole journal into `alerts` from its rows (any connection: the store's, a writer that just
   * started after a crash): per alert its latest change, a change's null fields taken from the one before
   * it. The rows are deleted.
   */
  #foldRows(): number {
    const rows = this.#journalRows.all();
    const latest = new TeamMap<{ entry: JournalEntry; updatedAt: string }>();
    const order: { entry: JournalEntry; updatedAt: string }[] = [];
    let count = 0;
    let lastId: number | undefined;
    for (const row of rows) {
      const entries = JSON.parse(row.entries) as JournalEntry[];
      for (const entry of entries) {
        const before = latest.get(entry[0], entry[1]);
        if (before) {
          // What a change left as it was is what the one before it set (or the row, when none is here).
          entry[5] ??= before.entry[5];
          entry[6] ??= before.entry[6];
          entry[7] ??= before.entry[7];
          before.entry = entry;
          before.updatedAt = entry[8] ?? row.updated_at;
        } else {
          const change = { entry, updatedAt: entry[8] ?? row.updated_at };
          latest.set(entry[0], entry[1], change);
          order.push(change);
        }
      }
      count += entries.length;
      lastId = Number(row.id);
    }
    for (const { entry, updatedAt } of order) {
      const [team, fingerprint, seq, startsAt, endsAt, annotations, generatorURL, source, , timeout] = entry;
      this.#fold.run(
        seq,
        startsAt,
        endsAt,
        // The flag is the change's own, never the one before's; absent (given, or written before it was).
        timeout === 1 ? 1 : 0,
        updatedAt,
        annotations,
        generatorURL,
        source,
        team,
        fingerprint,
        seq,
      );
    }
    if (lastId !== undefined) this.#journalDelete.run(lastId);
    this.#pending.length = 0;
    this.#pendingCount = 0;
    this.#dropFold();
    return count;
  }

  /** Forgets the heads waiting to be folded (the journal was folded whole, or the heads are dropped). */
  #dropFold(): void {
    for (const head of this.#folding) head.journaled = false;
    for (const head of this.#changed) head.journaled = false;
    this.#folding = [];
    this.#folded = 0;
    this.#changed = [];
  }
}
