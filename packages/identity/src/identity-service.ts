import { randomUUID } from 'node:crypto';
import {
  AuthenticationError,
  ConflictError,
  ErrorCodes,
  InputError,
  NotFoundError,
  NotAllowedError,
  type TeamRole,
} from '@gantry/model';
import type { AuditRepository, TokenRecord, UserRecord, UserRepository } from '@gantry/store';
import { requireAdmin, type Principal } from './access.ts';
import type { LoginLimiter } from './login-limiter.ts';
import type { MembershipIndex } from './membership-index.ts';
import type { PasswordPolicy } from './passwords.ts';
import { generatePassword, hashPassword, verifyPassword } from './passwords.ts';
import { generateToken, hashToken } from './tokens.ts';

export interface IdentityOptions {
  sessionTtlMs: number;
  /** How long an authenticated token is trusted from memory before it is looked up again. */
  tokenCacheMs: number;
  now: () => number;
  passwords: PasswordPolicy;
}

export interface PublicUser {
  username: string;
  admin: boolean;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PublicToken {
  id: string;
  username: string;
  name: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Caller {
  principal: Principal;
  source: string;
}

const USERNAME = /^[a-z0-9]([-a-z0-9_.]{0,62}[a-z0-9])?$/;
const TOUCH_INTERVAL_MS = 60_000;

function publicUser(user: UserRecord): PublicUser {
  return {
    username: user.username,
    admin: user.admin,
    disabled: user.disabled,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

function publicToken(token: TokenRecord): PublicToken {
  return {
    id: token.id,
    username: token.username,
    name: token.name,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
  };
}

interface CachedToken {
  token: TokenRecord;
  user: UserRecord;
  checkedAt: number;
  touchedAt: number;
}

/** Users, sessions, API tokens and who may do what. */
export class IdentityService {
  readonly #cache = new Map<string, CachedToken>();
  /**
   * The last bearer token authenticated and its hash: a client's requests repeat it (in a storm of alert
   * posts a SHA-256 per request was 1.3% of the event loop). This one token is kept as it came, until the
   * next; the cache keeps hashes only.
   */
  #lastBearer = '';
  #lastHash = '';
  readonly #beforeUserDeleted: ((caller: Caller, username: string) => Promise<void>)[] = [];

  constructor(
    private readonly users: UserRepository,
    private readonly audit: AuditRepository,
    private readonly memberships: MembershipIndex,
    private readonly limiter: LoginLimiter,
    private readonly options: IdentityOptions,
  ) {}

  #iso(offsetMs = 0): string {
    return new Date(this.options.now() + offsetMs).toISOString();
  }

  /** Creates `admin` on an empty database; returns the password when it had to generate one. */
  async bootstrap(
    adminPassword: string | undefined,
  ): Promise<{ created: boolean; generatedPassword?: string }> {
    if ((await this.users.count()) > 0) return { created: false };
    const password = adminPassword ?? generatePassword();
    const problem = this.options.passwords.problem(password, 'admin');
    if (problem) throw new Error(`GANTRY_ADMIN_PASSWORD ${problem}`);
    const now = this.#iso();
    const created = await this.users.insert({
      username: 'admin',
      passwordHash: await hashPassword(password),
      admin: true,
      disabled: false,
      createdAt: now,
      updatedAt: now,
    });
    if (created) {
      await this.audit.record({
        actor: 'system:gantry',
        source: 'bootstrap',
        action: 'create',
        kind: 'User',
        team: '',
        name: 'admin',
        after: { username: 'admin', admin: true },
      });
    }
    return adminPassword || !created ? { created } : { created, generatedPassword: password };
  }

  /**
   * The request's principal. Its teams are looked up when first read, then kept for the request: an
   * admin's authorization never reads them, so an admin's requests leave the index free to change the
   * admin's map in place (see MembershipIndex.teamsOf).
   */
  principalFor(user: UserRecord, tokenId?: string): Principal {
    const memberships = this.memberships;
    let teams: ReadonlyMap<string, TeamRole> | undefined;
    return {
      username: user.username,
      admin: user.admin,
      get teams() {
        return (teams ??= memberships.teamsOf(user.username));
      },
      ...(tokenId ? { tokenId } : {}),
    };
  }

  async login(
    username: string,
    password: string,
    source: string,
  ): Promise<{ token: string; expiresAt: string; user: PublicUser }> {
    await this.limiter.check(username, source);
    const user = await this.users.get(username);
    // Verify against a dummy hash when the user is unknown, so timing does not reveal which names exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok || user.disabled) {
      await this.limiter.recordFailure(username, source);
      await this.audit.record({
        actor: username,
        source,
        action: 'login-failed',
        kind: 'Session',
        team: '',
        name: username,
      });
      throw new AuthenticationError('wrong user name or password');
    }
    await this.limiter.recordSuccess(username, source);
    const token = generateToken('session');
    const record: TokenRecord = {
      id: randomUUID(),
      username,
      name: 'session',
      kind: 'session',
      tokenHash: hashToken(token),
      createdAt: this.#iso(),
      expiresAt: this.#iso(this.options.sessionTtlMs),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.users.insertToken(record);
    await this.audit.record({
      actor: username,
      source,
      action: 'login',
      kind: 'Session',
      team: '',
      name: username,
    });
    return { token, expiresAt: record.expiresAt, user: publicUser(user) };
  }

  /** The principal behind a bearer token; throws AuthenticationError for anything not currently valid. */
  async authenticate(bearer: string): Promise<Principal> {
    if (bearer !== this.#lastBearer) {
      this.#lastHash = hashToken(bearer);
      this.#lastBearer = bearer;
    }
    const hash = this.#lastHash;
    const now = this.options.now();
    let entry = this.#cache.get(hash);
    if (!entry || now - entry.checkedAt > this.options.tokenCacheMs) {
      const token = await this.users.findTokenByHash(hash);
      const user = token ? await this.users.get(token.username) : undefined;
      if (!token || !user) {
        this.#cache.delete(hash);
        throw new AuthenticationError();
      }
      entry = { token, user, checkedAt: now, touchedAt: entry?.touchedAt ?? 0 };
      this.#cache.set(hash, entry);
    }
    const { token, user } = entry;
    if (token.revokedAt || user.disabled || Date.parse(token.expiresAt) <= now) {
      this.#cache.delete(hash);
      throw new AuthenticationError(
        token.revokedAt
          ? 'the token was revoked'
          : user.disabled
            ? 'the user is disabled'
            : 'the token has expired',
      );
    }
    if (now - entry.touchedAt > TOUCH_INTERVAL_MS) {
      entry.touchedAt = now;
      await this.users.touchToken(token.id, this.#iso());
    }
    return this.principalFor(user, token.id);
  }

  #forget(predicate: (entry: CachedToken) => boolean): void {
    for (const [hash, entry] of this.#cache) if (predicate(entry)) this.#cache.delete(hash);
  }

  async logout(caller: Caller): Promise<void> {
    const { tokenId } = caller.principal;
    if (!tokenId) return;
    await this.users.revokeToken(tokenId, this.#iso());
    this.#forget((entry) => entry.token.id === tokenId);
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: 'logout',
      kind: 'Session',
      team: '',
      name: caller.principal.username,
    });
  }

  async listUsers(caller: Caller): Promise<PublicUser[]> {
    requireAdmin(caller.principal, 'list users');
    return (await this.users.list()).map(publicUser);
  }

  async getUser(caller: Caller, username: string): Promise<PublicUser> {
    if (caller.principal.username !== username) requireAdmin(caller.principal, 'read other users');
    const user = await this.users.get(username);
    if (!user) throw new NotFoundError(`user ${username} not found`);
    return publicUser(user);
  }

  async createUser(
    caller: Caller,
    input: { username: string; password: string; admin?: boolean },
  ): Promise<PublicUser> {
    requireAdmin(caller.principal, 'create users');
    if (!USERNAME.test(input.username)) {
      throw new InputError('invalid user name', [
        { path: '/username', message: 'must be 1-64 lower-case letters, digits, "-", "_" or "."' },
      ]);
    }
    const problem = this.options.passwords.problem(input.password, input.username);
    if (problem)
      throw new InputError(`invalid password: ${problem}`, [{ path: '/password', message: problem }]);
    const now = this.#iso();
    const record: UserRecord = {
      username: input.username,
      passwordHash: await hashPassword(input.password),
      admin: input.admin ?? false,
      disabled: false,
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.users.insert(record)))
      throw new ConflictError(`user ${input.username} already exists`, ErrorCodes.alreadyExists);
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: 'create',
      kind: 'User',
      team: '',
      name: input.username,
      after: { username: input.username, admin: record.admin },
    });
    return publicUser(record);
  }

