import type { StoreTransaction } from '@gantry/store';

/** A report as a batch listener receives it. */
export interface AgentReport {
  from: { team: string; host: string };
  body: unknown;
}

/**
 * Reports of one group commit, in arrival order; `tx` is the transaction they commit in (undefined when
 * the transport has none: the listener writes in a transaction of its own). The returned function runs
 * after the commit; the reports are acknowledged after it.
 */
export type ReportBatchListener = (
  reports: readonly AgentReport[],
  tx: StoreTransaction | undefined,
) => Promise<(() => void) | void>;

/**
 * The transport between the server and the hosts' agents, as the jobs code needs it. `@gantry/hosts`
 * implements it over the agents' connections; `MemoryAgentPort` implements it in one process for tests
 * and the bench.
 */
export interface AgentPort {
  connected(team: string, host: string): boolean;
  /** Queues a message for the host's agent on a channel; at least once, in order; false when the host is unknown. */
  send(
    team: string,
    host: string,
    channel: string,
    body: unknown,
    options?: { ttlMs?: number },
  ): Promise<boolean>;
  /** `send` for many hosts of one team at once; per message, whether its host is known. */
  sendMany(
    team: string,
    messages: readonly { host: string; channel: string; body: unknown }[],
    options?: { ttlMs?: number },
  ): Promise<boolean[]>;
  /**
   * Per host of `hosts` whose agent is not connected, the time (ms) by which it had certainly fallen
   * silent, from what is stored (its last heartbeat plus one heartbeat interval: alive, it would have
   * sent another); absent when nothing is known. Lets a new leader carry on a lost timer instead of
   * starting it again.
   */
  silentSince(team: string, hosts: readonly string[]): Promise<Map<string, number>>;
  /** Messages agents report on a channel; once per message id. */
  onMessage(
    channel: string,
    listener: (from: { team: string; host: string }, body: unknown) => void | Promise<void>,
  ): () => void;
  /** Messages agents report on a channel, in batches written in one transaction (group commit). */
  onReports(channel: string, listener: ReportBatchListener): () => void;
}

/** A server without an agent transport: no host is connected, and nothing can be sent. */
export const NO_AGENTS: AgentPort = {
  connected: () => false,
  send: () => Promise.resolve(false),
  sendMany: (_team, messages) => Promise.resolve(messages.map(() => false)),
  onMessage: () => () => undefined,
  onReports: () => () => undefined,
  silentSince: () => Promise.resolve(new Map()),
};
