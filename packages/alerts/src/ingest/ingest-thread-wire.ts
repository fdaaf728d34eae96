import type { AlertSource, ErrorDetail } from '@gantry/model';
import type { NormalizeReason, RejectReason } from './normalize.ts';
import type { PrepareOptions } from './prepare.ts';

/** What the server sends the alert ingest's thread (ADR 0042); `'stop'` closes its connection. */
export type IngestThreadRequest =
  | { type: 'prepare'; id: number; bytes: Uint8Array; options: PrepareOptions }
  /** A batch the server prepared itself (`AlertWrite[]` as JSON), held like a prepared one. */
  | { type: 'stage'; id: number; bytes: Uint8Array }
  | { type: 'commit'; id: number; batches: number[]; updatedAt: string; epoch: number }
  | { type: 'discard'; batches: number[] }
  /** The server dropped the labels it kept: send them again with the next write of each alert. */
  | { type: 'forget' };

/**
 * One row a commit wrote, in sequence order: team, fingerprint, the start stored, endsAt, generatorURL,
 * source, the annotations as JSON, and `[labels, entities]` as JSON. The labels go the first time the thread
 * reports the alert to the server only (null after: the server keeps them, and an alert's labels never
 * change); generatorURL, source and annotations are null when they are as in the alert's previous row.
 */
/** Values per row in a commit's answer. */
export const ROW_FIELDS = 8;

export type WrittenRow = [
  string,
  string,
  string,
  string,
  string | null,
  AlertSource | null,
  string | null,
  string | null,
];

export type PreparedReply =
  | {
      id: number;
      ok: true;
      count: number;
      teams: string[];
      normalized: [NormalizeReason, number][];
    }
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

export type CommitReply =
  | {
      id: number;
      ok: true;
      fromSeq: number;
      /** The rows, flat: `ROW_FIELDS` values each, as in `WrittenRow`. */
      rows: WrittenRow[number][];
      journaled: boolean;
    }
  | { id: number; ok: false; kind: 'failed'; message: string; code?: string };

export type IngestThreadReply = PreparedReply | CommitReply | { ready: true } | { stopped: true };
