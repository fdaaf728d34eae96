import { describe, expect, it } from 'vitest';
import { can, type Principal } from './access.ts';
import { LoginLimiter, type LoginCounters } from './login-limiter.ts';
import { generatePassword, hashPassword, PasswordPolicy, verifyPassword } from './passwords.ts';
import type { AuditRepository, SecretRepository } from '@gantry/store';
import { SecretCipher } from './secret-cipher.ts';
import { SecretService } from './secret-service.ts';
import { generateToken, hashToken } from './tokens.ts';

describe('passwords', () => {
  it('hashes with scrypt and verifies only the right password', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct hors', hash)).toBe(false);
    expect(await hashPassword('correct horse')).not.toBe(hash);
    expect(await verifyPassword('x', 'md5$whatever')).toBe(false);
  });

  it('generates passwords that pass the default policy', () => {
    const policy = new PasswordPolicy();
    for (let i = 0; i < 20; i++) {
      const password = generatePassword();
      expect(password).toMatch(/^[a-zA-Z2-9]{20}$/);
      expect(policy.problem(password, 'admin')).toBeUndefined();
    }
  });

  it('refuses short, common, name-bearing and monotonous passwords by default', () => {
    const policy = new PasswordPolicy();
    expect(policy.problem('eleven-char')).toMatch(/at least 12/);
    expect(policy.problem('twelve-chars')).toBeUndefined();
    expect(policy.problem('Password123456!')).toMatch(/too common/);
    expect(policy.problem('QWERTYUIOPASDFGH')).toMatch(/too common/);
    expect(policy.problem('annabelle-lee', 'Annabelle-Lee')).toMatch(/user name/);
    expect(policy.problem('abababababababab')).toMatch(/4 different/);
    expect(policy.problem('x'.repeat(1025))).toMatch(/at most 1024/);
  });
});

describe('tokens', () => {
  it('are prefixed by kind and stored as a SHA-256 hash', () => {
    const token = generateToken('api');
    expect(token).toMatch(/^gnt_[A-Za-z0-9_-]{43}$/);
    expect(generateToken('session')).toMatch(/^gns_/);
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token);
  });
});

