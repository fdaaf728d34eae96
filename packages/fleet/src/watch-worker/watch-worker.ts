import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { EventRepository, InventoryRepository } from '@gantry/store';
import type { ConnectionState } from '../cluster-connection.ts';
import { WATCHED, type WatchedKind } from '../inventory/summaries.ts';
import type { FromWorker, ToWorker, WorkerWrite } from './protocol.ts';

/** What the server holds of a cluster's watches, wherever they run. */
export interface Connection {
  state(): ConnectionState;
  stop(): Promise<void>;
}

export interface WatchWorkerDeps {
  inventory: Pick<InventoryRepository, 'apply' | 'replaceKind'>;
  events: Pick<EventRepository, 'upsert'>;
  logger: Logger;
  flushIntervalMs?: number;
  /** How long after the worker died it is started again. Default 1 s. */
  restartDelayMs?: number;
}

export interface RemoteConnectionOptions {
  cluster: string;
  team: string;
  kubeconfig: string;
  context?: string;
  onStateChange?: () => void;
}

interface Remote {
  options: RemoteConnectionOptions;
  state: ConnectionState;
  stopped?: () => void;
}

const RESTART_DELAY_MS = 1000;
const STOP_TIMEOUT_MS = 10_000;

function initialState(error?: string): ConnectionState {
  const kinds = Object.fromEntries(Object.keys(WATCHED).map((kind) => [kind, error ? { synced: false, error } : { synced: false }])) as ConnectionState['kinds'];
  return { kinds, nodes: 0, readyNodes: 0, namespaces: 0, workloads: 0, pods: {} };
}

/**
 * Runs the clusters' watches (list, watch, parse, summarize: `ClusterConnection`) in one worker thread and
 * makes the writes they ask for here, on the server's store. Parsing every Pod, Event and Deployment of
 * busy clusters is the largest steady load a server has; in the worker it no longer delays API requests
 * and reconciles on the main thread. A worker that dies is started again and its clusters resume (from a
 * full list); meanwhile they read as not synced, with the reason.
 */
export class WatchWorker {
  readonly #remotes = new Map<number, Remote>();
  #worker: Worker | undefined;
  #nextId = 0;
  #closed = false;
  #restart: NodeJS.Timeout | undefined;

  constructor(private readonly deps: WatchWorkerDeps) {}

  open(options: RemoteConnectionOptions): Connection {
    if (this.#closed) throw new Error('the watch worker is closed');
    const id = ++this.#nextId;
    const remote: Remote = { options, state: initialState() };
    this.#remotes.set(id, remote);
    this.#start(id, remote);
    return {
      state: () => structuredClone(remote.state),
      stop: () => this.#stop(id),
    };
  }

  /** Stops every connection and the worker. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#restart) clearTimeout(this.#restart);
    await Promise.all([...this.#remotes.keys()].map((id) => this.#stop(id)));
    await this.#worker?.terminate();
    this.#worker = undefined;
  }

  /** Ends the worker thread as a crash would (for fault tests): its clusters restart in a new one. */
  async crash(): Promise<void> {
    await this.#worker?.terminate();
  }

  #start(id: number, remote: Remote): void {
    const { cluster, team, kubeconfig, context } = remote.options;
    this.#send({ op: 'start', id, cluster, team, kubeconfig, ...(context !== undefined ? { context } : {}), ...(this.deps.flushIntervalMs !== undefined ? { flushIntervalMs: this.deps.flushIntervalMs } : {}) });
  }

  async #stop(id: number): Promise<void> {
    const remote = this.#remotes.get(id);
    if (!remote) return;
    const stopped = new Promise<void>((resolve) => {
      remote.stopped = resolve;
      setTimeout(resolve, STOP_TIMEOUT_MS).unref();
    });
    if (this.#worker) this.#send({ op: 'stop', id });
    else remote.stopped?.();
    await stopped;
    this.#remotes.delete(id);
  }

  #send(message: ToWorker): void {
    this.#ensureWorker().postMessage(message);
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker;
    const { url, workerData } = workerEntry();
    const worker = new Worker(url, { ...(workerData ? { workerData } : {}), name: 'gantry-fleet-watches' });
    worker.on('message', (message: FromWorker) => this.#receive(worker, message));
    worker.on('error', (error) => this.deps.logger.error({ err: error }, 'the fleet watch worker failed'));
    worker.on('exit', (code) => this.#exited(worker, code));
    this.#worker = worker;
    return worker;
  }

  #exited(worker: Worker, code: number): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    for (const remote of this.#remotes.values()) remote.stopped?.();
    if (this.#closed) return;
    const reason = `the fleet watch worker stopped (exit code ${code}); restarting`;
    this.deps.logger.error({ code }, reason);
    for (const remote of this.#remotes.values()) {
      if (remote.stopped) continue;
      remote.state = initialState(reason);
      remote.options.onStateChange?.();
    }
    this.#restart = setTimeout(() => {
      this.#restart = undefined;
      for (const [id, remote] of this.#remotes) if (!remote.stopped) this.#start(id, remote);
    }, this.deps.restartDelayMs ?? RESTART_DELAY_MS);
    this.#restart.unref();
  }

  #receive(worker: Worker, message: FromWorker): void {
    const remote = this.#remotes.get(message.id);
    switch (message.op) {
      case 'write':
        void this.#write(message).then(
          () => worker.postMessage({ op: 'done', seq: message.seq } satisfies ToWorker),
          (error: unknown) => worker.postMessage({ op: 'done', seq: message.seq, error: (error as Error).message } satisfies ToWorker),
        );
        return;
      case 'state':
        if (!remote || remote.stopped) return;
        remote.state = message.state;
        if (message.changed) remote.options.onStateChange?.();
        return;
      case 'failed':
        if (!remote) return;
        remote.state = initialState(message.message);
        remote.options.onStateChange?.();
        return;
      case 'log':
        this.deps.logger[message.level]({ ...message.fields, cluster: remote?.options.cluster }, message.message);
        return;
      case 'stopped':
        remote?.stopped?.();
        return;
    }
  }

  #write(request: WorkerWrite): Promise<unknown> {
    if (request.write === 'apply') return this.deps.inventory.apply(request.changes, request.now);
    if (request.write === 'replaceKind') return this.deps.inventory.replaceKind(request.cluster, request.kind as WatchedKind, request.rows, request.now);
    return this.deps.events.upsert(request.events);
  }
}

/**
 * The worker's file: next to the bundle when the server runs bundled, else the TypeScript source, loaded
 * through tsx (tests, and running from source).
 */
function workerEntry(): { url: URL; workerData?: { entry: string } } {
  if (import.meta.url.endsWith('.ts')) return { url: new URL('./watch-worker.dev.mjs', import.meta.url), workerData: { entry: new URL('./watch-worker.worker.ts', import.meta.url).href } };
  return { url: new URL('./fleet-watch.worker.mjs', import.meta.url) };
}
