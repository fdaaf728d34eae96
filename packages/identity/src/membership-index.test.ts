import { describe, expect, it, vi } from 'vitest';
import type { Resource } from '@gantry/model';
import type { AuditRepository, UserRecord, UserRepository } from '@gantry/store';
import { can } from './access.ts';
import { IdentityService } from './identity-service.ts';
import type { LoginLimiter } from './login-limiter.ts';
import { MembershipIndex } from './membership-index.ts';
import { PasswordPolicy } from './passwords.ts';

const team = (name: string, members: [string, string][], resourceVersion = '1'): Resource => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind: 'Team',
  metadata: { name, uid: name, resourceVersion, generation: 1, creationTimestamp: '', updatedTimestamp: '' },
  spec: { members: members.map(([user, role]) => ({ user, role })) },
});

describe('membership index', () => {
  it('follows team upserts and removals in both directions', () => {
    const index = new MembershipIndex();
    index.replaceAll([
      team('a', [
        ['ana', 'viewer'],
        ['bob', 'operator'],
      ]),
      team('b', [['ana', 'team-admin']]),
    ]);
    expect([...index.teamsOf('ana')]).toEqual([
      ['a', 'viewer'],
      ['b', 'team-admin'],
    ]);
    index.upsert(team('a', [['bob', 'viewer']]));
    expect([...index.teamsOf('ana')]).toEqual([['b', 'team-admin']]);
    expect([...index.teamsOf('bob')]).toEqual([['a', 'viewer']]);
    index.remove('b');
    expect(index.teamsOf('ana').size).toBe(0);
    expect(index.has('a')).toBe(true);
    expect(index.has('b')).toBe(false);
  });

  it('applies each change once, ignoring an older one that arrives after a newer one', () => {
    const index = new MembershipIndex();
    index.apply('ADDED', team('a', [['ana', 'viewer']], '5'));
    index.apply('MODIFIED', team('a', [['ana', 'operator']], '7'));
    index.apply('MODIFIED', team('a', [['ana', 'viewer']], '6'));
    expect(index.teamsOf('ana').get('a')).toBe('operator');
    index.apply('DELETED', team('a', [['ana', 'operator']], '8'));
    index.apply('MODIFIED', team('a', [['ana', 'operator']], '7'));
    expect(index.teamsOf('ana').size).toBe(0);
  });

  it('never changes a map it has handed out, so a request keeps the membership it started with', () => {
    const index = new MembershipIndex();
    index.apply('ADDED', team('a', [['ana', 'viewer']], '1'));
    const during = index.teamsOf('ana');
    index.apply(
      'MODIFIED',
      team(
        'a',
        [
          ['ana', 'viewer'],
          ['bob', 'operator'],
        ],
        '2',
      ),
    );
    index.apply('DELETED', team('a', [], '3'));
    expect([...during]).toEqual([['a', 'viewer']]);
    expect(index.teamsOf('ana').size).toBe(0);
  });

  it('copies no map for a write that leaves the members as they were', () => {
    const index = new MembershipIndex();
    index.apply(
      'ADDED',
      team(
        'a',
        [
          ['ana', 'viewer'],
          ['bob', 'operator'],
        ],
        '1',
      ),
    );
    const ana = index.teamsOf('ana');
    const bob = index.teamsOf('bob');
    index.apply(
      'MODIFIED',
      team(
        'a',
        [
          ['ana', 'viewer'],
          ['bob', 'team-admin'],
        ],
        '2',
      ),
    );
    expect(index.teamsOf('ana')).toBe(ana);
    expect(index.teamsOf('bob')).not.toBe(bob);
    expect(index.teamsOf('bob').get('a')).toBe('team-admin');
    expect(bob.get('a')).toBe('operator');
  });
});

describe('principals', () => {
  const user = (username: string, admin: boolean): UserRecord => ({
    username,
    admin,
    disabled: false,
    passwordHash: '',
    createdAt: '',
    updatedAt: '',
  });

  it("read a user's teams once, when authorization first asks, and keep them for the request", () => {
    const index = new MembershipIndex();
    index.apply('ADDED', team('a', [['ana', 'viewer']], '1'));
    const teamsOf = vi.spyOn(index, 'teamsOf');
    const identity = new IdentityService(
      {} as UserRepository,
      {} as AuditRepository,
      index,
      {} as LoginLimiter,
      { sessionTtlMs: 1, tokenCacheMs: 1, now: () => 0, passwords: new PasswordPolicy() },
    );
    const admin = identity.principalFor(user('root', true));
    expect(can(admin, 'manage', 'a')).toBe(true);
    expect(teamsOf).not.toHaveBeenCalled();

    const ana = identity.principalFor(user('ana', false));
    expect(can(ana, 'read', 'a')).toBe(true);
    index.apply('DELETED', team('a', [], '2'));
    expect(can(ana, 'read', 'a')).toBe(true);
    expect(teamsOf).toHaveBeenCalledTimes(1);
    expect(can(identity.principalFor(user('ana', false)), 'read', 'a')).toBe(false);
  });
});
