import { Worker } from 'node:worker_threads';

const WORKER_FILE = 'sqlite-alert-writer.worker.mjs';
const encoder = new TextEncoder();

/**
 * The worker's answer for one batch: the first sequence number, and per alert its stored start and end or
 * null.
 */
export interface ThreadWrite {
  fromSeq: number;
  /** Per alert of the batch, in order: the start it was stored with, or null when it was left as it was. */
  starts: (string | null)[];
  /** Per alert of the batch, in order: the end it was stored with (the merge may keep the stored one). */
  ends: (string | null)[];
}

type Reply =
  | { ready: true }
  | { stopped: true }
  | ({ id: number; ok: true } & ThreadWrite)
  | { id: number; ok: false; message: string; code?: string };

interface Waiting {
  resolve(write: ThreadWrite): void;
  reject(error: unknown): void;
}

/** The worker thread ended or could not start: the batch was not answered, the caller writes it itself. */
export class AlertThreadGone extends Error {}

/**
 * The SQLite alert writer's thread (ADR 0038): a connection of its own on the same file, running the
 * batches the server hands it (`sqlite-alert-writer.worker.mjs`). The caller holds the store's connection
 * while a batch is in the thread, so that it is the only writer then. One batch at a time.
 */
export class AlertWriterThread {
  readonly #worker: Worker;
  readonly #ready: Promise<void>;
  readonly #waiting = new Map<number, Waiting>();
  #next = 0;
  #gone: Error | undefined;

  constructor(path: string, busyMs: number) {
    this.#worker = new Worker(new URL(`./${WORKER_FILE}`, import.meta.url), {
      workerData: { role: 'alert-writer', path, busyMs },
    });
    // A thread that is idle never keeps the process alive; a batch in flight does (see write()).
    this.#worker.unref();
    this.#ready = new Promise<void>((resolve, reject) => {
      this.#worker.on('message', (reply: Reply) => {
        if ('ready' in reply) return resolve();
        if ('stopped' in reply) return;
        const waiting = this.#waiting.get(reply.id);
        if (!waiting) return;
        this.#waiting.delete(reply.id);
        if (this.#waiting.size === 0) this.#worker.unref();
        if (reply.ok) waiting.resolve({ fromSeq: reply.fromSeq, starts: reply.starts, ends: reply.ends });
        else waiting.reject(Object.assign(new Error(reply.message), { code: reply.code }));
      });
      const fail = (error: Error) => {
        this.#gone = new AlertThreadGone(`the alert writer thread ended: ${error.message}`);
        reject(this.#gone);
        for (const waiting of this.#waiting.values()) waiting.reject(this.#gone);
        this.#waiting.clear();
      };
      this.#worker.on('error', fail);
      this.#worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    });
    // Read by write(); a thread that never started is reported there, not as an unhandled rejection.
    this.#ready.catch(() => undefined);
  }

  /** Whether the thread ended (it is not started again: the caller writes on its own connection). */
  get gone(): boolean {
    return this.#gone !== undefined;
  }

  async write(alerts: readonly object[], updatedAt: string): Promise<ThreadWrite> {
    await this.#ready;
    if (this.#gone) throw this.#gone;
    const id = this.#next++;
    // The batch as UTF-8 JSON in a buffer handed over to the thread (moved, not copied), instead of a
    // structured clone of every object: a clone, or even a long string, cost more on this thread than
    // the statements it spares it.
    const bytes = encoder.encode(JSON.stringify(alerts));
    return new Promise<ThreadWrite>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#worker.ref();
      this.#worker.postMessage({ id, updatedAt, bytes }, [bytes.buffer]);
    });
  }

  /** Closes the thread's connection and ends it. */
  async stop(): Promise<void> {
    if (this.#gone) return;
    await this.#worker.terminate();
  }
}
