import type { AgentPort, AgentReport, ReportBatchListener } from './agent-port.ts';

type Listener = (from: { team: string; host: string }, body: unknown) => void | Promise<void>;

/** The agent's end of a `MemoryAgentPort` connection. */
export interface MemoryAgentLink {
  /** What the agent reports; kept (in order) while no server listens, like the real agent's buffer. */
  report(channel: string, body: unknown): void;
  /** The agent goes away (killed): nothing reaches it any more; messages to it wait in its queue. */
  disconnect(): void;
}

interface HostEntry {
  team: string;
  host: string;
  handlers: Map<string, (body: unknown) => void> | undefined;
  /** When its agent disconnected (the in-memory stand-in for the stored last heartbeat). */
  goneAt?: number;
  queue: { channel: string; body: unknown; expiresAt: number }[];
}

/**
 * The agent transport in one process, for tests and the bench: the server side (`AgentPort`) and, per
 * host, the agent side (`connect`), with the same promises as the real one — messages to an agent queue
 * while it is away and arrive in order once it is back; reports wait while no server listens (a server
 * restart) and are delivered in order: to batch listeners (`onReports`) as many as are waiting, up to
 * `maxBatch` (a batch that fails is tried again one report at a time), to the others one by one.
 */
export class MemoryAgentPort implements AgentPort {
  readonly #hosts = new Map<string, HostEntry>();
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #batchListeners = new Map<string, Set<ReportBatchListener>>();
  readonly #pendingReports: { channel: string; from: { team: string; host: string }; body: unknown }[] = [];
  #delivering: Promise<void> = Promise.resolve();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxBatch = 500,
  ) {}

  /** Makes `host` known to `team` (as enrolling an agent would), connected or not. */
  register(team: string, host: string): void {
    const key = `${team}/${host}`;
    if (!this.#hosts.has(key)) this.#hosts.set(key, { team, host, handlers: undefined, queue: [] });
  }

  /** The agent of `host` connects with its channel handlers; returns its end of the link. */
  connect(team: string, host: string, handlers: Record<string, (body: unknown) => void>): MemoryAgentLink {
    this.register(team, host);
    const entry = this.#hosts.get(`${team}/${host}`)!;
    entry.handlers = new Map(Object.entries(handlers));
    delete entry.goneAt;
    this.#flushToAgent(entry);
    return {
      report: (channel, body) => {
        this.#pendingReports.push({ channel, from: { team, host }, body });
        this.#deliverReports();
      },
      disconnect: () => {
        entry.handlers = undefined;
        entry.goneAt = this.now();
      },
    };
  }

  connected(team: string, host: string): boolean {
    return this.#hosts.get(`${team}/${host}`)?.handlers !== undefined;
  }

  send(
    team: string,
    host: string,
    channel: string,
    body: unknown,
    options?: { ttlMs?: number },
  ): Promise<boolean> {
    const entry = this.#hosts.get(`${team}/${host}`);
    if (!entry) return Promise.resolve(false);
    entry.queue.push({ channel, body, expiresAt: options?.ttlMs ? this.now() + options.ttlMs : Infinity });
    queueMicrotask(() => this.#flushToAgent(entry));
    return Promise.resolve(true);
  }

  async sendMany(
    team: string,
    messages: readonly { host: string; channel: string; body: unknown }[],
    options?: { ttlMs?: number },
  ): Promise<boolean[]> {
    const sent: boolean[] = [];
    for (const message of messages)
      sent.push(await this.send(team, message.host, message.channel, message.body, options));
    return sent;
  }

  silentSince(team: string, hosts: readonly string[]): Promise<Map<string, number>> {
    const since = new Map<string, number>();
    for (const host of hosts) {
      const entry = this.#hosts.get(`${team}/${host}`);
      if (entry && !entry.handlers && entry.goneAt !== undefined) since.set(host, entry.goneAt);
    }
    return Promise.resolve(since);
  }

  onMessage(channel: string, listener: Listener): () => void {
    const set = this.#listeners.get(channel) ?? new Set<Listener>();
    set.add(listener);
    this.#listeners.set(channel, set);
    this.#deliverReports();
    return () => set.delete(listener);
  }

  onReports(channel: string, listener: ReportBatchListener): () => void {
    const set = this.#batchListeners.get(channel) ?? new Set<ReportBatchListener>();
    set.add(listener);
    this.#batchListeners.set(channel, set);
    this.#deliverReports();
    return () => set.delete(listener);
  }

  /** Resolves once every report that has a listener has been handled. */
  async settled(): Promise<void> {
    for (;;) {
      const current = this.#delivering;
      await current;
      if (current === this.#delivering) return;
    }
  }

  #flushToAgent(entry: HostEntry): void {
    while (entry.handlers && entry.queue.length > 0) {
      const message = entry.queue.shift()!;
      if (message.expiresAt < this.now()) continue;
      entry.handlers.get(message.channel)?.(message.body);
    }
  }

  #deliverReports(): void {
    this.#delivering = this.#delivering.then(async () => {
      let limit = this.maxBatch;
      while (this.#pendingReports.length > 0) {
        const { channel } = this.#pendingReports[0]!;
        const listeners = [...(this.#listeners.get(channel) ?? [])];
        const batchListeners = [...(this.#batchListeners.get(channel) ?? [])];
        if (listeners.length + batchListeners.length === 0) return;
        let count = 0;
        while (
          count < limit &&
          count < this.#pendingReports.length &&
          this.#pendingReports[count]!.channel === channel
        )
          count++;
        const batch = this.#pendingReports.slice(0, count);
        try {
          const reports: AgentReport[] = batch.map(({ from, body }) => ({ from, body }));
          const afterCommit: (() => void)[] = [];
          for (const listener of batchListeners) {
            const after = await listener(reports, undefined);
            if (after) afterCommit.push(after);
          }
          for (const after of afterCommit) after();
          for (const report of batch)
            for (const listener of listeners) await listener(report.from, report.body);
        } catch {
          // One report at a time now, so that one that fails does not hold back the others.
          if (count > 1) {
            limit = 1;
            continue;
          }
          // At least once: a report whose handling failed (a server going down) is delivered again.
          setTimeout(() => this.#deliverReports(), 100).unref();
          return;
        }
        this.#pendingReports.splice(0, count);
      }
    });
  }
}
