import { readFileSync } from 'node:fs';
import type http from 'node:http';
import WebSocket from 'ws';
import type { AgentCredentialGrant, AgentFrame, HostFacts, ServerFrame } from '@gantry/model';
import { AGENT_CONNECT_PATH, AgentCloseCodes } from '@gantry/model/agent-wire';
import { fullJitterDelay } from './backoff.ts';
import { collectFacts } from './facts.ts';
import { agentFor, HttpStatusError, postJson } from './network.ts';
import { Outbox } from './outbox.ts';
import { ensureWorkDir, readCredential, writeCredential, type StoredCredential } from './work-dir.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type AgentLogger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export interface AgentOptions {
  /** The Gantry server, `https://gantry.example.com`. */
  server: string;
  /** Needed on the first start only: exchanged for the agent's own credential. */
  joinToken?: string;
  workDir: string;
  name: string;
  labels: Record<string, string>;
  /** A PEM file of the CA to trust instead of the system's (pinning the server's CA). */
  caFile?: string;
  version: string;
  /** The agent's clock; only ever used for its own timers and logs, never to decide with the server. */
  now?: () => number;
  random?: () => number;
  logger?: AgentLogger;
  env?: NodeJS.ProcessEnv;
  /** Every how many heartbeats the facts are sent again (disk usage moves). */
  factsEveryHeartbeats?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
}

/** Why the agent stopped on its own. */
export class AgentRefusedError extends Error {}

type Handler = (body: unknown) => void | Promise<void>;

const RECENT_IDS = 2000;

/**
 * The host agent: joins once, then keeps one outbound WebSocket to the server with heartbeats, delivers
 * its reports from a durable outbox, and hands the server's channel messages to their handlers.
 */
export class Agent {
  readonly #options: AgentOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #log: AgentLogger;
  readonly #server: URL;
  readonly #ca: string | undefined;
  readonly #http: http.Agent;
  readonly #outbox: Outbox;
  readonly #channels = new Map<string, Handler>();
  readonly #recent = new Set<string>();
  #credential: StoredCredential | undefined;
  #socket: WebSocket | undefined;
  #ready = false;
  /** Reports sent on this connection and not yet acknowledged: id → outbox file. */
  #sent = new Map<string, string>();
  #stopped = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;
  #facts: HostFacts | undefined;
  /** server clock - agent clock, from the last welcome or pong. */
  #skewMs = 0;
  #rotating = false;
  #messages: Promise<void> = Promise.resolve();
  #connectedListeners = new Set<() => void>();

  constructor(options: AgentOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#log = options.logger ?? (() => undefined);
    this.#server = new URL(options.server);
    this.#ca = options.caFile ? readFileSync(options.caFile, 'utf8') : undefined;
    this.#http = agentFor(this.#server, this.#ca, options.env ?? process.env);
    this.#outbox = new Outbox(options.workDir);
  }

