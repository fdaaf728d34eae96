import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Database as SqliteDatabase } from 'better-sqlite3';

const WORKER_FILE = 'sqlite-checkpointer.worker.mjs';
/** SQLite's own default: checkpoint when the WAL reaches 1000 pages. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** How often the worker checkpoints. */
  intervalMs: number;
  /** Rewind the WAL once it holds this many pages (4096: 16 MiB at 4 KiB pages)... */
  rewindPages: number;
  /** ... and the worker has left at most this many of them to copy. */
  backlogPages: number;
  /**
   * The WAL's bound: once it holds this many pages, whatever the worker reports (a worker starved of CPU
   * falls behind a steady writer and never reports a small backlog), the server's connection copies it
   * back itself between two transactions. Checked every `4 * intervalMs` from the file's size.
   */
  capPages: number;
}

const DEFAULTS: CheckpointerOptions = {
  intervalMs: 250,
  rewindPages: 4096,
  backlogPages: 256,
  capPages: 16_384,
};

/** The WAL is big enough to rewind, and the worker has copied nearly all of it: finish it on the writer. */
export function needsRewind(
  logPages: number,
  checkpointedPages: number,
  options: Pick<CheckpointerOptions, 'rewindPages' | 'backlogPages'>,
): boolean {
  return logPages >= options.rewindPages && logPages - checkpointedPages <= options.backlogPages;
}

export interface Checkpointer {
  stop(): Promise<void>;
}

interface Report {
  log?: number;
  checkpointed?: number;
  error?: string;
  stopped?: boolean;
}

/**
 * Moves WAL checkpoints off the event loop. The server's connection stops checkpointing on commit; a
 * worker thread copies the WAL back into the database every `intervalMs`. Under steady writes the worker
 * never quite catches up, and only a writer that starts on a fully copied WAL can rewind it, so when the
 * WAL is large and the worker's backlog small, the server's connection finishes the last few pages itself
 * between two transactions: cheap, and its next write rewinds the WAL. If the worker cannot run, the
 * connection checkpoints on commit again, so the WAL never grows without bound.
 */
export function startCheckpointer(
  database: SqliteDatabase,
  path: string,
  options: Partial<CheckpointerOptions> = {},
): Checkpointer {
  const { intervalMs, rewindPages, backlogPages, capPages } = { ...DEFAULTS, ...options };
  let worker: Worker;
  try {
    worker = new Worker(new URL(`./${WORKER_FILE}`, import.meta.url), { workerData: { path, intervalMs } });
  } catch {
    return { stop: () => Promise.resolve() };
  }
  database.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  const fallBack = () => {
    if (!stopping && database.open) database.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  worker.on('error', fallBack);
  worker.on('exit', fallBack);
  const finishOnWriter = () =>
    setImmediate(() => {
      if (stopping || !database.open || database.inTransaction) return;
      try {
        database.pragma('wal_checkpoint(PASSIVE)');
      } catch {
        // Busy: the worker's next report, or the next check of the bound, tries again.
      }
    });
  worker.on('message', (report: Report) => {
    if (stopping || report.log === undefined || report.checkpointed === undefined) return;
    if (needsRewind(report.log, report.checkpointed, { rewindPages, backlogPages })) finishOnWriter();
  });
  worker.unref();
  const capBytes = capPages * Number(database.pragma('page_size', { simple: true }));
  const bound = setInterval(() => {
    if (walBytes(path) >= capBytes) finishOnWriter();
  }, 4 * intervalMs);
  bound.unref();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        clearInterval(bound);
        worker.once('exit', () => resolve());
        worker.on('message', (report: Report) => {
          if (report.stopped) void worker.terminate();
        });
        worker.postMessage('stop');
      }),
  };
}

function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}
