import { Type, type Static } from '@sinclair/typebox';
import { HostFacts, HostLabels } from './hosts.ts';

/**
 * The agent protocol (ADR 0016). The agent only ever connects out: `POST /api/agent/join` and
 * `POST /api/agent/rotate` are plain requests, and `GET /api/agent/connect` upgrades to a WebSocket that
 * carries JSON text frames both ways. Credentials are `<id>.<secret>` in `Authorization: Bearer`.
 */
export { AGENT_CONNECT_PATH, AgentCloseCodes } from './agent-wire.ts';

const HostName = Type.String({ pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$', maxLength: 253 });

export const AgentJoinRequest = Type.Object(
  {
    token: Type.String({ maxLength: 200 }),
    name: HostName,
    labels: Type.Optional(HostLabels),
    agentVersion: Type.String({ maxLength: 50 }),
    facts: Type.Optional(HostFacts),
  },
  { additionalProperties: false },
);
export type AgentJoinRequest = Static<typeof AgentJoinRequest>;

/** The agent's own credential, `<id>.<secret>`, with what the agent should know of the server. */
export const AgentCredentialGrant = Type.Object(
  {
    credential: Type.String(),
    credentialId: Type.String(),
    team: Type.String(),
    host: Type.String(),
    /** Server time (ms since the epoch): the only clock that decides anything. */
    serverTime: Type.Number(),
    heartbeatSeconds: Type.Integer(),
    rotateAfterSeconds: Type.Integer(),
  },
  { additionalProperties: false },
);
export type AgentCredentialGrant = Static<typeof AgentCredentialGrant>;

// Frames, agent to server.
export const AgentHello = Type.Object(
  {
    type: Type.Literal('hello'),
    agentVersion: Type.String({ maxLength: 50 }),
    labels: HostLabels,
    facts: HostFacts,
    /** The agent's clock, for the skew shown to operators; never used to decide anything. */
    time: Type.Number(),
  },
  { additionalProperties: false },
);
export const AgentHeartbeat = Type.Object(
  { type: Type.Literal('heartbeat'), time: Type.Number(), facts: Type.Optional(HostFacts) },
  { additionalProperties: false },
);
export const AgentReport = Type.Object(
  {
    type: Type.Literal('report'),
    id: Type.String({ minLength: 1, maxLength: 100 }),
    channel: Type.String({ minLength: 1, maxLength: 63 }),
    body: Type.Unknown(),
  },
  { additionalProperties: false },
);
export const AgentAck = Type.Object(
  { type: Type.Literal('ack'), id: Type.String({ maxLength: 100 }) },
  { additionalProperties: false },
);
export const AgentFrame = Type.Union([AgentHello, AgentHeartbeat, AgentReport, AgentAck]);
export type AgentFrame = Static<typeof AgentFrame>;

// Frames, server to agent.
export const ServerWelcome = Type.Object(
  {
    type: Type.Literal('welcome'),
    team: Type.String(),
    host: Type.String(),
    serverTime: Type.Number(),
    heartbeatSeconds: Type.Integer(),
  },
  { additionalProperties: false },
);
export const ServerMessage = Type.Object(
  { type: Type.Literal('message'), id: Type.String(), channel: Type.String(), body: Type.Unknown() },
  { additionalProperties: false },
);
export const ServerAck = AgentAck;
/** Heartbeat answer: the server's time, so the agent can tell its operator how far off its clock is. */
export const ServerPong = Type.Object(
  { type: Type.Literal('pong'), serverTime: Type.Number() },
  { additionalProperties: false },
);
export const ServerFrame = Type.Union([ServerWelcome, ServerMessage, ServerAck, ServerPong]);
export type ServerFrame = Static<typeof ServerFrame>;