describe('secret cipher', () => {
  const cipher = new SecretCipher(Buffer.alloc(32, 7));

  it('round-trips and never repeats a ciphertext', () => {
    const sealed = cipher.encrypt('kubeconfig', 'team/name/key');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('kubeconfig');
    expect(cipher.encrypt('kubeconfig', 'team/name/key')).not.toBe(sealed);
    expect(cipher.decrypt(sealed, 'team/name/key')).toBe('kubeconfig');
  });

  it('refuses a value moved to another place, a tampered value or another key', () => {
    const sealed = cipher.encrypt('kubeconfig', 'team/name/key');
    expect(() => cipher.decrypt(sealed, 'team/other/key')).toThrow();
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw.writeUInt8(raw.readUInt8(raw.length - 1) ^ 1, raw.length - 1);
    expect(() => cipher.decrypt(`v1:${raw.toString('base64')}`, 'team/name/key')).toThrow();
    expect(() => new SecretCipher(Buffer.alloc(32, 8)).decrypt(sealed, 'team/name/key')).toThrow();
    expect(() => new SecretCipher(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});

/** The repository's contract in memory; the store suite runs the real one on SQLite and PostgreSQL. */
function memoryCounters(): LoginCounters {
  const rows = new Map<string, { failures: number; lastFailureAt: number; blockedUntil: number }>();
  return {
    get: async (keys) => keys.flatMap((key) => (rows.has(key) ? [{ key, ...rows.get(key)! }] : [])),
    recordFailure: async (key, now, windowMs) => {
      const row = rows.get(key);
      const failures = row && row.lastFailureAt >= now - windowMs ? row.failures + 1 : 1;
      rows.set(key, { failures, lastFailureAt: now, blockedUntil: row?.blockedUntil ?? 0 });
      return failures;
    },
    block: async (key, until) => {
      const row = rows.get(key);
      if (row && row.blockedUntil < until) row.blockedUntil = until;
    },
    clear: async (key) => void rows.delete(key),
    prune: async () => {},
  };
}

describe('login limiter', () => {
  const limits = {
    freeFailuresPerUserAtSource: 3,
    freeFailuresPerSource: 10,
    baseDelayMs: 5000,
    maxDelayMs: 60_000,
    windowMs: 600_000,
  };

  it('slows down a user name at one source, doubling the wait, and never elsewhere', async () => {
    let now = 0;
    const limiter = new LoginLimiter(memoryCounters(), limits, () => now);
    for (let i = 0; i < 3; i++) {
      await limiter.check('ana', '10.0.0.1');
      await limiter.recordFailure('ana', '10.0.0.1');
    }
    await expect(limiter.check('ana', '10.0.0.1')).rejects.toThrow(/try again in 5 s/);
    await limiter.check('ana', '10.0.0.2');
    await limiter.check('bob', '10.0.0.1');
    now = 5000;
    await limiter.check('ana', '10.0.0.1');
    await limiter.recordFailure('ana', '10.0.0.1');
    await expect(limiter.check('ana', '10.0.0.1')).rejects.toThrow(/try again in 10 s/);
    for (let i = 0; i < 10; i++) await limiter.recordFailure('ana', '10.0.0.1');
    await expect(limiter.check('ana', '10.0.0.1')).rejects.toThrow(/try again in 60 s/);
    await limiter.recordSuccess('ana', '10.0.0.1');
    now += 60_000;
    await limiter.check('ana', '10.0.0.1');
  });

  it('slows down a source address that tries many user names', async () => {
    const limiter = new LoginLimiter(memoryCounters(), { ...limits, freeFailuresPerSource: 2 }, () => 0);
    await limiter.recordFailure('a', 'src');
    await limiter.recordFailure('b', 'src');
    await expect(limiter.check('c', 'src')).rejects.toThrow();
    await limiter.check('c', 'elsewhere');
  });
});

describe('access', () => {
  const principal: Principal = {
    username: 'u',
    admin: false,
    teams: new Map([
      ['a', 'viewer'],
      ['b', 'operator'],
      ['c', 'team-admin'],
    ]),
  };
  it('ranks team roles', () => {
    expect([
      can(principal, 'read', 'a'),
      can(principal, 'write', 'a'),
      can(principal, 'manage', 'a'),
    ]).toEqual([true, false, false]);
    expect([
      can(principal, 'read', 'b'),
      can(principal, 'write', 'b'),
      can(principal, 'manage', 'b'),
    ]).toEqual([true, true, false]);
    expect([
      can(principal, 'read', 'c'),
      can(principal, 'write', 'c'),
      can(principal, 'manage', 'c'),
    ]).toEqual([true, true, true]);
    expect(can(principal, 'read', 'd')).toBe(false);
    expect(can({ ...principal, admin: true }, 'manage', 'd')).toBe(true);
  });
});

describe('secret service', () => {
  it('opens a sealed value once, and a rewritten value again', async () => {
    const cipher = new SecretCipher(Buffer.alloc(32, 7));
    let opened = 0;
    const counting = Object.assign(Object.create(cipher) as SecretCipher, {
      decrypt: (sealed: string, place: string) => {
        opened += 1;
        return cipher.decrypt(sealed, place);
      },
    });
    let stored = cipher.encrypt('first', 'team/kube/config');
    const secrets = {
      get: () =>
        Promise.resolve({
          team: 'team',
          name: 'kube',
          data: { config: stored },
          createdAt: '',
          updatedAt: '',
        }),
    };
    const service = new SecretService(
      secrets as unknown as SecretRepository,
      {} as AuditRepository,
      counting,
      () => 0,
    );
    expect(await service.reveal('team', 'kube')).toEqual({ config: 'first' });
    expect(await service.reveal('team', 'kube')).toEqual({ config: 'first' });
    expect(opened).toBe(1);
    stored = cipher.encrypt('second', 'team/kube/config');
    expect(await service.reveal('team', 'kube')).toEqual({ config: 'second' });
    expect(opened).toBe(2);
    // A value sealed for another place does not open here, cached or not.
    stored = cipher.encrypt('first', 'team/other/config');
    await expect(service.reveal('team', 'kube')).rejects.toThrow();
  });
});
