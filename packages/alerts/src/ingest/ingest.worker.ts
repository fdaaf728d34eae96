// The alert ingest's thread (ADR 0042): takes the bytes of `POST /api/v2/alerts` as they came, parses and
// checks them, normalizes, fingerprints and binds every alert (`prepare`), and later writes prepared
// batches in one transaction on a SQLite connection of its own (`commit`), while the server holds the
// store's connection (`AlertRepository.writeExclusive`). It imports only pure modules and better-sqlite3.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { InputError } from '@gantry/model/errors';
import { parseJsonBody } from '@gantry/model/json-body';
import {
  foldAlertWrites,
  SqliteAlertStatements,
  storedEntities,
  TeamMap,
  type AlertWrite,
} from '@gantry/store/sqlite-alert-statements';
import { postableProblem, asInboundAlerts } from './postable.ts';
import { prepareAlerts } from './prepare.ts';
import type {
  IngestThreadReply,
  IngestThreadRequest,
  PreparedReply,
  WrittenRow,
} from './ingest-thread-wire.ts';

const decoder = new TextDecoder();

function start(port: NonNullable<typeof parentPort>, path: string, busyMs: number): void {
  const db = new Database(path);
  db.pragma(`busy_timeout = ${busyMs}`);
  // Checkpoints are the checkpointer's (sqlite-checkpointer.ts), never a commit's.
  db.pragma('wal_autocheckpoint = 0');
  // Journaling (ADR 0042): changes of stored alerts go to alert_journal, folded in the background.
  const statements = new SqliteAlertStatements(db, {});
  /** Prepared batches by id, until committed or discarded. */
  const prepared = new Map<number, AlertWrite[]>();
  /** Alerts whose labels the server has from this thread (it keeps them; ADR 0042): sent once. */
  const known = new TeamMap<true>();
  const reply = (message: IngestThreadReply) => port.postMessage(message);
  /**
   * Bodies to prepare, one per turn of the thread's event loop: a commit that arrives meanwhile runs
   * first, as soon as it is read (ADR 0043). The commit holds the store's connection and answers the
   * requests it writes; a prepared body only goes on to wait for the next commit.
   */
  const waiting: Extract<IngestThreadRequest, { type: 'prepare' }>[] = [];
  const prepareNext = () => {
    const message = waiting.shift();
    if (message) reply(prepare(message));
    if (waiting.length > 0) setImmediate(prepareNext);
  };

  port.on('message', (message: IngestThreadRequest | 'stop') => {
    if (message === 'stop') {
      db.close();
      port.postMessage({ stopped: true });
      return;
    }
    switch (message.type) {
      case 'prepare':
        // After any commit waiting behind it (see `prepareNext`).
        waiting.push(message);
        if (waiting.length === 1) setImmediate(prepareNext);
        return;
      case 'commit':
        reply(commit(message.id, message.batches, message.updatedAt, message.epoch));
        return;
      case 'stage':
        prepared.set(message.id, JSON.parse(decoder.decode(message.bytes)) as AlertWrite[]);
        return;
      case 'discard':
        for (const id of message.batches) prepared.delete(id);
        return;
      case 'forget':
        known.clear();
        return;
    }
  });

  function prepare(message: Extract<IngestThreadRequest, { type: 'prepare' }>): PreparedReply {
    const { id } = message;
    const parsed = parseJsonBody(message.bytes, { depth: false });
    if (parsed instanceof InputError)
      return {
        id,
        ok: false,
        kind: 'malformed',
        message: parsed.message,
        code: parsed.code,
        details: [...parsed.details],
      };
    const problem = postableProblem(parsed.value);
    if (problem)
      return {
        id,
        ok: false,
        kind: 'malformed',
        message: `body${problem.path} ${problem.message}`,
        details: [problem],
      };
    const outcome = prepareAlerts(asInboundAlerts(parsed.value), message.options);
    if (!outcome.ok)
      return {
        id,
        ok: false,
        kind: 'refused',
        details: outcome.details,
        reasons: outcome.reasons,
        total: (parsed.value as unknown[]).length,
      };
    prepared.set(id, outcome.writes);
    return {
      id,
      ok: true,
      count: outcome.writes.length,
      teams: outcome.teams,
      normalized: outcome.normalized,
    };
  }

  function commit(
    id: number,
    batches: readonly number[],
    updatedAt: string,
    epoch: number,
  ): IngestThreadReply {
    try {
      const alerts = foldAlertWrites(batches.flatMap((batch) => prepared.get(batch) ?? []));
      const write = statements.write(alerts, updatedAt, epoch);
      for (const batch of batches) prepared.delete(batch);
      // Flat, `ROW_FIELDS` per row: one array to clone for the reply rather than one per row.
      const rows: WrittenRow[number][] = [];
      alerts.forEach((alert, i) => {
        const startsAt = write.starts[i];
        if (startsAt === null || startsAt === undefined) return;
        const full = known.get(alert.team, alert.fingerprint) === undefined;
        if (full) known.set(alert.team, alert.fingerprint, true);
        // The server keeps what it was sent of the alert: unchanged fields go as null (ADR 0042).
        const same = !full && write.unchanged[i] === true;
        rows.push(
          alert.team,
          alert.fingerprint,
          startsAt,
          alert.endsAt,
          same ? null : alert.generatorURL,
          same ? null : alert.source,
          same ? null : write.annotations[i]!,
          full ? JSON.stringify([alert.labels, storedEntities(alert.entities)]) : null,
        );
      });
      return { id, ok: true, fromSeq: write.fromSeq, rows, journaled: statements.journaling };
    } catch (error) {
      return {
        id,
        ok: false,
        kind: 'failed',
        message: error instanceof Error ? error.message : String(error),
        ...(typeof (error as { code?: unknown })?.code === 'string'
          ? { code: (error as { code: string }).code }
          : {}),
      };
    }
  }

  port.postMessage({ ready: true });
}

const data = workerData as { role?: string; path: string; busyMs: number } | undefined;
if (!isMainThread && parentPort && data?.role === 'alert-ingest') start(parentPort, data.path, data.busyMs);
