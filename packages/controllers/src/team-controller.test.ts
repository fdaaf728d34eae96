import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { KindRegistry, builtinKinds, type Condition } from '@gantry/model';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { createTeamController, TeamReason } from './team-controller.ts';
import type { Controller, ReconcileContext } from './controller.ts';
import { TermScope } from './term-scope.ts';

const admin = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const T0 = Date.parse('2025-01-01T00:00:00Z');

let store: Store;
let resources: ResourceService;
let controller: Controller;
let now = T0;

const ctx = (): ReconcileContext => ({
  logger: pino({ level: 'silent' }),
  signal: new AbortController().signal,
  now: () => now,
  term: new TermScope(),
});

async function addUser(username: string): Promise<void> {
  const at = new Date(now).toISOString();
  await store.users.insert({
    username,
    passwordHash: 'x',
    admin: false,
    disabled: false,
    createdAt: at,
    updatedAt: at,
  });
}

async function createTeam(name: string, users: string[]): Promise<void> {
  await resources.create(admin, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name },
    spec: { members: users.map((user) => ({ user, role: 'viewer' })) },
  });
}

async function status(name: string) {
  const team = await resources.get(admin, 'Team', undefined, name);
  return {
    team,
    status: team.status as { observedGeneration?: number; conditions?: Condition[] } | undefined,
  };
}

beforeEach(async () => {
  now = T0;
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => now);
  controller = createTeamController({ resources, users: store.users });
});

afterEach(async () => {
  await store.close();
});

describe('team controller', () => {
  it('reports members that name no user, then Ready once they all exist', async () => {
    await addUser('alice');
    await createTeam('platform', ['alice', 'bob', 'carol']);
    await controller.reconcile(ctx(), { team: '', name: 'platform' });
    const first = await status('platform');
    expect(first.status?.observedGeneration).toBe(1);
    expect(first.status?.conditions).toEqual([
      {
        type: 'MembersResolved',
        status: 'False',
        reason: TeamReason.UnknownUser,
        message: expect.stringContaining('bob, carol'),
        observedGeneration: 1,
        lastTransitionTime: new Date(T0).toISOString(),
      },
      {
        type: 'Ready',
        status: 'False',
        reason: TeamReason.UnknownUser,
        message: expect.stringContaining('bob, carol'),
        observedGeneration: 1,
        lastTransitionTime: new Date(T0).toISOString(),
      },
    ]);

    await addUser('bob');
    await addUser('carol');
    now = T0 + 60_000;
    await controller.reconcile(ctx(), { team: '', name: 'platform' });
    const second = await status('platform');
    expect(second.status?.conditions?.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime])).toEqual(
      [
        ['MembersResolved', 'True', 'MembersResolved', new Date(now).toISOString()],
        ['Ready', 'True', 'MembersResolved', new Date(now).toISOString()],
      ],
    );
  });

  it('writes nothing when nothing changed, so its own write does not make it loop', async () => {
    await createTeam('empty', []);
    await controller.reconcile(ctx(), { team: '', name: 'empty' });
    const first = await status('empty');
    now += 60_000;
    await controller.reconcile(ctx(), { team: '', name: 'empty' });
    const second = await status('empty');
    expect(second.team.metadata.resourceVersion).toBe(first.team.metadata.resourceVersion);
    expect(second.status?.conditions?.[1]).toMatchObject({
      type: 'Ready',
      status: 'True',
      lastTransitionTime: new Date(T0).toISOString(),
    });
  });

  it('follows the generation, keeping the transition time while the status holds', async () => {
    await createTeam('ops', ['ghost']);
    await controller.reconcile(ctx(), { team: '', name: 'ops' });
    await resources.patch(admin, 'Team', undefined, 'ops', {
      spec: { description: 'changed', members: [{ user: 'ghost', role: 'operator' }] },
    });
    now += 60_000;
    await controller.reconcile(ctx(), { team: '', name: 'ops' });
    const { team, status: current } = await status('ops');
    expect(team.metadata.generation).toBe(2);
    expect(current?.observedGeneration).toBe(2);
    expect(current?.conditions?.[0]).toMatchObject({
      status: 'False',
      observedGeneration: 2,
      lastTransitionTime: new Date(T0).toISOString(),
    });
  });

  it('records its writes as the system principal from controller/team', async () => {
    await createTeam('audited', []);
    await controller.reconcile(ctx(), { team: '', name: 'audited' });
    const page = await store.audit.query({ name: 'audited', action: 'status', limit: 10 });
    expect(page.entries.map((entry) => [entry.actor, entry.source])).toEqual([
      ['system:gantry', 'controller/team'],
    ]);
  });

  it('is done with a team that no longer exists', async () => {
    await expect(controller.reconcile(ctx(), { team: '', name: 'gone' })).resolves.toEqual({});
  });

  it('writes nothing once its lease is lost', async () => {
    await createTeam('late', []);
    const abort = new AbortController();
    abort.abort();
    await controller.reconcile({ ...ctx(), signal: abort.signal }, { team: '', name: 'late' });
    expect((await status('late')).status).toBeUndefined();
  });
});
