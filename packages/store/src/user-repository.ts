import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

export interface UserRecord {
  username: string;
  passwordHash: string;
  admin: boolean;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface TokenRecord {
  id: string;
  username: string;
  name: string;
  kind: 'session' | 'api';
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

type UserRow = Database['users'];
type TokenRow = Database['api_tokens'];

function toUser(row: UserRow): UserRecord {
  return {
    username: row.username,
    passwordHash: row.password_hash,
    admin: row.admin === 1,
    disabled: row.disabled === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toToken(row: TokenRow): TokenRecord {
  return {
    id: row.id,
    username: row.username,
    name: row.name,
    kind: row.kind,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async get(username: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async list(): Promise<UserRecord[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('username').execute();
    return rows.map(toUser);
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Inserts the user; false when the name is taken. */
  async insert(user: UserRecord): Promise<boolean> {
    const result = await this.db
      .insertInto('users')
      .values({
        username: user.username,
        password_hash: user.passwordHash,
        admin: user.admin ? 1 : 0,
        disabled: user.disabled ? 1 : 0,
        created_at: user.createdAt,
        updated_at: user.updatedAt,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async update(
    username: string,
    changes: Partial<Pick<UserRecord, 'passwordHash' | 'admin' | 'disabled'>>,
  ): Promise<void> {
    await this.db
      .updateTable('users')
      .set({
        ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
        ...(changes.admin !== undefined ? { admin: changes.admin ? 1 : 0 } : {}),
        ...(changes.disabled !== undefined ? { disabled: changes.disabled ? 1 : 0 } : {}),
        updated_at: new Date().toISOString(),
      })
      .where('username', '=', username)
      .execute();
  }

  async delete(username: string): Promise<boolean> {
    const result = await this.db.deleteFrom('users').where('username', '=', username).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  async insertToken(token: TokenRecord): Promise<void> {
    await this.db
      .insertInto('api_tokens')
      .values({
        id: token.id,
        username: token.username,
        name: token.name,
        kind: token.kind,
        token_hash: token.tokenHash,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
        last_used_at: token.lastUsedAt,
        revoked_at: token.revokedAt,
      })
      .execute();
  }

  async findTokenByHash(tokenHash: string): Promise<TokenRecord | undefined> {
    const row = await this.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return row ? toToken(row) : undefined;
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = await this.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toToken(row) : undefined;
  }

  async listTokens(options: { username?: string; kind?: 'session' | 'api' }): Promise<TokenRecord[]> {
    let select = this.db.selectFrom('api_tokens').selectAll();
    if (options.username) select = select.where('username', '=', options.username);
    if (options.kind) select = select.where('kind', '=', options.kind);
    const rows = await select.orderBy('created_at', 'desc').execute();
    return rows.map(toToken);
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  async revokeToken(id: string, at: string): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeAllTokens(username: string, at: string): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('username', '=', username)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /** Removes sessions that expired or were revoked before `before`. */
  async pruneSessions(before: string): Promise<void> {
    await this.db
      .deleteFrom('api_tokens')
      .where('kind', '=', 'session')
      .where((eb) => eb.or([eb('expires_at', '<', before), eb('revoked_at', '<', before)]))
      .execute();
  }
}
