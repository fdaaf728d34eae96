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
  /** Messages agents report on a channel; once per message id. */
  onMessage(
    channel: string,
    listener: (from: { team: string; host: string }, body: unknown) => void | Promise<void>,
  ): () => void;
}

/** A server without an agent transport: no host is connected, and nothing can be sent. */
export const NO_AGENTS: AgentPort = {
  connected: () => false,
  send: () => Promise.resolve(false),
  onMessage: () => () => undefined,
};
