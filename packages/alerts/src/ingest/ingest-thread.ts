import { Worker } from 'node:worker_threads';
import type { AlertEntities, AlertSource } from '@gantry/model';
import { NOTHING_INGESTED, type AlertsWritten, type AlertWrite, type StoredAlert } from '@gantry/store';
import type { LabelSet } from '../matchers.ts';
import { ROW_FIELDS } from './ingest-thread-wire.ts';
import type {
  CommitReply,
  IngestThreadReply,
  IngestThreadRequest,
  PreparedReply,
  WrittenRow,
} from './ingest-thread-wire.ts';

export type { BatchOutcome, PreparedReply } from './ingest-thread-wire.ts';
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

/** A batch's commit SQLite refused, alone (its code kept): the batch is dropped. */
export class IngestCommitFailed extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * What the server keeps of an alert the thread wrote, in the slot the thread gave it: sent once, and again
 * only when it changes. Its team and fingerprint are the strings every later row of it reuses.
 */
interface Kept {
  team: string;
  fingerprint: string;
  labels: LabelSet;
  entities: AlertEntities;
  annotationsText: string;
  annotations: LabelSet;
  generatorURL: string;
  source: AlertSource;
}

/** A lease not ended yet: its commits go to `committed` as they come. */
interface Leased {
  committed(made: LeaseCommit): void;
  resolve(): void;
  reject(error: unknown): void;
}

/** A commit under a lease: what it wrote, the batches in it, and those SQLite refused. */
export interface LeaseCommit {
  written: AlertsWritten & { journaled: boolean };
  committed: CommitReply['committed'];
  failed: CommitReply['failed'];
}

export interface IngestThreadOptions {
  path: string;
  busyMs: number;
  /** Most alerts whose labels the server keeps for the thread's replies; past it they are sent again. */
  keptAlerts?: number;
  /** A body that is not ready to commit: its teams to check (then `approve` or `discard`), or refused. */
  onPrepared(reply: PreparedReply): void;
  /** Called once the thread takes bodies, and once one that did has ended. */
  onReady?(): void;
  onGone?(): void;
  /** Called when the thread ends, with what it held and had not answered for: it is gone. */
  onEnded?(held: number[], error: IngestThreadGone): void;
}

/**
 * The alert ingest's thread, seen from the event loop (ADR 0042, 0046): `prepare` hands it a request body
 * as it came (parsing, checks, normalization, fingerprints and bindings run there) with the teams already
 * checked for its caller, and `lease` lets it commit the batches ready on its own SQLite connection, as they
 * become ready, while the caller holds the store's connection (`AlertRepository.lease`). A commit's
 * answer is the rows written, as the ingest's listeners take them: the thread sends an alert's labels the
 * first time only, and this side keeps them (and the annotations last seen) to build the rows of later
 * writes.
 */
export class IngestThread {
  readonly #worker: Worker;
  /** The lease not ended yet, if any. */
  #lease: ({ id: number } & Leased) | undefined;
  /** Batches handed over and not answered for (neither committed, dropped, nor sent back to check). */
  readonly #held = new Set<number>();
  /** By the slot the thread gave each alert (ADR 0048). */
  #kept: Kept[] = [];
  #next = 0;
  #ready = false;
  #gone: IngestThreadGone | undefined;