  async updateUser(
    caller: Caller,
    username: string,
    changes: { password?: string; currentPassword?: string; admin?: boolean; disabled?: boolean },
  ): Promise<PublicUser> {
    const self = caller.principal.username === username;
    const user = await this.users.get(username);
    if (!caller.principal.admin) {
      if (!self) throw new NotAllowedError(`${caller.principal.username} may not change other users`);
      if (changes.admin !== undefined || changes.disabled !== undefined)
        throw new NotAllowedError('only admins may change admin or disabled');
      if (
        !changes.currentPassword ||
        !user ||
        !(await verifyPassword(changes.currentPassword, user.passwordHash))
      ) {
        throw new InputError('the current password is wrong', [
          { path: '/currentPassword', message: 'does not match' },
        ]);
      }
    }
    if (!user) throw new NotFoundError(`user ${username} not found`);
    if (self && (changes.admin === false || changes.disabled === true)) {
      throw new InputError('you may not remove your own admin role or disable yourself', [
        { path: changes.admin === false ? '/admin' : '/disabled', message: 'not allowed on yourself' },
      ]);
    }
    let passwordHash: string | undefined;
    if (changes.password !== undefined) {
      const problem = this.options.passwords.problem(changes.password, username);
      if (problem)
        throw new InputError(`invalid password: ${problem}`, [{ path: '/password', message: problem }]);
      passwordHash = await hashPassword(changes.password);
    }
    await this.users.update(username, {
      ...(passwordHash ? { passwordHash } : {}),
      ...(changes.admin !== undefined ? { admin: changes.admin } : {}),
      ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
    });
    if (changes.disabled || passwordHash) {
      // A disabled user, or one whose password changed, loses every session at once.
      await this.users.revokeAllTokens(username, this.#iso());
    }
    // Cached principals carry the old admin flag and state: drop them.
    this.#forget((entry) => entry.user.username === username);
    const after = (await this.users.get(username))!;
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: 'update',
      kind: 'User',
      team: '',
      name: username,
      before: { admin: user.admin, disabled: user.disabled },
      after: {
        admin: after.admin,
        disabled: after.disabled,
        ...(passwordHash ? { password: '(changed)' } : {}),
      },
    });
    return publicUser(after);
  }

  /** Runs `step` before a user is deleted (taking them out of every team); a failing step stops the deletion. */
  beforeUserDeleted(step: (caller: Caller, username: string) => Promise<void>): void {
    this.#beforeUserDeleted.push(step);
  }

  async deleteUser(caller: Caller, username: string): Promise<void> {
    requireAdmin(caller.principal, 'delete users');
    if (caller.principal.username === username)
      throw new InputError('you may not delete yourself', [{ path: '/username', message: 'is you' }]);
    if (!(await this.users.get(username))) throw new NotFoundError(`user ${username} not found`);
    for (const step of this.#beforeUserDeleted) await step(caller, username);
    if (!(await this.users.delete(username))) throw new NotFoundError(`user ${username} not found`);
    this.#forget((entry) => entry.user.username === username);
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: 'delete',
      kind: 'User',
      team: '',
      name: username,
    });
  }

  async createToken(
    caller: Caller,
    input: { name: string; expiresInDays?: number },
  ): Promise<PublicToken & { token: string }> {
    const days = input.expiresInDays ?? 90;
    const token = generateToken('api');
    const record: TokenRecord = {
      id: randomUUID(),
      username: caller.principal.username,
      name: input.name,
      kind: 'api',
      tokenHash: hashToken(token),
      createdAt: this.#iso(),
      expiresAt: this.#iso(days * 86_400_000),
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.users.insertToken(record);
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: 'create',
      kind: 'ApiToken',
      team: '',
      name: input.name,
      after: { id: record.id, name: record.name, expiresAt: record.expiresAt },
    });
    return { ...publicToken(record), token };
  }

  async listTokens(caller: Caller, all: boolean): Promise<PublicToken[]> {
    if (all) requireAdmin(caller.principal, "list every user's tokens");
    const tokens = await this.users.listTokens({
      kind: 'api',
      ...(all ? {} : { username: caller.principal.username }),
    });
    return tokens.map(publicToken);
  }

  async revokeToken(caller: Caller, id: string): Promise<void> {
    const token = await this.users.getToken(id);
    if (
      !token ||
      token.kind !== 'api' ||
      (token.username !== caller.principal.username && !caller.principal.admin)
    ) {
      throw new NotFoundError(`token ${id} not found`);
    }
    await this.users.revokeToken(id, this.#iso());
    this.#forget((entry) => entry.token.id === id);
    await this.audit.record({
      actor: caller.principal.username,
      source: caller.source,
      action: 'revoke',
      kind: 'ApiToken',
      team: '',
      name: token.name,
      before: { id, revokedAt: null },
      after: { id, revokedAt: this.#iso() },
    });
  }
}

// scrypt hash of a random string, used only to spend the same time on unknown user names.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
