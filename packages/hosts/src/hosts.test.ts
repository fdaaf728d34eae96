import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { ErrorCodes, isGantryError } from '@gantry/model';
import { Store } from '@gantry/store';
import { AgentAccess } from './access.ts';
import { AgentHub, HostReasons, type HostTransition } from './hub.ts';
import { LocalSignals } from './signals.ts';

let dir: string;
let store: Store;
let clock: number;
let access: AgentAccess;
let hub: AgentHub;
let recorder: MemoryEventRecorder;
const now = () => clock;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gantry-hosts-unit-'));
  store = await Store.open({ url: join(dir, 'gantry.db') });
  clock = Date.parse('2026-01-01T00:00:00Z');
  access = new AgentAccess(store.hosts, {
    now,
    heartbeatSeconds: 30,
    rotateAfterSeconds: 3600,
    rotationGraceSeconds: 600,
  });
  recorder = new MemoryEventRecorder();
  hub = new AgentHub({
    repository: store.hosts,
    access,
    recorder,
    signals: new LocalSignals(),
    now,
    serverId: 'unit',
    logger: pino({ level: 'silent' }),
    heartbeatSeconds: 30,
    offlineAfterSeconds: 90,
  });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const codeOf = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'ok',
    (error: unknown) => (isGantryError(error) ? error.code : String(error)),
  );

describe('join tokens and agent credentials (server clock)', () => {
  it('lets a token be used as often as it allows, until it expires or is revoked', async () => {
    const { token, joinToken } = await access.createJoinToken('ops', 'alice', { uses: 2, ttlSeconds: 600 });
    expect(joinToken).toMatchObject({ state: 'Active', maxUses: 2, uses: 0, createdBy: 'alice' });
    const join = (name: string, value = token) => access.join({ token: value, name, agentVersion: 't' });
    const grant = await join('a');
    expect(grant).toMatchObject({ team: 'ops', host: 'a', serverTime: clock, heartbeatSeconds: 30 });
    expect(await codeOf(join('b'))).toBe('ok');
    expect(await codeOf(join('c'))).toBe(ErrorCodes.joinTokenUsedUp);

    const expiring = await access.createJoinToken('ops', 'alice', { ttlSeconds: 60 });
    clock += 60_000;
    expect(await codeOf(join('d', expiring.token))).toBe(ErrorCodes.joinTokenExpired);
    const revoked = await access.createJoinToken('ops', 'alice', {});
    await access.revokeJoinToken('ops', revoked.joinToken.id);
    expect(await codeOf(join('e', revoked.token))).toBe(ErrorCodes.joinTokenRevoked);
    expect(await codeOf(join('f', `${revoked.joinToken.id}.wrong-secret-wrong-secret`))).toBe(
      ErrorCodes.unauthenticated,
    );
    expect((await access.listJoinTokens('ops')).map((t) => t.state).sort()).toEqual([
      'Expired',
      'Revoked',
      'UsedUp',
    ]);
  });

  it('rotates a credential, keeps the old one for the grace period, and refuses a deleted host at once', async () => {
    const { token } = await access.createJoinToken('ops', 'alice', {});
    const grant = await access.join({ token, name: 'a', agentVersion: 't' });
    const current = await access.authenticate(`Bearer ${grant.credential}`);
    const next = await access.rotate(current);
    expect(next.credentialId).not.toBe(grant.credentialId);
    expect((await store.hosts.host('ops', 'a'))?.credential_id).toBe(next.credentialId);
    expect(await codeOf(access.authenticate(`Bearer ${grant.credential}`))).toBe('ok');
    clock += 600_000;
    expect(await codeOf(access.authenticate(`Bearer ${grant.credential}`))).toBe(ErrorCodes.unauthenticated);
    expect(await codeOf(access.authenticate(`Bearer ${next.credential}`))).toBe('ok');
    await store.hosts.deleteHost('ops', 'a', clock);
    expect(await codeOf(access.authenticate(`Bearer ${next.credential}`))).toBe(ErrorCodes.unauthenticated);
  });
});

describe('AgentHub offline sweep', () => {
  it('marks a host Offline once its heartbeats are older than the threshold, once, with an event and the hook', async () => {
    const { token } = await access.createJoinToken('ops', 'alice', {});
    await access.join({ token, name: 'a', agentVersion: 't' });
    const facts = {
      hostname: 'a',
      os: 'x',
      platform: 'linux',
      arch: 'x64',
      kernel: '6',
      cpus: 1,
      memoryBytes: 1,
      disks: [],
      addresses: [],
      uptimeSeconds: 1,
    };
    expect(
      await store.hosts.connected('ops', 'a', {
        server: 'unit',
        now: clock,
        labels: '{}',
        facts: JSON.stringify(facts),
        agentVersion: 't',
      }),
    ).toBe(true);
    const offline: HostTransition[] = [];
    hub.onHostOffline((host) => offline.push(host));
    clock += 60_000;
    await store.hosts.heartbeats([{ team: 'ops', host: 'a', at: clock }]);
    clock += 89_000;
    await hub.sweep();
    expect(offline).toEqual([]);
    clock += 2_000;
    await hub.sweep();
    await hub.sweep();
    expect(offline).toEqual([{ team: 'ops', name: 'a', at: clock }]);
    expect(recorder.reasons()).toEqual([HostReasons.offline]);
    expect(await store.hosts.host('ops', 'a')).toMatchObject({ status: 'Offline', status_since: clock });
  });

  it('refuses to queue a message for an unknown host, and queues one for a known host until its ttl', async () => {
    expect(await hub.send('ops', 'nobody', 'jobs', {})).toBe(false);
    const { token } = await access.createJoinToken('ops', 'alice', {});
    await access.join({ token, name: 'a', agentVersion: 't' });
    expect(await hub.send('ops', 'a', 'jobs', { run: 1 }, { ttlMs: 1000 })).toBe(true);
    expect(
      (await store.hosts.pending('ops', 'a', clock)).map((row) => JSON.parse(row.body) as unknown),
    ).toEqual([{ run: 1 }]);
    clock += 1000;
    expect(await store.hosts.pending('ops', 'a', clock)).toEqual([]);
    expect(hub.connected('ops', 'a')).toBe(false);
  });

  it('queues messages for many hosts at once, refusing the unknown, and tells when an away agent fell silent', async () => {
    const { token } = await access.createJoinToken('ops', 'alice', { uses: 2 });
    await access.join({ token, name: 'a', agentVersion: 't' });
    await access.join({ token, name: 'b', agentVersion: 't' });
    expect(
      await hub.sendMany('ops', [
        { host: 'a', channel: 'jobs', body: { n: 1 } },
        { host: 'nobody', channel: 'jobs', body: { n: 2 } },
        { host: 'b', channel: 'jobs', body: { n: 3 } },
        { host: 'a', channel: 'jobs', body: { n: 4 } },
      ]),
    ).toEqual([true, false, true, true]);
    expect(
      (await store.hosts.pendingMany('ops', ['a', 'b'], clock)).map((row) => [
        row.host,
        JSON.parse(row.body) as unknown,
      ]),
    ).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 3 }],
      ['a', { n: 4 }],
    ]);
    // a heartbeated at `at`; alive it would have sent the next within 30 s: silent by at + 30 s. b never did.
    const at = clock;
    await store.hosts.heartbeats([{ team: 'ops', host: 'a', at }]);
    expect(await hub.silentSince('ops', ['a', 'b', 'nobody'])).toEqual(new Map([['a', at + 30_000]]));
  });
});
