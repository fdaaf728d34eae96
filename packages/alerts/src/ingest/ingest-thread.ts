import { Worker } from 'node:worker_threads';
import type { AlertEntities, AlertSource } from '@gantry/model';
import {
  NOTHING_INGESTED,
  TeamMap,
  type AlertsWritten,
  type AlertWrite,
  type StoredAlert,
} from '@gantry/store';
import type { LabelSet } from '../matchers.ts';
import { ROW_FIELDS } from './ingest-thread-wire.ts';
import type {
  CommitReply,
  IngestThreadReply,
  IngestThreadRequest,
  PreparedReply,
  WrittenRow,
} from './ingest-thread-wire.ts';
import type { PrepareOptions } from './prepare.ts';

/**
 * The thread's script, next to this module: in the bundle, the bundled `ingest.worker.ts`; from sources,
 * a two-line script that loads it through tsx.
 */
const WORKER_FILE = 'alert-ingest.worker.mjs';
const encoder = new TextEncoder();
const YOUNG_GENERATION_MB = 16;
const OLD_GENERATION_MB = 64;

/** The thread ended or never started: what it had prepared is gone, the caller ingests on the event loop. */
export class IngestThreadGone extends Error {}

/** A commit the thread tried and SQLite refused (its code kept), the prepared batches still held. */
export class IngestCommitFailed extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** What the server keeps of an alert the thread wrote: it is sent once, and again only when it changes. */
interface Kept {
  labels: LabelSet;
  entities: AlertEntities;
  annotationsText: string;
  annotations: LabelSet;
  generatorURL: string;
  source: AlertSource;
}

interface Waiting {
  resolve(reply: PreparedReply | CommitReply): void;
  reject(error: unknown): void;
}

export interface IngestThreadOptions {
  path: string;
  busyMs: number;
  /** Most alerts whose labels the server keeps for the thread's replies; past it they are sent again. */
  keptAlerts?: number;
  /** Called once the thread takes bodies, and once it has ended. */
  onReady?(): void;
  onGone?(): void;
}

/**
 * The alert ingest's thread, seen from the event loop (ADR 0042): `prepare` hands it a request body as it
 * came (parsing, checks, normalization, fingerprints and bindings run there) and `commit` has it write
 * prepared batches in one transaction on its own SQLite connection; the caller holds the store's
 * connection meanwhile (`AlertRepository.writeExclusive`). A commit's answer is the rows written, as the
 * ingest's listeners take them: the thread sends an alert's labels the first time only, and this side
 * keeps them (and the annotations last seen) to build the rows of later writes.
 */
