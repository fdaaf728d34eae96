import {
  AuthenticationError,
  ErrorCodes,
  GantryError,
  NotFoundError,
  type AgentCredentialGrant,
  type AgentJoinRequest,
  type JoinToken,
  type JoinTokenCreate,
  type JoinTokenCreated,
} from '@gantry/model';
import type { AgentCredentialRow, HostRepository } from '@gantry/store';
import { joinTokenFromRow, joinTokenState } from './records.ts';
import { hashSecret, newToken, secretMatches, splitToken } from './secrets.ts';

export interface AgentAccessOptions {
  now: () => number;
  heartbeatSeconds: number;
  /** How long an agent keeps a credential before it asks for a new one. */
  rotateAfterSeconds: number;
  /** How long a credential replaced by rotation keeps working (the agent may be mid-write). */
  rotationGraceSeconds: number;
  /** Whether a team exists (join tokens are made for existing teams only); absent: every team does. */
  teamExists?: (team: string) => Promise<boolean>;
}

export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 86_400;

/**
 * Join tokens (a team admin's, one-time, expiring, revocable) and the agent credentials they are exchanged
 * for. Every time here is the server's: an agent's clock decides nothing.
 */
export class AgentAccess {
  constructor(
    private readonly repository: HostRepository,
    private readonly options: AgentAccessOptions,
  ) {}

  async createJoinToken(team: string, actor: string, input: JoinTokenCreate): Promise<JoinTokenCreated> {
    if (this.options.teamExists && !(await this.options.teamExists(team)))
      throw new NotFoundError(`team ${team} not found`);
    const now = this.options.now();
    const { id, secret, token } = newToken('jt');
    const row = {
      id,
      team,
      secret_hash: hashSecret(secret),
      description: input.description ?? '',
      labels: JSON.stringify(input.labels ?? {}),
      max_uses: input.uses ?? 1,
      uses: 0,
      created_by: actor,
      created_at: now,
      expires_at: now + (input.ttlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_SECONDS) * 1000,
      revoked_at: null,
    };
    await this.repository.createJoinToken(row);
    return { token, joinToken: joinTokenFromRow(row, now) };
  }

  async listJoinTokens(team: string): Promise<JoinToken[]> {
    const now = this.options.now();
    return (await this.repository.joinTokens(team)).map((row) => joinTokenFromRow(row, now));
  }

  async revokeJoinToken(team: string, id: string): Promise<JoinToken> {
    const now = this.options.now();
    const row = await this.repository.joinToken(id);
    if (!row || row.team !== team) throw new NotFoundError(`join token ${id} not found in team ${team}`);
    await this.repository.revokeJoinToken(team, id, now);
    return joinTokenFromRow({ ...row, revoked_at: row.revoked_at ?? now }, now);
  }

  /** Exchanges a join token for the host's own credential; the host record is created (or replaced). */
  async join(request: AgentJoinRequest): Promise<AgentCredentialGrant> {
    const now = this.options.now();
    const parts = splitToken(request.token);
    const row = parts && (await this.repository.joinToken(parts.id));
    if (!parts || !row || !secretMatches(parts.secret, row.secret_hash))
      throw new AuthenticationError('unknown join token');
    const refuse = (state: JoinToken['state']): never => {
      if (state === 'Revoked')
        throw new GantryError(401, ErrorCodes.joinTokenRevoked, `join token ${row.id} was revoked`);
      if (state === 'Expired')
        throw new GantryError(
          401,
          ErrorCodes.joinTokenExpired,
          `join token ${row.id} expired at ${new Date(row.expires_at).toISOString()}`,
        );
      throw new GantryError(
        401,
        ErrorCodes.joinTokenUsedUp,
        `join token ${row.id} was used ${row.uses} of ${row.max_uses} times`,
      );
    };
    const state = joinTokenState(row, now);
    if (state !== 'Active') refuse(state);
    if (!(await this.repository.useJoinToken(row.id, now))) {
      // Another join took the last use (or a revoke came) between the read and the use.
      const again = await this.repository.joinToken(row.id);
      refuse(again ? joinTokenState(again, now) : 'Revoked');
    }
    const labels = { ...(JSON.parse(row.labels) as Record<string, string>), ...request.labels };
    const credential = this.#newCredential(row.team, request.name, now);
    await this.repository.join(
      {
        team: row.team,
        name: request.name,
        status: 'Unknown',
        status_since: now,
        connected_server: '',
        labels: JSON.stringify(labels),
        facts: request.facts ? JSON.stringify(request.facts) : null,
        agent_version: request.agentVersion,
        last_heartbeat: null,
        credential_id: credential.row.id,
        created_at: now,
      },
      credential.row,
    );
    return this.#grant(credential.row, credential.token, now);
  }

  /** The credential behind `Authorization: Bearer <id>.<secret>`, or AuthenticationError. */
  async authenticate(bearer: string | undefined): Promise<AgentCredentialRow> {
    const match = bearer ? /^Bearer\s+(\S+)$/i.exec(bearer) : null;
    const parts = match ? splitToken(match[1]!) : undefined;
    const row = parts && (await this.repository.credential(parts.id));
    if (!parts || !row || !secretMatches(parts.secret, row.secret_hash))
      throw new AuthenticationError('unknown agent credential');
    const now = this.options.now();
    if (row.revoked_at !== null) throw new AuthenticationError(`agent credential ${row.id} was revoked`);
    if (row.expires_at !== null && row.expires_at <= now)
      throw new AuthenticationError(`agent credential ${row.id} was replaced and has expired`);
    return row;
  }

  /** A new credential for the host; the old one keeps working for the grace period. */
  async rotate(current: AgentCredentialRow): Promise<AgentCredentialGrant> {
    const now = this.options.now();
    const next = this.#newCredential(current.team, current.host, now);
    await this.repository.rotate(current.id, next.row, now + this.options.rotationGraceSeconds * 1000);
    return this.#grant(next.row, next.token, now);
  }

  #newCredential(team: string, host: string, now: number): { row: AgentCredentialRow; token: string } {
    const { id, secret, token } = newToken('ac');
    return {
      token,
      row: {
        id,
        team,
        host,
        secret_hash: hashSecret(secret),
        created_at: now,
        expires_at: null,
        revoked_at: null,
      },
    };
  }

  #grant(row: AgentCredentialRow, token: string, now: number): AgentCredentialGrant {
    return {
      credential: token,
      credentialId: row.id,
      team: row.team,
      host: row.host,
      serverTime: now,
      heartbeatSeconds: this.options.heartbeatSeconds,
      rotateAfterSeconds: this.options.rotateAfterSeconds,
    };
  }
}
