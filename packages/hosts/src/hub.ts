import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import {
  AgentCloseCodes,
  AgentFrame as AgentFrameSchema,
  isGantryError,
  type AgentFrame,
  type ServerFrame,
} from '@gantry/model';
import type { EventRecorder } from '@gantry/controllers';
import {
  receiptKey,
  type AgentMessageRow,
  type HeartbeatUpdate,
  type HostRepository,
  type StoreTransaction,
} from '@gantry/store';
import type { AgentAccess } from './access.ts';
import type { HubSignal, HubSignals } from './signals.ts';
import { GroupCommit, type Schedule } from './group-commit.ts';

/** The generic channel of messages between the servers and the agents (the jobs engineer's transport). */
export interface AgentPort {
  /** True when the host's agent has an open connection to the servers now. */
  connected(team: string, host: string): boolean;
  /** Queues a message for the host's agent on a named channel (e.g. 'jobs'); delivered in order, at least once while it connects within ttlMs; returns false when the host is unknown. */
  send(
    team: string,
    host: string,
    channel: string,
    body: unknown,
    options?: { ttlMs?: number },
  ): Promise<boolean>;
  /**
   * `send` for many hosts of one team at once (a job's dispatch): one query for the hosts, one insert per
   * 200 messages, one read of their queues. Answers, per message, whether its host is known.
   */
  sendMany(
    team: string,
    messages: readonly OutgoingMessage[],
    options?: { ttlMs?: number },
  ): Promise<boolean[]>;
  /**
   * Per host of `hosts` not connected now, when its agent had certainly fallen silent: its last stored
   * heartbeat plus one heartbeat interval (alive, it would have sent another by then).
   */
  silentSince(team: string, hosts: readonly string[]): Promise<Map<string, number>>;
  /** Messages the agents report on a channel; called once per message id (the hub de-duplicates redelivery). */
  onMessage(
    channel: string,
    listener: (from: { team: string; host: string }, body: unknown) => void | Promise<void>,
  ): () => void;
  /**
   * The reports of one group commit on a channel, in the order they arrived, once per message id, with
   * the transaction their receipts are written in: the listener writes through it (`within(tx)`), so
   * the reports and their effects commit together, and each is acknowledged to its agent only after
   * that. What the listener returns runs after the commit. A listener that throws rolls the batch back;
   * its reports are then tried one at a time, and one that fails alone is not acknowledged (it comes
   * again).
   */
  onReports(channel: string, listener: ReportBatchListener): () => void;
}

/** One message of `sendMany`. */
export interface OutgoingMessage {
  host: string;
  channel: string;
  body: unknown;
}

/** A report as a batch listener receives it. */
export interface AgentReport {
  from: { team: string; host: string };
  body: unknown;
}

export type ReportBatchListener = (
  reports: readonly AgentReport[],
  tx: StoreTransaction,
) => Promise<(() => void) | void>;

