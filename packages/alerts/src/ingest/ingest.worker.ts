// The alert ingest's thread (ADR 0042, 0046): takes the bytes of `POST /api/v2/alerts` as they came, parses
// and checks them, normalizes, fingerprints and binds every alert (`prepare`), and writes the batches ready
// in one transaction on a SQLite connection of its own while the server leases it the store's connection
// (`AlertRepository.lease`). It imports only pure modules and better-sqlite3.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { InputError } from '@gantry/model/errors';
import { parseJsonBody } from '@gantry/model/json-body';
import {
  SqliteAlertStatements,
  storedEntities,
  type AlertWrite,
} from '@gantry/store/sqlite-alert-statements';
import { postableProblem, asInboundAlerts } from './postable.ts';
import { prepareAlerts } from './prepare.ts';
import { ROW_FIELDS } from './ingest-thread-wire.ts';
import type {
  BatchOutcome,
  CommitReply,
  IngestThreadReply,
  IngestThreadRequest,
} from './ingest-thread-wire.ts';

const decoder = new TextDecoder();

/**
 * Alerts ready past which a commit is made at once, though more bodies wait to be prepared (they would
 * join it): its requests wait for it. Three of Prometheus' batches of 64 (ADR 0048): against one, a commit's
 * own cost (BEGIN, COMMIT, the answer to the server, the listeners' turn) is shared by up to three, 2-4%
 * less server CPU per alert and a lower p99 in `bench/alerts-ingest.mjs` at the same rate; from six (or no
 * bound) the first requests wait too long, and the rate falls.
 */
const GROUP_ALERTS = 192;

/** A batch held until it is committed or discarded: its writes, the server's clock when it came, its outcome. */
interface Held {
  writes: AlertWrite[];
  now: number;
  outcome: BatchOutcome;
}

