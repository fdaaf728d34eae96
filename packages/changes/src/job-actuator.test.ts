import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventRecorder } from '@gantry/controllers';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import { JobService, MemoryHostDirectory, OutputNotifier } from '@gantry/jobs';
import { KindRegistry, builtinKinds, type ChangeSpec } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { JobRunActuator, outcomeOf } from './job-actuator.ts';

const admin = { principal: SYSTEM_PRINCIPAL, source: 'test' };
let store: Store;
let jobs: JobService;
let actuator: JobRunActuator;
let resources: ResourceService;
const hosts = new MemoryHostDirectory();
hosts.add('ops', 'db-1', { role: 'db' });
hosts.add('ops', 'db-2', { role: 'db' });
hosts.add('ops', 'web-1', { role: 'web' });

const spec = {
  jobRun: { template: 'patch', parameters: {} },
  targets: { selector: 'role=db' },
} as unknown as ChangeSpec;
const request = (entity: string, key: string) => ({
  team: 'ops',
  change: 'patch-dbs',
  spec,
  entity,
  key,
  actor: 'controller/change',
});

beforeEach(async () => {
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => Date.now());
  await resources.create(admin, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'ops' },
    spec: { members: [] },
  });
  await resources.create(admin, 'JobTemplate', 'ops', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'JobTemplate',
    metadata: { name: 'patch' },
    spec: { script: { interpreter: 'sh', source: 'echo patched' } },
  });
  jobs = new JobService({
    jobs: store.jobs,
    resources,
    hosts,
    recorder: new MemoryEventRecorder(),
    notifier: new OutputNotifier(),
    now: () => Date.now(),
    wake: () => undefined,
    cancelled: () => undefined,
  });
  actuator = new JobRunActuator({ jobs, hosts });
});

afterEach(async () => {
  await store.close();
});

describe('job run actuator', () => {
  it('resolves hosts by selector or names, and refuses unknown names', async () => {
    expect(await actuator.resolve('ops', spec, { selector: 'role=db' })).toEqual({
      ok: true,
      entities: ['db-1', 'db-2'],
    });
    expect(await actuator.resolve('ops', spec, { names: ['web-1', 'nope'] })).toMatchObject({
      ok: false,
      reason: 'HostNotFound',
      message: expect.stringContaining('nope'),
    });
  });

  it('creates one run per step key: an apply repeated after a crash follows the run it made', async () => {
    const first = await actuator.apply(request('db-1', 'uid/batch/0/entity/db-1/attempt/1/started'));
    expect(first).toMatchObject({ status: 'Running' });
    const handle = first.status === 'Running' ? first.handle : '';
    const again = await actuator.apply(request('db-1', 'uid/batch/0/entity/db-1/attempt/1/started'));
    expect(again).toEqual(first);
    // Another attempt (after a resume) is another run.
    const retry = await actuator.apply(request('db-1', 'uid/batch/0/entity/db-1/attempt/2/started'));
    expect(retry.status === 'Running' && retry.handle).not.toBe(handle);
    const runs = await jobs.list(admin, { team: 'ops', host: 'db-1', limit: 10 });
    expect(runs.items).toHaveLength(2);
    expect(runs.items.map((run) => run.createdBy)).toEqual([
      expect.stringMatching(/^change\/patch-dbs#[0-9a-f]{16}$/),
      expect.stringMatching(/^change\/patch-dbs#[0-9a-f]{16}$/),
    ]);
    expect(await actuator.progress({ ...request('db-1', 'x'), handle })).toMatchObject({
      status: 'Running',
      handle,
    });
    expect(await actuator.progress({ ...request('db-1', 'x'), handle: 'no-such-run' })).toMatchObject({
      status: 'Failed',
      reason: 'RunMissing',
    });
  });

  it('fails an entity whose run the job service refuses, with its reason', async () => {
    const refused = await actuator.apply({
      ...request('db-1', 'k'),
      spec: { ...spec, jobRun: { template: 'missing', parameters: {} } } as ChangeSpec,
    });
    expect(refused).toMatchObject({ status: 'Failed', reason: 'RunRefused' });
  });

  it('undoes a host with the declared rollback template, once per rollback step key', async () => {
    expect(actuator.canUndo(spec)).toBe(false);
    expect(await actuator.undo(request('db-1', 'k'))).toMatchObject({
      status: 'Failed',
      reason: 'RunRefused',
    });
    const withRollback = {
      ...spec,
      jobRun: { template: 'patch', rollbackTemplate: 'unpatch', parameters: {} },
    } as ChangeSpec;
    expect(actuator.canUndo(withRollback)).toBe(true);
    await resources.create(admin, 'JobTemplate', 'ops', {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'JobTemplate',
      metadata: { name: 'unpatch' },
      spec: { script: { interpreter: 'sh', source: 'echo unpatched' } },
    });
    const key = 'uid/rollback/batch/0/entity/db-1/round/0/started';
    const undone = await actuator.undo({ ...request('db-1', key), spec: withRollback });
    expect(undone).toMatchObject({ status: 'Running' });
    expect(await actuator.undo({ ...request('db-1', key), spec: withRollback })).toEqual(undone);
    const runs = await jobs.list(admin, { team: 'ops', host: 'db-1', limit: 10 });
    expect(runs.items.map((run) => run.template)).toEqual(['unpatch']);
  });

  it('reads a run’s end as the entity’s outcome', () => {
    const run = { id: 'r1', reason: '', counts: {} };
    expect(outcomeOf({ ...run, state: 'Succeeded' })).toMatchObject({ status: 'Succeeded' });
    expect(outcomeOf({ ...run, state: 'Failed', reason: '1 target failed' })).toMatchObject({
      status: 'Failed',
      reason: 'RunFailed',
      message: 'job run r1 failed: 1 target failed',
    });
    expect(outcomeOf({ ...run, state: 'Cancelled' })).toMatchObject({
      status: 'Failed',
      reason: 'RunCancelled',
    });
    expect(outcomeOf({ ...run, state: 'Running' })).toEqual({
      status: 'Running',
      handle: 'r1',
      message: 'job run r1 running',
    });
  });
});