export interface HostTransition {
  team: string;
  name: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/** Reason constants of the hub's Gantry events. */
export const HostReasons = {
  online: 'HostOnline',
  offline: 'HostOffline',
  revoked: 'AgentCredentialRevoked',
} as const;

export interface AgentHubOptions {
  repository: HostRepository;
  access: AgentAccess;
  recorder: EventRecorder;
  signals: HubSignals;
  now: () => number;
  /** This server's instance id (which server holds which connection). */
  serverId: string;
  logger: Logger;
  heartbeatSeconds: number;
  /** A host is Offline when its last heartbeat is older than this. */
  offlineAfterSeconds: number;
  /** Default time a sent message waits for its agent. */
  defaultTtlMs?: number;
  /** Largest frame an agent may send. */
  maxFrameBytes?: number;
  /**
   * Group commit of the agents' reports (and of their acknowledgements): reports arriving while a batch
   * is written, or within `tickMs` of the first when idle, are written in one transaction of at most
   * `maxReports`. Defaults: 500 and 2 ms.
   */
  reportBatch?: { maxReports?: number; tickMs?: number; schedule?: Schedule };
}

/** Compiled on the first frame, not at start-up (a server without agents never needs it). */
let frameCheck: ReturnType<typeof TypeCompiler.Compile<typeof AgentFrameSchema>> | undefined;
const HELLO_TIMEOUT_MS = 10_000;
const DEFAULT_TTL_MS = 3_600_000;
/** Messages read for one agent at a time; the next batch follows once these are acknowledged. */
const PENDING_BATCH = 500;
const ACTOR = 'controller/hosts';
/** Reports waiting for a batch beyond which a connection waits for its report's batch before reading on. */
const REPORT_BACKLOG = 2_000;

interface ReportItem {
  connection: Connection;
  id: string;
  channel: string;
  body: unknown;
}

interface AckItem {
  connection: Connection;
  id: string;
}

type Listener = (from: { team: string; host: string }, body: unknown) => void | Promise<void>;

class Connection {
  /** Frames are handled one after another: reports reach the listeners in the order the agent sent them. */
  chain: Promise<void> = Promise.resolve();
  ready = false;
  lastFrameAt: number;
  /** Message ids sent on this connection and not yet acknowledged. */
  readonly inFlight = new Set<string>();
  delivering = false;
  deliverAgain = false;
  /** The last read hit its limit: more rows wait behind those in flight. */
  moreWaiting = false;

  constructor(
    readonly team: string,
    readonly host: string,
    public credentialId: string,
    readonly socket: WebSocket,
    now: number,
  ) {
    this.lastFrameAt = now;
  }

  get key(): string {
    return hostKey(this.team, this.host);
  }

  sendFrame(frame: ServerFrame): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(frame));
  }
}

const hostKey = (team: string, host: string): string => `${team}/${host}`;

/**
 * Holds the agents' WebSockets on this server: hello and heartbeats (written in batches), the hosts'
 * Online/Offline transitions, revocation, and the generic message channels (AgentPort). Messages for an
 * agent are rows in `agent_messages`; a server that queues one for an agent held by another server tells
 * it with a signal (PostgreSQL NOTIFY), and that server delivers it.
 */