function start(port: NonNullable<typeof parentPort>, path: string, busyMs: number, keptAlerts: number): void {
  const db = new Database(path);
  db.pragma(`busy_timeout = ${busyMs}`);
  // Checkpoints are the checkpointer's (sqlite-checkpointer.ts), never a commit's.
  db.pragma('wal_autocheckpoint = 0');
  // Journaling (ADR 0042): changes of stored alerts go to alert_journal, folded in the background.
  const statements = new SqliteAlertStatements(db, {});
  /** Batches by id, until committed or discarded. */
  const held = new Map<number, Held>();
  /** The batches ready to commit, in the order they became ready, and their alerts. */
  let ready: number[] = [];
  let readyAlerts = 0;
  /** The lease held: the server holds the store's connection until this thread releases it (ADR 0046). */
  let lease: { id: number; epoch: number } | undefined;
  /**
   * The slots of the alerts whose labels the server has from this thread (it keeps them; ADR 0042, 0048):
   * sent once, then the slot alone. Each is kept with its alert's head in `statements` (ADR 0049), valid
   * under the current `generation`: past `keptAlerts` slots given out, they are all dropped (a new
   * generation), and the server told to drop its own. An alert whose head was dropped takes a new slot.
   */
  let generation = 0;
  let nextSlot = 0;
  const reply = (message: IngestThreadReply) => port.postMessage(message);
  /** Bodies to prepare, one per turn of the thread's event loop, so that a lease or its end is read in between. */
  const waiting: Extract<IngestThreadRequest, { type: 'prepare' }>[] = [];
  const prepareNext = () => {
    const message = waiting.shift();
    if (message) prepare(message);
    if (waiting.length > 0) setImmediate(prepareNext);
    commitIfDue();
  };
  const makeReady = (id: number) => {
    const batch = held.get(id);
    if (!batch) return;
    ready.push(id);
    readyAlerts += batch.writes.length;
  };

  port.on('message', (message: IngestThreadRequest | 'stop') => {
    if (message === 'stop') {
      db.close();
      port.postMessage({ stopped: true });
      return;
    }
    switch (message.type) {
      case 'prepare':
        waiting.push(message);
        if (waiting.length === 1) setImmediate(prepareNext);
        return;
      case 'stage': {
        const writes = JSON.parse(decoder.decode(message.bytes)) as AlertWrite[];
        held.set(message.id, {
          writes,
          now: message.now,
          outcome: { id: message.id, count: writes.length, normalized: [] },
        });
        makeReady(message.id);
        commitIfDue();
        return;
      }
      case 'approve':
        for (const id of message.batches) makeReady(id);
        commitIfDue();
        return;
      case 'grant':
        lease = { id: message.id, epoch: message.epoch };
        commitIfDue();
        return;
      case 'release':
        if (lease?.id === message.id) release();
        return;
      case 'discard':
        for (const id of message.batches) held.delete(id);
        return;
    }
  });

  /**
   * Under a lease, commits what is ready once no body waits to be prepared (they join the commit) or
   * enough is ready.
   */
  function commitIfDue(): void {
    if (!lease || ready.length === 0 || (waiting.length > 0 && readyAlerts < GROUP_ALERTS)) return;
    const batches = ready;
    ready = [];
    readyAlerts = 0;
    reply({ type: 'committed', ...commit(lease.id, batches, lease.epoch), released: false });
    // After the answer, still under the lease (a release is read after this turn): the requests of the
    // commit do not wait for the fold (ADR 0049).
    try {
      statements.foldDue();
    } catch {
      // Rolled back, the heads dropped: the next commit folds the journal whole and reads them again.
    }
  }

  /** Ends the lease at the server's request: the batches ready wait for the next one. */
  function release(): void {
    if (!lease) return;
    const { id } = lease;
    lease = undefined;
    reply({
      type: 'committed',
      id,
      released: true,
      committed: [],
      failed: [],
      updatedAt: '',
      fromSeq: 0,
      rows: [],
      reset: false,
      journaled: statements.journaling,
    });
  }

  /** Checks a body and holds its batch: ready at once when bound to approved teams only. */
  function prepare(message: Extract<IngestThreadRequest, { type: 'prepare' }>): void {
    const { id } = message;
    const parsed = parseJsonBody(message.bytes, { depth: false });
    if (parsed instanceof InputError) {
      reply({
        type: 'prepared',
        id,
        ok: false,
        kind: 'malformed',
        message: parsed.message,
        code: parsed.code,
        details: [...parsed.details],
      });
      return;
    }
    const problem = postableProblem(parsed.value);
    if (problem) {
      reply({
        type: 'prepared',
        id,
        ok: false,
        kind: 'malformed',
        message: `body${problem.path} ${problem.message}`,
        details: [problem],
      });
      return;
    }
    const outcome = prepareAlerts(asInboundAlerts(parsed.value), message.options);
    if (!outcome.ok) {
      reply({
        type: 'prepared',
        id,
        ok: false,
        kind: 'refused',
        details: outcome.details,
        reasons: outcome.reasons,
        total: (parsed.value as unknown[]).length,
      });
      return;
    }
    const result = { id, count: outcome.writes.length, normalized: outcome.normalized };
    held.set(id, { writes: outcome.writes, now: message.options.now, outcome: result });
    if (outcome.teams.every((team) => message.approved.includes(team))) makeReady(id);
    else reply({ type: 'prepared', ok: true, teams: outcome.teams, ...result });
  }

  /**
   * Writes the batches in one transaction; if SQLite refuses it, each batch alone (one request must not
   * fail another), those refused again reported and dropped. Successive commits take successive sequence
   * numbers (the store's connection is held), so their rows go as one run.
   */
  function commit(id: number, batches: number[], epoch: number): Omit<CommitReply, 'released'> {
    let now = 0;
    for (const batch of batches) now = Math.max(now, held.get(batch)?.now ?? 0);
    const answer: Omit<CommitReply, 'released'> = {
      id,
      committed: [],
      failed: [],
      updatedAt: new Date(now).toISOString(),
      fromSeq: 0,
      rows: [],
      reset: false,
      journaled: statements.journaling,
    };
    if (batches.length === 0) return answer;
    // The slots given out before, if this commit could pass their bound: the server drops them too, before
    // it reads any row of the answer.
    let count = 0;
    for (const batch of batches) count += held.get(batch)?.writes.length ?? 0;
    if (nextSlot + count > keptAlerts) {
      generation++;
      nextSlot = 0;
      answer.reset = true;
    }
    const attempt = (group: number[]): boolean => {
      try {
        write(group, epoch, answer);
        return true;
      } catch (error) {
        if (group.length > 1) return false;
        answer.failed.push({
          id: group[0]!,
          message: error instanceof Error ? error.message : String(error),
          ...(typeof (error as { code?: unknown })?.code === 'string'
            ? { code: (error as { code: string }).code }
            : {}),
        });
        held.delete(group[0]!);
        return true;
      }
    };
    if (!attempt(batches)) for (const batch of batches) attempt([batch]);
    answer.journaled = statements.journaling;
    return answer;
  }

  /** One transaction of `batches`, its rows and outcomes added to `answer`. */
  function write(batches: number[], epoch: number, answer: Omit<CommitReply, 'released'>): void {
    const writes: AlertWrite[] = [];
    for (const batch of batches) for (const alert of held.get(batch)?.writes ?? []) writes.push(alert);
    // One per alert: the journaling writer folds several writes of one alert (ADR 0049).
    const written = statements.write(writes, answer.updatedAt, epoch);
    const { alerts } = written;
    for (const batch of batches) {
      const one = held.get(batch);
      if (one) answer.committed.push(one.outcome);
      held.delete(batch);
    }
    let rows = 0;
    // Flat, `ROW_FIELDS` per row: one array to clone for the reply rather than one per row.
    alerts.forEach((alert, i) => {
      const startsAt = written.starts[i];
      if (startsAt === null || startsAt === undefined) return;
      // The end stored, which the merge with the stored alert may have kept: not always the alert's.
      const endsAt = written.ends[i]!;
      rows++;
      const kept = written.slots[i];
      const full = kept === undefined || kept.generation !== generation;
      const slot = full ? nextSlot++ : kept.slot;
      if (full && kept) {
        kept.slot = slot;
        kept.generation = generation;
      }
      // The server keeps what it was sent of the alert: unchanged fields go as null (ADR 0042).
      const same = !full && written.unchanged[i] === true;
      answer.rows.push(
        slot,
        full ? alert.team : null,
        full ? alert.fingerprint : null,
        startsAt,
        endsAt,
        same ? null : alert.generatorURL,
        same ? null : alert.source,
        same ? null : written.annotations[i]!,
        full ? JSON.stringify([alert.labels, storedEntities(alert.entities)]) : null,
      );
    });
    if (rows > 0 && answer.rows.length === rows * ROW_FIELDS) answer.fromSeq = written.fromSeq;
  }

  port.postMessage({ ready: true });
}

const data = workerData as { role?: string; path: string; busyMs: number; keptAlerts: number } | undefined;
if (!isMainThread && parentPort && data?.role === 'alert-ingest')
  start(parentPort, data.path, data.busyMs, data.keptAlerts);
