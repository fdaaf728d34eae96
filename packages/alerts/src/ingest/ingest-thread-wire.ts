import type { AlertSource, ErrorDetail } from '@gantry/model';
import type { NormalizeReason, RejectReason } from './normalize.ts';
import type { PrepareOptions } from './prepare.ts';

/**
 * What the server sends the alert ingest's thread (ADR 0042, 0046); `'stop'` closes its connection.
 *
 * A body goes as it came (`prepare`) with the teams its caller may post to that the server knows exist
 * (`approved`): a batch bound to those only is ready to commit as soon as it is prepared; any other is
 * answered (`PreparedReply`) and waits until the server has checked its teams (`approve`) or refused it
 * (`discard`). The thread commits only while the server holds the store's connection for it (a lease,
 * `grant`): as batches become ready, each commit answered by a `CommitReply`, until the server asks for
 * the connection back (`release`), which is answered by an empty one that says the lease ended.
 */
export type IngestThreadRequest =
  | { type: 'prepare'; id: number; bytes: Uint8Array; options: PrepareOptions; approved: string[] }
  /** A batch the server prepared and checked itself (`AlertWrite[]` as JSON): ready to commit. */
  | { type: 'stage'; id: number; bytes: Uint8Array; now: number }
  /** Prepared batches whose teams the server checked: ready to commit. */
  | { type: 'approve'; batches: number[] }
  /** The store's connection is held: commit what is ready (the write's epoch: see SqliteAlertStatements). */
  | { type: 'grant'; id: number; epoch: number }
  /** End the lease (someone else waits for the store's connection, or nothing is left to commit). */
  | { type: 'release'; id: number }
  | { type: 'discard'; batches: number[] };

/**
 * One row a commit wrote, in sequence order: the alert's slot, team, fingerprint, the start and end stored,
 * generatorURL, source, the annotations as JSON, and `[labels, entities]` as JSON. The thread gives each
 * alert it reports a slot, a small number, the first time (with its team, fingerprint and labels; the server
 * keeps them in that slot, ADR 0042, 0048), and sends the slot alone after that (team, fingerprint and
 * labels null: an alert's labels never change); generatorURL, source and annotations are null when they
 * are as in the alert's previous row.
 */
export type WrittenRow = [
  number,
  string | null,
  string | null,
  string,
  string,
  string | null,
  AlertSource | null,
  string | null,
  string | null,
];

/** Values per row in a commit's answer. */
export const ROW_FIELDS = 9;

/** What a batch held under `id` came to, for the server's answer and counters. */
export interface BatchOutcome {
  id: number;
  count: number;
  normalized: [NormalizeReason, number][];
}

/** The answer to a body that is not ready to commit: its teams to check, or why it is refused. */
export type PreparedReply =
  | ({ ok: true; teams: string[] } & BatchOutcome)
  | {
      id: number;
      ok: false;
      /** `malformed`: not JSON or not the shape (one problem); `refused`: alerts the checks refused. */
      kind: 'malformed';
      message: string;
      code?: string;
      details: ErrorDetail[];
    }
  | {
      id: number;
      ok: false;
      kind: 'refused';
      details: ErrorDetail[];
      reasons: RejectReason[];
      /** Alerts in the batch. */
      total: number;
    };

/**
 * A commit under a lease: the batches committed in one transaction and the rows written, and the batches
 * SQLite refused (each tried alone first, so one batch does not fail another; they are dropped); or the end
 * of the lease, empty.
 */
export interface CommitReply {
  /** The lease's id. */
  id: number;
  /** Whether the lease ended: the server lets its connection go. */
  released: boolean;
  committed: BatchOutcome[];
  failed: { id: number; message: string; code?: string }[];
  /** The rows' `updatedAt`: the server's clock when the latest of the batches came. */
  updatedAt: string;
  fromSeq: number;
  /** The rows, flat: `ROW_FIELDS` values each, as in `WrittenRow`. */
  rows: WrittenRow[number][];
  /**
   * The thread dropped its slots before these rows (it had given out its bound of them): the server drops
   * what it keeps too, and every alert comes with its labels again.
   */
  reset: boolean;
  journaled: boolean;
}

export type IngestThreadReply =
  | ({ type: 'prepared' } & PreparedReply)
  | ({ type: 'committed' } & CommitReply)
  | { ready: true }
  | { stopped: true };