  /** Handles the server's messages on `channel` (the jobs channel, ...); one handler a channel. */
  registerChannel(channel: string, handler: Handler): void {
    if (this.#channels.has(channel)) throw new Error(`channel ${channel} already has a handler`);
    this.#channels.set(channel, handler);
  }

  /**
   * Reports `body` on `channel`: stored in the work dir first (it survives a restart and a server that is
   * away), then delivered in order once the server is reachable, until the server acknowledges it.
   */
  async report(channel: string, body: unknown): Promise<void> {
    await this.#outbox.add(channel, body);
    this.#sendWaiting();
  }

  get connected(): boolean {
    return this.#ready;
  }

  /** How far the server's clock is ahead of this host's (ms), as of the last answer. */
  get clockSkewMs(): number {
    return this.#skewMs;
  }

  get credentialId(): string | undefined {
    return this.#credential?.credentialId;
  }

  /** Resolves the next time the agent is connected (at once when it is). */
  whenConnected(): Promise<void> {
    if (this.#ready) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = () => {
        this.#connectedListeners.delete(listener);
        resolve();
      };
      this.#connectedListeners.add(listener);
    });
  }

  /** Joins if it has no credential yet, then runs until stop(); rejects when the server refuses it for good. */
  async start(): Promise<void> {
    await ensureWorkDir(this.#options.workDir);
    await this.#outbox.open();
    this.#credential = await readCredential(this.#options.workDir);
    if (!this.#credential) await this.#join();
    this.#done = this.#run();
    // Handled here so that a refusal is not an unhandled rejection; finished() still rejects with it.
    this.#done.catch(() => undefined);
  }

  /** Resolves when the agent stops: after stop(), or rejects with AgentRefusedError. */
  finished(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#socket?.close(1000, 'agent stopping');
    this.#wake?.();
    await this.#done?.catch(() => undefined);
  }

  async #join(): Promise<void> {
    const token = this.#options.joinToken;
    if (!token)
      throw new AgentRefusedError(
        `no credential in ${this.#options.workDir} and no join token: start it with --join-token`,
      );
    this.#facts = await collectFacts();
    const grant = await postJson<AgentCredentialGrant>(
      new URL('/api/agent/join', this.#server),
      {
        token,
        name: this.#options.name,
        labels: this.#options.labels,
        agentVersion: this.#options.version,
        facts: this.#facts,
      },
      { agent: this.#http },
    ).catch((error: unknown) => {
      if (error instanceof HttpStatusError && error.status === 401)
        throw new AgentRefusedError(`join refused (${error.code ?? error.status}): ${error.message}`);
      throw error;
    });
    this.#skewMs = grant.serverTime - this.#now();
    this.#credential = await writeCredential(this.#options.workDir, this.#options.server, grant);
    this.#log('info', 'joined', { team: grant.team, host: grant.host, credential: grant.credentialId });
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stopped) {
      const outcome = await this.#connectOnce().catch((error: unknown) => {
        this.#log('warn', 'connection failed', {
          error: error instanceof Error ? error.message : String(error),
        });
        return 'failed' as const;
      });
      if (outcome === 'refused')
        throw new AgentRefusedError(
          `the server refused credential ${this.#credential?.credentialId}: it was revoked or the host deleted; join again`,
        );
      if (this.#stopped) break;
      attempt = outcome === 'welcomed' ? 0 : attempt + 1;
      const delay = fullJitterDelay(
        attempt,
        this.#random,
        this.#options.backoffBaseMs,
        this.#options.backoffCapMs,
      );
      this.#log('info', 'reconnecting', { inMs: delay });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One connection, until it closes: 'welcomed' when it got as far as the welcome. */
  #connectOnce(): Promise<'welcomed' | 'failed' | 'refused'> {
    const credential = this.#credential!;
    const url = new URL(AGENT_CONNECT_PATH, this.#server);
    url.protocol = this.#server.protocol === 'https:' ? 'wss:' : 'ws:';
    return new Promise((resolve) => {
      const socket = new WebSocket(url, {
        headers: { authorization: `Bearer ${credential.credential}` },
        agent: this.#http,
        perMessageDeflate: false,
        handshakeTimeout: 15_000,
        ...(this.#ca ? { ca: this.#ca } : {}),
      });
      this.#socket = socket;
      let welcomed = false;
      let refused = false;
      let heartbeat: NodeJS.Timeout | undefined;
      let lastAnswer = this.#now();
      socket.on('unexpected-response', (_request, response) => {
        refused = response.statusCode === 401;
        this.#log('warn', 'server refused the connection', { status: response.statusCode });
        response.resume();
        socket.terminate();
      });
      socket.on('open', () => {
        void collectFacts().then((facts) => {
          this.#facts = facts;
          this.#frame({
            type: 'hello',
            agentVersion: this.#options.version,
            labels: this.#options.labels,
            facts,
            time: this.#now(),
          });
        });
      });
      socket.on('message', (data: WebSocket.RawData) => {
        lastAnswer = this.#now();
        let frame: ServerFrame;
        try {
          frame = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : String(data)) as ServerFrame;
        } catch {
          return;
        }
        if (frame.type === 'welcome') {
          welcomed = true;
          this.#ready = true;
          this.#sent = new Map();
          this.#skewMs = frame.serverTime - this.#now();
          this.#log('info', 'connected', { host: frame.host, team: frame.team, clockSkewMs: this.#skewMs });
          let beats = 0;
          heartbeat = setInterval(() => {
            if (this.#now() - lastAnswer > frame.heartbeatSeconds * 3000) {
              this.#log('warn', 'the server stopped answering');
              socket.terminate();
              return;
            }
            beats += 1;
            const every = this.#options.factsEveryHeartbeats ?? 20;
            if (beats % every === 0)
              void collectFacts().then((facts) =>
                this.#frame({ type: 'heartbeat', time: this.#now(), facts }),
              );
            else this.#frame({ type: 'heartbeat', time: this.#now() });
            void this.#maybeRotate();
          }, frame.heartbeatSeconds * 1000);
          this.#sendWaiting();
          for (const listener of [...this.#connectedListeners]) listener();
        } else if (frame.type === 'pong') {
          this.#skewMs = frame.serverTime - this.#now();
        } else if (frame.type === 'ack') {
          void this.#acknowledged(frame.id);
        } else if (frame.type === 'message') {
          // One at a time, in the order sent: a slow handler does not let the next message overtake it.
          const { id, channel, body } = frame;
          this.#messages = this.#messages.then(() => this.#onMessage(id, channel, body));
        }
      });
      socket.on('error', (error) => this.#log('debug', 'socket error', { error: error.message }));
      socket.on('close', (code, reason) => {
        if (heartbeat) clearInterval(heartbeat);
        this.#ready = false;
        if (this.#socket === socket) this.#socket = undefined;
        if (code === AgentCloseCodes.revoked || code === AgentCloseCodes.unauthorized) refused = true;
        if (welcomed) this.#log('info', 'disconnected', { code, reason: reason.toString() });
        resolve(refused ? 'refused' : welcomed ? 'welcomed' : 'failed');
      });
    });
  }

  #frame(frame: AgentFrame): void {
    const socket = this.#socket;
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  /** Sends, in order, every waiting report not yet sent on this connection (no await: nothing overtakes). */
  #sendWaiting(): void {
    if (!this.#ready) return;
    for (const entry of this.#outbox.entries()) {
      if (this.#sent.has(entry.id)) continue;
      this.#sent.set(entry.id, entry.file);
      this.#frame({ type: 'report', id: entry.id, channel: entry.channel, body: entry.body });
    }
  }

  async #acknowledged(id: string): Promise<void> {
    const file = this.#sent.get(id);
    if (file === undefined) return;
    this.#sent.delete(id);
    await this.#outbox.remove(file);
  }

  async #onMessage(id: string, channel: string, body: unknown): Promise<void> {
    if (this.#recent.has(id)) {
      this.#frame({ type: 'ack', id });
      return;
    }
    const handler = this.#channels.get(channel);
    if (!handler) {
      // Left unacknowledged: the server offers it again on the next connection, until its ttl.
      this.#log('warn', 'message on a channel with no handler', { channel, id });
      return;
    }
    this.#recent.add(id);
    if (this.#recent.size > RECENT_IDS) this.#recent.delete(this.#recent.values().next().value!);
    try {
      await handler(body);
    } catch (error) {
      this.#log('error', 'channel handler failed', {
        channel,
        id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.#frame({ type: 'ack', id });
  }

  /** Rotates the credential once it is older than the server says, by the server's clock. */
  async #maybeRotate(): Promise<void> {
    const credential = this.#credential;
    if (!credential || this.#rotating) return;
    const serverNow = this.#now() + this.#skewMs;
    if (serverNow - credential.issuedAt < credential.rotateAfterSeconds * 1000) return;
    this.#rotating = true;
    try {
      const grant = await postJson<AgentCredentialGrant>(
        new URL('/api/agent/rotate', this.#server),
        {},
        {
          agent: this.#http,
          headers: { authorization: `Bearer ${credential.credential}` },
        },
      );
      this.#credential = await writeCredential(this.#options.workDir, this.#options.server, grant);
      this.#log('info', 'credential rotated', { credential: grant.credentialId });
    } catch (error) {
      this.#log('warn', 'credential rotation failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      this.#rotating = false;
    }
  }
}
