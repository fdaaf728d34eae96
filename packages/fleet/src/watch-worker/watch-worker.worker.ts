// The fleet's watches in a worker thread: every cluster's list/watch streams are read, parsed and
// summarized here, so the server's event loop (API, controllers) never parses them. Only the summaries
// cross to the server, which writes them to the store and answers each write.
import { parentPort } from 'node:worker_threads';
import { ClusterConnection } from '../cluster-connection.ts';
import { kubeClientFromKubeconfig } from '../kube/kube-client.ts';
import type { FromWorker, ToWorker, WorkerWrite } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('the watch worker runs as a worker thread');

/** How often each connection's counts are sent, beside every change of its sync state. */
const STATE_INTERVAL_MS = 500;

const connections = new Map<number, { connection?: ClusterConnection; timer?: NodeJS.Timeout; stopped: boolean }>();
const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let seq = 0;

const post = (message: FromWorker) => port.postMessage(message);

function write(id: number, request: WorkerWrite): Promise<void> {
  const number = ++seq;
  return new Promise((resolve, reject) => {
    pending.set(number, { resolve, reject });
    post({ op: 'write', seq: number, id, ...request });
  });
}

function logger(id: number) {
  const log = (level: 'warn' | 'error') => (fields: unknown, message?: string) => {
    const plain = Object.fromEntries(Object.entries((fields ?? {}) as Record<string, unknown>).map(([key, value]) => [key, value instanceof Error ? value.message : value]));
    post({ op: 'log', id, level, fields: plain, message: message ?? '' });
  };
  return { warn: log('warn'), error: log('error') } as unknown as ConstructorParameters<typeof ClusterConnection>[0]['logger'];
}

async function start(message: Extract<ToWorker, { op: 'start' }>): Promise<void> {
  const { id } = message;
  const entry: { connection?: ClusterConnection; timer?: NodeJS.Timeout; stopped: boolean } = { stopped: false };
  connections.set(id, entry);
  let client;
  try {
    client = await kubeClientFromKubeconfig(message.kubeconfig, message.context);
  } catch (error) {
    connections.delete(id);
    post({ op: 'failed', id, message: (error as Error).message });
    return;
  }
  if (entry.stopped) {
    client.close();
    return;
  }
  const sendState = (changed: boolean) => entry.connection && post({ op: 'state', id, state: entry.connection.state(), changed });
  const connection = new ClusterConnection({
    cluster: message.cluster,
    team: message.team,
    client,
    inventory: {
      apply: (changes, now) => write(id, { write: 'apply', changes, now }),
      replaceKind: (cluster, kind, rows, now) => write(id, { write: 'replaceKind', cluster, kind, rows, now }),
    },
    events: { upsert: (events) => write(id, { write: 'events', events }) },
    logger: logger(id),
    now: Date.now,
    ...(message.flushIntervalMs !== undefined ? { flushIntervalMs: message.flushIntervalMs } : {}),
    onStateChange: () => sendState(true),
  });
  entry.connection = connection;
  connection.start();
  entry.timer = setInterval(() => sendState(false), STATE_INTERVAL_MS);
}

async function stop(id: number): Promise<void> {
  const entry = connections.get(id);
  if (entry) {
    entry.stopped = true;
    if (entry.timer) clearInterval(entry.timer);
    await entry.connection?.stop();
    connections.delete(id);
  }
  post({ op: 'stopped', id });
}

port.on('message', (message: ToWorker) => {
  if (message.op === 'start') void start(message);
  else if (message.op === 'stop') void stop(message.id);
  else {
    const waiting = pending.get(message.seq);
    pending.delete(message.seq);
    if (message.error === undefined) waiting?.resolve();
    else waiting?.reject(new Error(message.error));
  }
});
