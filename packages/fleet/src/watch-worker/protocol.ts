import type { EventRecord, InventoryChange } from '@gantry/store';
import type { ConnectionState } from '../cluster-connection.ts';

/** What the server asks of the watch worker. */
export type ToWorker =
  | { op: 'start'; id: number; cluster: string; team: string; kubeconfig: string; context?: string; flushIntervalMs?: number }
  | { op: 'stop'; id: number }
  | { op: 'done'; seq: number; error?: string };

type InventoryRow = Extract<InventoryChange, { op: 'upsert' }>['item'];

/** A write the worker's connections want made; answered with `done` of the same `seq`. */
export type WorkerWrite =
  | { write: 'apply'; changes: readonly InventoryChange[]; now: string }
  | { write: 'replaceKind'; cluster: string; kind: string; rows: readonly InventoryRow[]; now: string }
  | { write: 'events'; events: readonly EventRecord[] };

/** What the watch worker tells the server. */
export type FromWorker =
  | ({ op: 'write'; seq: number; id: number } & WorkerWrite)
  /** `changed`: the connection's sync state changed (not only its counts). */
  | { op: 'state'; id: number; state: ConnectionState; changed: boolean }
  | { op: 'log'; id: number; level: 'warn' | 'error'; fields: Record<string, unknown>; message: string }
  /** The connection could not start (its kubeconfig does not build a client). */
  | { op: 'failed'; id: number; message: string }
  | { op: 'stopped'; id: number };