export class AgentHub implements AgentPort {
  readonly #options: AgentHubOptions;
  readonly #wss: WebSocketServer;
  readonly #connections = new Map<string, Connection>();
  /** Hosts connected to other servers, as their signals told. */
  readonly #remote = new Map<string, string>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #batchListeners = new Map<string, Set<ReportBatchListener>>();
  readonly #reports: GroupCommit<ReportItem>;
  readonly #acks: GroupCommit<AckItem>;
  readonly #heartbeats = new Map<string, HeartbeatUpdate>();
  readonly #offline = new Set<(host: HostTransition) => void>();
  readonly #online = new Set<(host: HostTransition) => void>();
  #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(options: AgentHubOptions) {
    this.#options = options;
    this.#wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: options.maxFrameBytes ?? 1024 * 1024,
      clientTracking: false,
    });
    const batch = {
      maxItems: options.reportBatch?.maxReports ?? 500,
      tickMs: options.reportBatch?.tickMs ?? 2,
      ...(options.reportBatch?.schedule ? { schedule: options.reportBatch.schedule } : {}),
    };
    this.#reports = new GroupCommit({ ...batch, commit: (items) => this.#commitReports(items) });
    this.#acks = new GroupCommit({ ...batch, commit: (items) => this.#commitAcks(items) });
  }

  /** Number of agent connections this server holds. */
  get size(): number {
    return this.#connections.size;
  }

  /** Listens to the other servers and starts the heartbeat flush and the offline sweep. */
  async start(
    timers: { flushMs: number; sweepMs: number } = { flushMs: 5_000, sweepMs: 10_000 },
  ): Promise<void> {
    await this.#options.repository.disconnectAll(this.#options.serverId);
    await this.#options.signals.subscribe(
      (signal) => this.#onSignal(signal),
      (error) => this.#options.logger.warn({ err: error }, 'agent signals interrupted'),
    );
    const every = (ms: number, task: () => Promise<void>, what: string) => {
      const timer = setInterval(() => {
        void task().catch((error: unknown) => this.#options.logger.warn({ err: error }, `${what} failed`));
      }, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(timers.flushMs, () => this.flush(), 'agent heartbeat flush');
    every(timers.sweepMs, () => this.sweep(), 'host offline sweep');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    for (const connection of this.#connections.values())
      connection.socket.close(AgentCloseCodes.goingAway, 'server shutting down');
    await this.#reports.close();
    await this.#acks.close();
    await this.flush().catch(() => undefined);
    await this.#options.repository.disconnectAll(this.#options.serverId).catch(() => undefined);
    this.#connections.clear();
    await this.#options.signals.close();
  }

  /**
   * Closes every agent connection (going away: they reconnect with backoff), terminating those that do
   * not finish the close handshake within `graceMs`. The HTTP server cannot stop while they are open.
   */
  async disconnectAll(graceMs = 2_000): Promise<void> {
    const sockets = [...this.#connections.values()].map((connection) => connection.socket);
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === socket.CLOSED) return resolve();
            const timer = setTimeout(() => socket.terminate(), graceMs);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            socket.close(AgentCloseCodes.goingAway, 'server shutting down');
          }),
      ),
    );
  }

  onHostOffline(listener: (host: HostTransition) => void): () => void {
    this.#offline.add(listener);
    return () => this.#offline.delete(listener);
  }

  onHostOnline(listener: (host: HostTransition) => void): () => void {
    this.#online.add(listener);
    return () => this.#online.delete(listener);
  }

  // AgentPort.

  connected(team: string, host: string): boolean {
    const key = hostKey(team, host);
    return this.#connections.has(key) || this.#remote.has(key);
  }

  async send(
    team: string,
    host: string,
    channel: string,
    body: unknown,
    options: { ttlMs?: number } = {},
  ): Promise<boolean> {
    const { repository, now } = this.#options;
    if (!(await repository.host(team, host))) return false;
    const at = now();
    await repository.enqueue({
      id: randomUUID(),
      team,
      host,
      channel,
      body: JSON.stringify(body ?? null),
      created_at: at,
      expires_at: at + (options.ttlMs ?? this.#options.defaultTtlMs ?? DEFAULT_TTL_MS),
    });
    const connection = this.#connections.get(hostKey(team, host));
    if (connection?.ready) this.#deliver(connection);
    else if (!connection) await this.#options.signals.publish({ type: 'message', team, host });
    return true;
  }

  async sendMany(
    team: string,
    messages: readonly OutgoingMessage[],
    options: { ttlMs?: number } = {},
  ): Promise<boolean[]> {
    if (messages.length === 0) return [];
    const { repository, now } = this.#options;
    const hosts = [...new Set(messages.map((message) => message.host))];
    const known = await repository.existingHosts(team, hosts);
    const at = now();
    const expires = at + (options.ttlMs ?? this.#options.defaultTtlMs ?? DEFAULT_TTL_MS);
    await repository.enqueueMany(
      messages
        .filter((message) => known.has(message.host))
        .map((message) => ({
          id: randomUUID(),
          team,
          host: message.host,
          channel: message.channel,
          body: JSON.stringify(message.body ?? null),
          created_at: at,
          expires_at: expires,
        })),
    );
    const here: Connection[] = [];
    const elsewhere: string[] = [];
    for (const host of hosts) {
      if (!known.has(host)) continue;
      const connection = this.#connections.get(hostKey(team, host));
      if (connection?.ready) here.push(connection);
      else if (!connection) elsewhere.push(host);
    }
    this.#deliverMany(team, here);
    for (const group of notifyGroups(elsewhere))
      await this.#options.signals.publish({ type: 'messages', team, hosts: group });
    return messages.map((message) => known.has(message.host));
  }

  onMessage(channel: string, listener: Listener): () => void {
    let listeners = this.#listeners.get(channel);
    if (!listeners) this.#listeners.set(channel, (listeners = new Set()));
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  async silentSince(team: string, hosts: readonly string[]): Promise<Map<string, number>> {
    const since = new Map<string, number>();
    const away = hosts.filter((host) => !this.connected(team, host));
    for (const [host, at] of await this.#options.repository.lastHeartbeats(team, away))
      since.set(host, at + this.#options.heartbeatSeconds * 1000);
    return since;
  }

  onReports(channel: string, listener: ReportBatchListener): () => void {
    let listeners = this.#batchListeners.get(channel);
    if (!listeners) this.#batchListeners.set(channel, (listeners = new Set()));
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  // Revocation.

  /** Closes the host's connection at once, here and on every other server. */
  async revoke(team: string, host: string): Promise<void> {
    this.#closeRevoked(team, host);
    await this.#options.signals.publish({ type: 'revoked', team, host });
  }

  /** Rotation gave the host a new credential: its open connection now stands for that one. */
  rotated(team: string, host: string, credentialId: string): void {
    const connection = this.#connections.get(hostKey(team, host));
    if (connection) connection.credentialId = credentialId;
  }

  // The WebSocket upgrade.

  /** Handles `GET /api/agent/connect` with `Upgrade: websocket` (the credential in Authorization). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closed) {
      refuseUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    void this.#options.access.authenticate(request.headers.authorization).then(
      (credential) => {
        this.#wss.handleUpgrade(request, socket, head, (ws) => {
          this.#attach(
            new Connection(credential.team, credential.host, credential.id, ws, this.#options.now()),
          );
        });
      },
      (error: unknown) => {
        if (isGantryError(error) && error.status === 401) refuseUpgrade(socket, 401, 'Unauthorized');
        else {
          this.#options.logger.warn({ err: error }, 'agent upgrade failed');
          refuseUpgrade(socket, 503, 'Service Unavailable');
        }
      },
    );
  }

  #attach(connection: Connection): void {
    const { socket } = connection;
    const previous = this.#connections.get(connection.key);
    if (previous) previous.socket.close(AgentCloseCodes.replaced, 'replaced by a newer connection');
    this.#connections.set(connection.key, connection);
    const helloTimer = setTimeout(() => socket.close(AgentCloseCodes.badFrame, 'no hello'), HELLO_TIMEOUT_MS);
    helloTimer.unref();
    socket.on('message', (data: RawData, isBinary: boolean) => {
      connection.lastFrameAt = this.#options.now();
      let frame: AgentFrame;
      try {
        if (isBinary) throw new Error('binary frame');
        const parsed: unknown = JSON.parse(rawText(data));
        frameCheck ??= TypeCompiler.Compile(AgentFrameSchema);
        if (!frameCheck.Check(parsed)) throw new Error('not a frame');
        frame = parsed;
      } catch {
        socket.close(AgentCloseCodes.badFrame, 'unreadable frame');
        return;
      }
      connection.chain = connection.chain
        .then(() => this.#handle(connection, frame, helloTimer))
        .catch((error: unknown) => {
          this.#options.logger.warn({ err: error, host: connection.key }, 'agent frame failed');
          socket.close(AgentCloseCodes.goingAway, 'server error');
        });
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(helloTimer);
      if (this.#connections.get(connection.key) !== connection) return;
      this.#connections.delete(connection.key);
      if (this.#closed) return;
      const { repository, signals, serverId, logger } = this.#options;
      const report = (error: unknown) => logger.warn({ err: error }, 'agent disconnect not recorded');
      repository.disconnected(connection.team, connection.host, serverId).catch(report);
      signals
        .publish({ type: 'disconnected', team: connection.team, host: connection.host, server: serverId })
        .catch(report);
    });
  }

  async #handle(connection: Connection, frame: AgentFrame, helloTimer: NodeJS.Timeout): Promise<void> {
    const { repository, now } = this.#options;
    if (frame.type === 'hello') {
      clearTimeout(helloTimer);
      const at = now();
      const existing = await repository.host(connection.team, connection.host);
      // The join token's labels stay; the agent's own (its config) are laid over them.
      const labels = {
        ...(existing ? (JSON.parse(existing.labels) as Record<string, string>) : {}),
        ...frame.labels,
      };
      const cameOnline = await repository.connected(connection.team, connection.host, {
        server: this.#options.serverId,
        now: at,
        labels: JSON.stringify(labels),
        facts: JSON.stringify(frame.facts),
        agentVersion: frame.agentVersion,
      });
      connection.ready = true;
      connection.sendFrame({
        type: 'welcome',
        team: connection.team,
        host: connection.host,
        serverTime: at,
        heartbeatSeconds: this.#options.heartbeatSeconds,
      });
      await this.#options.signals.publish({
        type: 'connected',
        team: connection.team,
        host: connection.host,
        server: this.#options.serverId,
      });
      if (cameOnline) this.#transition('online', connection.team, connection.host, at);
      this.#deliver(connection);
      return;
    }
    if (!connection.ready) {
      connection.socket.close(AgentCloseCodes.badFrame, 'hello first');
      return;
    }
    if (frame.type === 'heartbeat') {
      const at = now();
      this.#heartbeats.set(connection.key, {
        team: connection.team,
        host: connection.host,
        at,
        ...(frame.facts ? { facts: JSON.stringify(frame.facts) } : {}),
      });
      connection.sendFrame({ type: 'pong', serverTime: at });
    } else if (frame.type === 'ack') {
      // The id stays in flight until its row is deleted, so a delivery pass meanwhile does not resend it.
      void this.#acks.add({ connection, id: frame.id }).then(() => {
        connection.inFlight.delete(frame.id);
        if (connection.moreWaiting && connection.inFlight.size === 0) this.#deliver(connection);
      });
    } else {
      // Acknowledged when its batch has committed. Frames read on meanwhile (the next reports join the
      // same or the next batch, in order) unless the batches fall behind.
      const written = this.#reports.add({
        connection,
        id: frame.id,
        channel: frame.channel,
        body: frame.body,
      });
      if (this.#reports.backlog > REPORT_BACKLOG) await written;
    }
  }

  /**
   * One group commit of reports: their receipts (once per id) and the batch listeners' writes in one
   * transaction, then the per-report listeners, then an acknowledgement to each agent. On a failure the
   * reports are tried one at a time, so one bad report does not hold back the others.
   */
  async #commitReports(items: ReportItem[]): Promise<void> {
    try {
      await this.#writeReports(items);
    } catch (error) {
      if (items.length === 1) {
        // Not acknowledged: the agent sends it again, and the listeners get another go.
        this.#options.logger.warn(
          { err: error, channel: items[0]!.channel, host: items[0]!.connection.key },
          'agent report listener failed',
        );
        return;
      }
      for (const item of items) await this.#commitReports([item]);
    }
  }

  async #writeReports(items: ReportItem[]): Promise<void> {
    const { repository, now } = this.#options;
    const keyOf = (item: ReportItem) =>
      receiptKey({ team: item.connection.team, host: item.connection.host, id: item.id });
    const afterCommit: (() => void)[] = [];
    const fresh = await repository.transaction(async (tx) => {
      const received = await repository.within(tx).receiveMany(
        items.map((item) => ({ team: item.connection.team, host: item.connection.host, id: item.id })),
        now(),
      );
      const byChannel = new Map<string, AgentReport[]>();
      const seen = new Set<string>();
      for (const item of items) {
        const key = keyOf(item);
        if (!received.has(key) || seen.has(key)) continue;
        seen.add(key);
        const reports = byChannel.get(item.channel) ?? [];
        reports.push({ from: { team: item.connection.team, host: item.connection.host }, body: item.body });
        byChannel.set(item.channel, reports);
      }
      for (const [channel, reports] of byChannel)
        for (const listener of this.#batchListeners.get(channel) ?? []) {
          const after = await listener(reports, tx);
          if (after) afterCommit.push(after);
        }
      return received;
    });
    for (const after of afterCommit) {
      try {
        after();
      } catch (error) {
        this.#options.logger.warn({ err: error }, 'agent report follow-up failed');
      }
    }
    const handled = new Set<string>();
    for (const item of items) {
      const key = keyOf(item);
      if (fresh.has(key) && !handled.has(key)) {
        handled.add(key);
        try {
          for (const listener of this.#listeners.get(item.channel) ?? [])
            await listener({ team: item.connection.team, host: item.connection.host }, item.body);
        } catch (error) {
          // Not acknowledged: the agent sends it again, and the listeners get another go.
          await repository.forgetReceipt(item.connection.team, item.connection.host, item.id);
          this.#options.logger.warn(
            { err: error, channel: item.channel, host: item.connection.key },
            'agent report listener failed',
          );
          continue;
        }
      }
      item.connection.sendFrame({ type: 'ack', id: item.id });
    }
  }

  /** The agents' acknowledgements of one batch: their messages deleted together. */
  async #commitAcks(items: AckItem[]): Promise<void> {
    try {
      await this.#options.repository.acknowledgeMany(
        items.map((item) => ({ team: item.connection.team, host: item.connection.host, id: item.id })),
      );
    } catch (error) {
      // The messages stay; they are sent again on the next connection and the agent drops the repeat.
      this.#options.logger.warn({ err: error }, 'agent acknowledgements not recorded');
    }
  }

  /** Sends the host's waiting messages in order; one pass at a time per connection. */
  #deliver(connection: Connection): void {
    if (connection.delivering) {
      connection.deliverAgain = true;
      return;
    }
    connection.delivering = true;
    const run = async (): Promise<void> => {
      do {
        connection.deliverAgain = false;
        const rows = await this.#options.repository.pending(
          connection.team,
          connection.host,
          this.#options.now(),
          PENDING_BATCH,
        );
        this.#sendRows(connection, rows);
      } while (connection.deliverAgain && this.#connections.get(connection.key) === connection);
    };
    run()
      .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'agent message delivery failed'))
      .finally(() => (connection.delivering = false));
  }

  /**
   * `#deliver` for many connections of one team with one read of their queues; a connection already in a
   * delivery pass is told to go again instead, and one whose queue had more goes on by itself.
   */
  #deliverMany(team: string, connections: readonly Connection[]): void {
    const batch: Connection[] = [];
    for (const connection of connections) {
      if (connection.delivering) connection.deliverAgain = true;
      else {
        connection.delivering = true;
        batch.push(connection);
      }
    }
    if (batch.length === 0) return;
    const run = async (): Promise<void> => {
      const rows = await this.#options.repository.pendingMany(
        team,
        batch.map((connection) => connection.host),
        this.#options.now(),
      );
      const byHost = new Map<string, AgentMessageRow[]>();
      for (const row of rows) {
        const queue = byHost.get(row.host) ?? [];
        queue.push(row);
        byHost.set(row.host, queue);
      }
      for (const connection of batch) this.#sendRows(connection, byHost.get(connection.host) ?? []);
    };
    run()
      .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'agent message delivery failed'))
      .finally(() => {
        for (const connection of batch) {
          connection.delivering = false;
          if (connection.deliverAgain && this.#connections.get(connection.key) === connection)
            this.#deliver(connection);
        }
      });
  }

  /** Sends a host's waiting rows (oldest first) that are not in flight, up to `PENDING_BATCH`. */
  #sendRows(connection: Connection, rows: readonly AgentMessageRow[]): void {
    connection.moreWaiting = rows.length >= PENDING_BATCH;
    for (const row of rows.slice(0, PENDING_BATCH)) {
      if (connection.inFlight.has(row.id)) continue;
      connection.inFlight.add(row.id);
      connection.sendFrame({
        type: 'message',
        id: row.id,
        channel: row.channel,
        body: JSON.parse(row.body) as unknown,
      });
    }
  }

  #onSignal(signal: HubSignal): void {
    if (signal.type === 'messages') {
      const here: Connection[] = [];
      for (const host of signal.hosts) {
        const connection = this.#connections.get(hostKey(signal.team, host));
        if (connection?.ready) here.push(connection);
      }
      this.#deliverMany(signal.team, here);
      return;
    }
    const key = hostKey(signal.team, signal.host);
    if (signal.type === 'message') {
      const connection = this.#connections.get(key);
      if (connection?.ready) this.#deliver(connection);
    } else if (signal.type === 'revoked') {
      this.#closeRevoked(signal.team, signal.host);
    } else if (signal.type === 'connected') {
      if (signal.server === this.#options.serverId) return;
      this.#remote.set(key, signal.server);
      // The agent moved to another server: a connection still held here is stale.
      this.#connections.get(key)?.socket.close(AgentCloseCodes.replaced, 'connected to another server');
    } else if (this.#remote.get(key) === signal.server) {
      this.#remote.delete(key);
    }
  }

  #closeRevoked(team: string, host: string): void {
    const connection = this.#connections.get(hostKey(team, host));
    if (!connection) return;
    connection.socket.close(AgentCloseCodes.revoked, 'credential revoked');
    this.#options.recorder.record({
      type: 'Warning',
      reason: HostReasons.revoked,
      message: `the agent of host ${host} was disconnected: its credential was revoked`,
      regarding: { kind: 'Host', name: host, team },
      actor: ACTOR,
    });
  }

  /**
   * Writes the heartbeats received since the last flush in one transaction, and closes connections whose
   * credential was revoked elsewhere, or that have been silent past the offline threshold.
   */
  async flush(): Promise<void> {
    const updates = [...this.#heartbeats.values()];
    this.#heartbeats.clear();
    const { repository, now, serverId, offlineAfterSeconds } = this.#options;
    await repository.heartbeats(updates);
    if (updates.length > 0) {
      const at = now();
      for (const host of await repository.markOnlineAgain(serverId, at - offlineAfterSeconds * 1000, at))
        if (this.#connections.has(hostKey(host.team, host.name)))
          this.#transition('online', host.team, host.name, at);
    }
    const connections = [...this.#connections.values()];
    const invalid = new Set(
      await this.#options.repository.invalidCredentials(
        connections.map((connection) => connection.credentialId),
        this.#options.now(),
      ),
    );
    const silentSince = this.#options.now() - this.#options.offlineAfterSeconds * 1000;
    for (const connection of connections) {
      if (invalid.has(connection.credentialId)) this.#closeRevoked(connection.team, connection.host);
      else if (connection.lastFrameAt < silentSince) connection.socket.terminate();
    }
  }

  /** Marks Offline the hosts whose heartbeats stopped; prunes expired messages, receipts and tokens. */
  async sweep(): Promise<void> {
    const { repository, now } = this.#options;
    const at = now();
    for (const host of await repository.markOffline(at - this.#options.offlineAfterSeconds * 1000, at))
      this.#transition('offline', host.team, host.name, at);
    await repository.deleteMessagesExpiredBefore(at);
    await repository.deleteReceiptsBefore(at - 7 * 86_400_000);
    await repository.deleteJoinTokensExpiredBefore(at - 7 * 86_400_000);
    await repository.deleteCredentialsExpiredBefore(at - 86_400_000);
  }

  #transition(to: 'online' | 'offline', team: string, name: string, at: number): void {
    this.#options.recorder.record(
      to === 'online'
        ? {
            type: 'Normal',
            reason: HostReasons.online,
            message: `host ${name} is online`,
            regarding: { kind: 'Host', name, team },
            actor: ACTOR,
          }
        : {
            type: 'Warning',
            reason: HostReasons.offline,
            message: `host ${name} is offline: no heartbeat for ${this.#options.offlineAfterSeconds}s`,
            regarding: { kind: 'Host', name, team },
            actor: ACTOR,
          },
    );
    for (const listener of to === 'online' ? this.#online : this.#offline) {
      try {
        listener({ team, name, at });
      } catch (error) {
        this.#options.logger.warn({ err: error }, `host ${to} listener failed`);
      }
    }
  }
}

/** Host names in groups whose `messages` signal stays well under NOTIFY's 8,000-byte payload. */
function notifyGroups(hosts: readonly string[]): string[][] {
  const groups: string[][] = [];
  let group: string[] = [];
  let bytes = 0;
  for (const host of hosts) {
    const size = Buffer.byteLength(host) + 3;
    if (group.length > 0 && bytes + size > 6_000) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(host);
    bytes += size;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
