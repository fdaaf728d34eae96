// The agent protocol's constants, in a module without imports: the agent bundle takes these and nothing
// else of the model at run time (its types are erased), which keeps the idle agent small.

/**
 * The agent protocol (ADR 0016). The agent only ever connects out: `POST /api/agent/join` and
 * `POST /api/agent/rotate` are plain requests, and `GET /api/agent/connect` upgrades to a WebSocket that
 * carries JSON text frames both ways. Credentials are `<id>.<secret>` in `Authorization: Bearer`.
 */
export const AGENT_CONNECT_PATH = '/api/agent/connect';

/** Close codes of the agent WebSocket. */
export const AgentCloseCodes = {
  /** The credential is unknown, revoked or expired: join again. */
  unauthorized: 4401,
  /** The host was deleted or the credential revoked while connected. */
  revoked: 4403,
  /** Another connection of the same host replaced this one. */
  replaced: 4409,
  /** A frame the server could not read. */
  badFrame: 4400,
  /** The server is shutting down: reconnect (with backoff). */
  goingAway: 1001,
} as const;

/** The channel job commands and reports travel on (ADR 0017). */
export const JOBS_CHANNEL = 'jobs';