  constructor(options: IngestThreadOptions) {
    this.#worker = new Worker(new URL(`./${WORKER_FILE}`, import.meta.url), {
      workerData: {
        role: 'alert-ingest',
        path: options.path,
        busyMs: options.busyMs,
        keptAlerts: options.keptAlerts ?? 20_000,
      },
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
      if (reply.type === 'prepared') {
        this.#held.delete(reply.id);
        this.#unrefWhenIdle();
        options.onPrepared(reply);
        return;
      }
      for (const { id } of reply.committed) this.#held.delete(id);
      for (const { id } of reply.failed) this.#held.delete(id);
      const lease = this.#lease;
      if (lease?.id !== reply.id) return;
      if (reply.released) {
        this.#lease = undefined;
        this.#unrefWhenIdle();
        lease.resolve();
        return;
      }
      try {
        lease.committed(this.#commitOf(reply));
      } catch (error) {
        this.#lease = undefined;
        this.#unrefWhenIdle();
        lease.reject(error);
      }
    });
    const fail = (error: Error) => {
      if (this.#ready) options.onGone?.();
      this.#ready = false;
      const first = this.#gone === undefined;
      this.#gone ??= new IngestThreadGone(`the alert ingest thread ended: ${error.message}`);
      const lease = this.#lease;
      this.#lease = undefined;
      lease?.reject(this.#gone);
      const held = [...this.#held];
      this.#held.clear();
      if (first || held.length > 0) options.onEnded?.(held, this.#gone);
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

  /** Batches handed over that a commit would take, or that are being prepared: whether to lease. */
  get held(): number {
    return this.#held.size;
  }

  /**
   * Hands over a request body (moved, not cloned) under the id returned: the thread checks and prepares
   * it, and it is ready to commit when it binds to `approved` teams only; otherwise it comes back to
   * `onPrepared`.
   */
  prepare(body: Uint8Array, options: PrepareOptions, approved: string[]): number {
    // A copy in a buffer of its own: the body may share its memory.
    const bytes = new Uint8Array(body.byteLength);
    bytes.set(body);
    const id = this.#next++;
    this.#post({ type: 'prepare', id, bytes, options, approved }, [bytes.buffer]);
    this.#held.add(id);
    return id;
  }

  /** Hands over a batch made and checked on the event loop (`prepareAlerts`): ready to commit. */
  stage(writes: readonly AlertWrite[], now: number): number {
    const id = this.#next++;
    const bytes = encoder.encode(JSON.stringify(writes));
    this.#post({ type: 'stage', id, bytes, now }, [bytes.buffer]);
    this.#held.add(id);
    return id;
  }

  /** Batches sent back by `onPrepared` whose teams were checked: ready to commit. */
  approve(batches: number[]): void {
    this.#post({ type: 'approve', batches });
    for (const id of batches) this.#held.add(id);
  }

  /** Drops batches that will not be committed (a refused team, a store that failed). */
  discard(batches: number[]): void {
    for (const id of batches) this.#held.delete(id);
    this.#unrefWhenIdle();
    if (!this.#gone) this.#worker.postMessage({ type: 'discard', batches } satisfies IngestThreadRequest);
  }

  /**
   * Lets the thread commit as batches become ready, while the caller holds the store's connection
   * (`AlertRepository.lease`), until `release`; each commit goes to `committed` as it comes. `epoch` is the
   * store's count of alert writes on other connections. Rejects with `IngestThreadGone` when the thread
   * ended.
   */
  lease(epoch: number, committed: (granted: LeaseCommit) => void): Promise<void> {
    if (this.#gone) return Promise.reject(this.#gone);
    if (this.#lease) return Promise.reject(new Error('the alert ingest thread holds a lease already'));
    const id = this.#next++;
    return new Promise<void>((resolve, reject) => {
      this.#lease = { id, committed, resolve, reject };
      this.#post({ type: 'grant', id, epoch });
    });
  }

  /** Ends the lease, if one is held: the thread answers, and the caller may let its connection go. */
  release(): void {
    if (this.#lease && !this.#gone) this.#post({ type: 'release', id: this.#lease.id });
  }

  /** Whether a lease is held. */
  get leased(): boolean {
    return this.#lease !== undefined;
  }

  /** A commit's rows and outcomes, its labels kept for the next ones. */
  #commitOf(reply: CommitReply): LeaseCommit {
    // The thread dropped its slots before these rows (past its bound): what they held goes too.
    if (reply.reset) this.#kept = [];
    const written = { ...this.#rows(reply, reply.updatedAt), journaled: reply.journaled };
    return { written, committed: reply.committed, failed: reply.failed };
  }

  /** Closes the thread's connection and ends it. */
  async stop(): Promise<void> {
    if (this.#gone) return;
    this.#gone = new IngestThreadGone('the alert ingest thread was stopped');
    await this.#worker.terminate();
  }

  /** A message for the thread, which keeps the process alive while it has work (see #unrefWhenIdle). */
  #post(message: IngestThreadRequest, transfer: ArrayBuffer[] = []): void {
    if (this.#gone) throw this.#gone;
    this.#worker.ref();
    this.#worker.postMessage(message, transfer);
  }

  #unrefWhenIdle(): void {
    if (this.#lease === undefined && this.#held.size === 0) this.#worker.unref();
  }

  /** The rows of a commit as `AlertRepository`'s listeners take them (`changedSince` would read them). */
  #rows(reply: CommitReply, updatedAt: string): AlertsWritten {
    if (reply.rows.length === 0) return { change: NOTHING_INGESTED, alerts: [] };
    const teams = new Set<string>();
    const alerts: StoredAlert[] = [];
    let seq = reply.fromSeq;
    const { rows } = reply;
    for (let r = 0; r < rows.length; r += ROW_FIELDS) {
      const slot = rows[r] as WrittenRow[0];
      const startsAt = rows[r + 3] as string;
      const endsAt = rows[r + 4] as string;
      const url = rows[r + 5] as WrittenRow[5];
      const from = rows[r + 6] as WrittenRow[6];
      const annotationsText = rows[r + 7] as WrittenRow[7];
      const full = rows[r + 8] as WrittenRow[8];
      let kept = this.#kept[slot];
      if (full !== null) {
        const [labels, entities] = JSON.parse(full) as [LabelSet, AlertEntities];
        kept = {
          team: rows[r + 1] as string,
          fingerprint: rows[r + 2] as string,
          labels,
          entities,
          annotationsText: annotationsText!,
          annotations: JSON.parse(annotationsText!) as LabelSet,
          generatorURL: url!,
          source: from!,
        };
        this.#kept[slot] = kept;
      } else if (!kept) throw new Error(`the alert ingest thread sent no labels for its slot ${slot}`);
      else if (annotationsText !== null) {
        if (kept.annotationsText !== annotationsText) {
          kept.annotationsText = annotationsText;
          kept.annotations = JSON.parse(annotationsText) as LabelSet;
        }
        kept.generatorURL = url!;
        kept.source = from!;
      }
      const { team } = kept;
      teams.add(team);
      alerts.push({
        team,
        fingerprint: kept.fingerprint,
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