export class IngestThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiting>();
  readonly #kept = new TeamMap<Kept>();
  readonly #keptLimit: number;
  #next = 0;
  #preparing = 0;
  #ready = false;
  #gone: IngestThreadGone | undefined;

  constructor(options: IngestThreadOptions) {
    this.#keptLimit = options.keptAlerts ?? 20_000;
    this.#worker = new Worker(new URL(`./${WORKER_FILE}`, import.meta.url), {
      workerData: { role: 'alert-ingest', path: options.path, busyMs: options.busyMs },
      // Its garbage is short-lived (parsed bodies) and what it keeps is bounded (heads, what it sent):
      // small generations keep its RSS down (the server's memory goal, issue 10). The young one is 16 MB,
      // not 8: fewer scavenges, 6-11% more alerts per second for 16 MB more RSS at 100,000 alerts (ADR
      // 0043; 24 MB and more came too close to 500 MB, and 64 MB, as large as the old generation, made
      // it collect all the time). A thread that ran out of them would end, and the event loop would take
      // the bodies again (gantry_alerts_ingest_thread 0).
      resourceLimits: {
        maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
        maxOldGenerationSizeMb: OLD_GENERATION_MB,
      },
    });
    // An idle thread never keeps the process alive; one with work in flight does (see #send).
    this.#worker.unref();
    this.#worker.on('message', (reply: IngestThreadReply) => {
      if ('ready' in reply) {
        this.#ready = true;
        options.onReady?.();
        return;
      }
      if ('stopped' in reply) return;
      const waiting = this.#waiting.get(reply.id);
      if (!waiting) return;
      this.#waiting.delete(reply.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      waiting.resolve(reply);
    });
    const fail = (error: Error) => {
      if (this.#ready) options.onGone?.();
      this.#ready = false;
      this.#gone ??= new IngestThreadGone(`the alert ingest thread ended: ${error.message}`);
      for (const waiting of this.#waiting.values()) waiting.reject(this.#gone);
      this.#waiting.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
  }

  /** Whether it has started and not ended: until then, and after, the ingest works on the event loop. */
  get ready(): boolean {
    return this.#ready && this.#gone === undefined;
  }

  /** Whether it ended (it is not started again). */
  get gone(): boolean {
    return this.#gone !== undefined;
  }

  /** Bodies handed over and not answered yet: how far behind the thread is. */
  get preparing(): number {
    return this.#preparing;
  }

  /**
   * Hands over a batch made on the event loop (`prepareAlerts`), held like a prepared one under the id
   * returned, for `commit` (messages arrive in order: no answer is waited for).
   */
  stage(writes: readonly AlertWrite[]): number {
    const id = this.#next++;
    const bytes = encoder.encode(JSON.stringify(writes));
    this.#worker.postMessage({ type: 'stage', id, bytes } satisfies IngestThreadRequest, [bytes.buffer]);
    return id;
  }

  /** Checks a request body and holds the batch it makes under the answer's id until commit or discard. */
  prepare(body: Uint8Array, options: PrepareOptions): Promise<PreparedReply> {
    // A copy in a buffer of its own, handed over (moved, not cloned): the body may share its memory.
    const bytes = new Uint8Array(body.byteLength);
    bytes.set(body);
    const id = this.#next++;
    this.#preparing++;
    return (
      this.#send({ type: 'prepare', id, bytes, options }, [bytes.buffer]) as Promise<PreparedReply>
    ).finally(() => this.#preparing--);
  }

  /**
   * Writes prepared batches in one transaction; the rows written, in sequence order, and whether changes
   * wait in the journal. `epoch`: the store's count of alert writes on other connections. Throws
   * `IngestCommitFailed` when SQLite refused (the batches are still held: commit them alone, or discard
   * them) and `IngestThreadGone` when the thread ended.
   */
  async commit(
    batches: number[],
    updatedAt: string,
    epoch: number,
  ): Promise<AlertsWritten & { journaled: boolean }> {
    const id = this.#next++;
    const reply = (await this.#send({ type: 'commit', id, batches, updatedAt, epoch })) as CommitReply;
    if (!reply.ok) throw new IngestCommitFailed(reply.message, reply.code);
    const written = { ...this.#rows(reply, updatedAt), journaled: reply.journaled };
    if (this.#kept.size > this.#keptLimit) {
      // Dropped together with the thread's record of what was sent: it sends labels again from now on
      // (messages arrive in order, and commits are one at a time).
      this.#kept.clear();
      this.#worker.postMessage({ type: 'forget' } satisfies IngestThreadRequest);
    }
    return written;
  }

  /** Drops prepared batches that will not be committed (a refused team, a failed commit). */
  discard(batches: number[]): void {
    if (!this.#gone) this.#worker.postMessage({ type: 'discard', batches } satisfies IngestThreadRequest);
  }

  /** Closes the thread's connection and ends it. */
  async stop(): Promise<void> {
    if (this.#gone) return;
    this.#gone = new IngestThreadGone('the alert ingest thread was stopped');
    await this.#worker.terminate();
  }

  #send(message: IngestThreadRequest, transfer: ArrayBuffer[] = []): Promise<PreparedReply | CommitReply> {
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise((resolve, reject) => {
      this.#waiting.set((message as { id: number }).id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage(message, transfer);
    });
  }

  /** The rows of a commit as `AlertRepository`'s listeners take them (`changedSince` would read them). */
  #rows(reply: Extract<CommitReply, { ok: true }>, updatedAt: string): AlertsWritten {
    if (reply.rows.length === 0) return { change: NOTHING_INGESTED, alerts: [] };
    const teams = new Set<string>();
    const alerts: StoredAlert[] = [];
    let seq = reply.fromSeq;
    const { rows } = reply;
    for (let r = 0; r < rows.length; r += ROW_FIELDS) {
      const team = rows[r] as string;
      const fingerprint = rows[r + 1] as string;
      const startsAt = rows[r + 2] as string;
      const endsAt = rows[r + 3] as string;
      const url = rows[r + 4] as WrittenRow[4];
      const from = rows[r + 5] as WrittenRow[5];
      const annotationsText = rows[r + 6] as WrittenRow[6];
      const full = rows[r + 7] as WrittenRow[7];
      let kept = this.#kept.get(team, fingerprint);
      if (full !== null) {
        const [labels, entities] = JSON.parse(full) as [LabelSet, AlertEntities];
        kept = {
          labels,
          entities,
          annotationsText: annotationsText!,
          annotations: JSON.parse(annotationsText!) as LabelSet,
          generatorURL: url!,
          source: from!,
        };
        this.#kept.set(team, fingerprint, kept);
      } else if (!kept) throw new Error(`the alert ingest thread sent no labels for ${team}/${fingerprint}`);
      else if (annotationsText !== null) {
        if (kept.annotationsText !== annotationsText) {
          kept.annotationsText = annotationsText;
          kept.annotations = JSON.parse(annotationsText) as LabelSet;
        }
        kept.generatorURL = url!;
        kept.source = from!;
      }
      teams.add(team);
      alerts.push({
        team,
        fingerprint,
        labels: kept.labels,
        annotations: kept.annotations,
        startsAt,
        endsAt,
        updatedAt,
        generatorURL: kept.generatorURL,
        source: kept.source,
        entities: kept.entities,
        seq: seq++,
      });
    }
    return {
      change: { fromSeq: reply.fromSeq, toSeq: seq - 1, teams: [...teams], count: alerts.length },
      alerts,
    };
  }
}
