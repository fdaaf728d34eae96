import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCelEngine } from '@gantry/delivery';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import {
  builtinKinds,
  ConflictError,
  ErrorCodes,
  KindRegistry,
  type ChangeSpec,
  type Resource,
  type SilenceSpec,
  type WebhookMessage,
} from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';
import { createChangeActuator, HEALING_RUN_LABEL, healingChangeName } from './actuator.ts';
import { createResourcePolicySource, registerHealingAdmission } from './admission.ts';
import type { HealingActionRequest, HealingNotifier } from './ports.ts';
import {
  createExceptionOutcomePort,
  createApplicationRevisionReader,
  createResourceChangeSubmitter,
  createResourceSilenceCreator,
} from './resource-ports.ts';
import { node, nodePolicyInput, policySpec, TEAM } from './test-support.ts';

const ADMIN = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const T0 = Date.parse('2026-03-02T08:00:00Z');

describe('healing actions on the resource API', () => {
  let store: Store;
  let resources: ResourceService;
  const sent: { dedupKey: string; channel: string; message: WebhookMessage }[] = [];
  const notifier: HealingNotifier = {
    enqueue(input) {
      const created = !sent.some((s) => s.dedupKey === input.dedupKey);
      if (created) sent.push(input);
      return Promise.resolve({ id: input.dedupKey, created });
    },
  };

  beforeEach(async () => {
    sent.length = 0;
    store = await Store.open({ url: ':memory:' });
    const kinds = new KindRegistry();
    for (const kind of builtinKinds) kinds.register(kind);
    resources = new ResourceService(kinds, store.resources, () => T0);
    registerHealingAdmission({ resources, repository: store.resources, engine: createCelEngine() });
    await resources.create(ADMIN, 'Team', undefined, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: TEAM },
      spec: { members: [] },
    });
  });
  afterEach(async () => {
    await store.close();
  });

  const actuator = () =>
    createChangeActuator({
      changes: createResourceChangeSubmitter(resources),
      notifier,
      silences: createResourceSilenceCreator(resources),
      now: () => T0,
      externalUrl: 'https://gantry.example',
    });
  const policy = policySpec(nodePolicyInput());
  const request = (
    action: string,
    key = `healing/run-1/rung/0/attempt/0/${action}`,
  ): HealingActionRequest => ({
    key,
    team: TEAM,
    policy: 'node-not-ready',
    runId: 'run-1',
    entity: node('n1'),
    action: policy.actions.find((a) => a.name === action)!,
    summary: 'KubeletDown',
    details: { diagnosis: 'KubeletDown' },
  });

  it('drains a node as a one-entity Change, once per key, and follows its phase', async () => {
    const a = actuator();
    const first = await a.start(request('cordon-drain'));
    const again = await a.start(request('cordon-drain'));
    const name = healingChangeName('healing/run-1/rung/0/attempt/0/cordon-drain');
    expect(first).toEqual({ ok: true, handle: `change/${name}`, done: false });
    expect(again).toEqual(first);
    const changes = await resources.list(ADMIN, 'Change', { team: TEAM });
    expect(changes.items).toHaveLength(1);
    const change = changes.items[0]!;
    expect(change.metadata.labels).toMatchObject({ [HEALING_RUN_LABEL]: 'run-1' });
    expect(change.spec as ChangeSpec).toMatchObject({
      nodeOperation: { operation: 'drain' },
      targets: { names: ['east/n1'], clusters: ['east'] },
      plan: { batches: [{ size: '1', bake: '0s' }], maxConcurrent: 1 },
      failurePolicy: 'Abort',
    });
    expect(await a.progress(TEAM, first.ok ? first.handle : '')).toEqual({
      state: 'running',
      message: `Change ${name} Pending`,
    });
    // Held by the engine (its Blocked condition): the progress says what holds it.
    const blocked = {
      type: 'Blocked',
      status: 'True' as const,
      reason: 'LineStopped',
      message: 'the line is stopped: team sre by alice: incident',
      lastTransitionTime: new Date(T0).toISOString(),
    };
    await resources.replaceStatus(ADMIN, 'Change', TEAM, name, {
      ...(await resources.get(ADMIN, 'Change', TEAM, name)),
      status: { phase: 'Waiting', message: blocked.message, conditions: [blocked] },
    });
    expect(await a.progress(TEAM, first.ok ? first.handle : '')).toEqual({
      state: 'running',
      message: `Change ${name} Waiting`,
      held: { reason: 'LineStopped', message: blocked.message },
    });
  });

  it("runs a JobTemplate on the node's host as a jobRun Change", async () => {
    await actuator().start(request('restart-kubelet'));
    const change = (await resources.list(ADMIN, 'Change', { team: TEAM })).items[0]!;
    expect(change.spec as ChangeSpec).toMatchObject({
      jobRun: { template: 'restart-kubelet' },
      targets: { names: ['n1'] },
    });
  });

  it("restarts a workload's rollout as a workloadOperation Change on the workload", async () => {
    const started = await actuator().start({
      ...request('restart'),
      entity: {
        kind: 'Workload',
        name: 'web',
        cluster: 'east',
        namespace: 'shop',
        workloadKind: 'StatefulSet',
        domain: '',
        labels: {},
      },
      action: { name: 'restart', risky: false, timeout: '15m', workloadOperation: { operation: 'restart' } },
    });
    expect(started).toMatchObject({ ok: true, done: false });
    const change = (await resources.list(ADMIN, 'Change', { team: TEAM })).items[0]!;
    expect(change.spec as ChangeSpec).toMatchObject({
      workloadOperation: { operation: 'restart' },
      targets: { names: ['east/shop/StatefulSet/web'] },
      failurePolicy: 'Abort',
    });
    // A node is no workload: refused before anything is written.
    const refused = await actuator().start({
      ...request('restart', 'another-key'),
      action: { name: 'restart', risky: false, timeout: '15m', workloadOperation: { operation: 'restart' } },
    });
    expect(refused).toMatchObject({ ok: false, reason: 'NoWorkload' });
    expect((await resources.list(ADMIN, 'Change', { team: TEAM })).items).toHaveLength(1);
  });

  it('rolls an application back on the workload’s cluster to the revision it ran before', async () => {
    const revisions = createApplicationRevisionReader({
      get: (key) =>
        Promise.resolve(
          key.name === 'shop'
            ? ({
                apiVersion: 'gantry.dev/v1alpha1',
                kind: 'Application',
                metadata: {
                  name: 'shop',
                  team: TEAM,
                  annotations: {
                    'app.gantry.dev/cluster-revisions': JSON.stringify({
                      base: 4,
                      clusters: { east: 5 },
                      latest: 5,
                      previous: { east: 4 },
                    }),
                  },
                },
                spec: {},
                status: {
                  revision: 5,
                  targets: [{ cluster: 'west', namespace: 'shop', phase: 'Applied', revision: 3 }],
                },
              } as unknown as Resource)
            : undefined,
        ),
    });
    // Pinned by a rollout: the cluster's previous pin; not pinned: the revision before its applied one.
    expect(await revisions.previous(TEAM, 'shop', 'east')).toBe(4);
    expect(await revisions.previous(TEAM, 'shop', 'west')).toBe(2);
    expect(await revisions.previous(TEAM, 'shop')).toBe(4);
    expect(await revisions.previous(TEAM, 'gone', 'east')).toBeUndefined();

    const rollback = { name: 'rollback', risky: false, timeout: '15m', applicationRollback: {} };
    const workload = (application?: string) => ({
      kind: 'Workload' as const,
      name: 'shop-web',
      cluster: 'east',
      namespace: 'shop',
      ...(application ? { application } : {}),
      domain: '',
      labels: {},
    });
    const a = createChangeActuator({
      changes: createResourceChangeSubmitter(resources),
      notifier,
      silences: createResourceSilenceCreator(resources),
      revisions,
      now: () => T0,
      externalUrl: 'https://gantry.example',
    });
    expect(
      await a.start({ ...request('rollback'), entity: workload('shop'), action: rollback }),
    ).toMatchObject({
      ok: true,
      done: false,
    });
    const change = (await resources.list(ADMIN, 'Change', { team: TEAM })).items[0]!;
    expect(change.spec as ChangeSpec).toMatchObject({
      applicationRevision: { application: 'shop', revision: 4 },
      targets: { names: ['east'] },
      failurePolicy: 'Abort',
    });
    // No application known for the workload: refused, nothing written.
    expect(
      await a.start({ ...request('rollback', 'k2'), entity: workload(), action: rollback }),
    ).toMatchObject({ ok: false, reason: 'NoApplication' });
    expect((await resources.list(ADMIN, 'Change', { team: TEAM })).items).toHaveLength(1);
  });

  it('pauses the running changes that touch the entity, under every name the change engine gives it', async () => {
    const asked: { entities: readonly string[]; reason: string }[] = [];
    const a = createChangeActuator({
      changes: createResourceChangeSubmitter(resources),
      notifier,
      silences: createResourceSilenceCreator(resources),
      pauser: {
        pauseTouching: (_team, entities, reason) => {
          asked.push({ entities, reason });
          return Promise.resolve(['drain-rack-7']);
        },
      },
      now: () => T0,
      externalUrl: 'https://gantry.example',
    });
    const started = await a.start({
      ...request('pause'),
      entity: { ...node('n1'), host: 'host-n1' },
      action: { name: 'pause', risky: false, timeout: '15m', pauseChanges: {} },
    });
    expect(started).toEqual({ ok: true, handle: 'paused/drain-rack-7', done: true });
    expect(asked).toEqual([
      { entities: ['east/n1', 'host-n1'], reason: 'healing node-not-ready: KubeletDown' },
    ]);
    // Nothing is created: a pause is not a change of the fleet.
    expect((await resources.list(ADMIN, 'Change', { team: TEAM })).items).toEqual([]);
  });

  it('pages through the outbox once per key, with the evidence bundle', async () => {
    const a = actuator();
    expect(await a.start(request('page'))).toMatchObject({ ok: true, done: true });
    await a.start(request('page'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      channel: 'oncall',
      message: {
        alerts: [
          {
            labels: {
              alertname: 'GantryHealingEscalated',
              node: 'n1',
              cluster: 'east',
              healing_run: 'run-1',
            },
            annotations: { evidence: '{"diagnosis":"KubeletDown"}' },
          },
        ],
      },
    });
  });

  it("silences the entity's alerts with a Silence resource", async () => {
    const silence = {
      ...request('page'),
      action: { name: 'mute', risky: false, timeout: '1m', silence: { duration: '2h' } },
    } as HealingActionRequest;
    expect(await actuator().start(silence)).toMatchObject({ ok: true, done: true });
    const stored = (await resources.list(ADMIN, 'Silence', { team: TEAM })).items[0]!;
    expect(stored.spec as SilenceSpec).toMatchObject({
      matchers: [
        { name: 'node', value: 'n1', isRegex: false },
        { name: 'cluster', value: 'east', isRegex: false },
      ],
      startsAt: '2026-03-02T08:00:00.000Z',
      endsAt: '2026-03-02T10:00:00.000Z',
    });
  });

  it('admission refuses a DiagnosisTree with a cycle and a policy whose tree takes an action it lacks', async () => {
    const tree = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'DiagnosisTree',
      metadata: { name: 'loop', team: TEAM },
      spec: {
        subject: 'Node',
        evidence: [],
        root: 'a',
        steps: [
          { name: 'a', branches: [], otherwise: { next: 'b' } },
          { name: 'b', branches: [], otherwise: { next: 'a' } },
        ],
      },
    };
    await expect(resources.create(ADMIN, 'DiagnosisTree', TEAM, tree)).rejects.toMatchObject({
      status: 422,
      code: ErrorCodes.diagnosisTree,
      details: [{ path: '/spec/steps/1', message: 'cycle: a → b → a' }],
    });
    const input = nodePolicyInput({
      actions: [{ name: 'page', notify: { channels: ['oncall'], page: true } }],
      escalation: { rungs: [{ action: 'page' }] },
    });
    await expect(
      resources.create(ADMIN, 'HealingPolicy', TEAM, {
        apiVersion: 'gantry.dev/v1alpha1',
        kind: 'HealingPolicy',
        metadata: { name: 'p', team: TEAM },
        spec: input,
      }),
    ).rejects.toMatchObject({ status: 422, code: ErrorCodes.healingPolicy });
    expect((await resources.list(ADMIN, 'HealingPolicy', { team: TEAM })).items).toEqual([]);
  });

  it('marks a healed exception mitigated, and takes one that resolved meanwhile as it is', async () => {
    const calls: string[] = [];
    const port = createExceptionOutcomePort({
      mitigate: (_caller, team, id, reason) => {
        calls.push(`${team}/${id}: ${reason}`);
        if (id === 'gone') return Promise.reject(new ConflictError('resolved', ErrorCodes.exceptionState));
        if (id === 'broken') return Promise.reject(new Error('database gone'));
        return Promise.resolve({});
      },
    });
    await port.markHealed(TEAM, 'e1', 'healed by node-not-ready');
    await port.markHealed(TEAM, 'gone', 'healed');
    await expect(port.markHealed(TEAM, 'broken', 'healed')).rejects.toThrow('database gone');
    expect(calls).toEqual([
      `${TEAM}/e1: healed by node-not-ready`,
      `${TEAM}/gone: healed`,
      `${TEAM}/broken: healed`,
    ]);
  });

  it('serves the compiled policies from the resources, compiling again only when a policy or tree changed', async () => {
    const source = createResourcePolicySource({ repository: store.resources, engine: createCelEngine() });
    const body = (mode: string) => ({
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'HealingPolicy',
      metadata: { name: 'node-not-ready', team: TEAM },
      spec: nodePolicyInput({ guardrails: { mode } }),
    });
    await resources.create(ADMIN, 'HealingPolicy', TEAM, body('Shadow'));
    const first = await source.policies();
    expect(first.map((p) => [p.name, p.spec.guardrails.mode])).toEqual([['node-not-ready', 'Shadow']]);
    expect(source.tree(TEAM, 'builtin/node-not-ready')?.root).toBe('still-not-ready');
    await actuator().start(request('cordon-drain')); // a Change written: another kind
    expect(await source.policies()).toBe(first);
    const current = await resources.get(ADMIN, 'HealingPolicy', TEAM, 'node-not-ready');
    await resources.replace(ADMIN, 'HealingPolicy', TEAM, 'node-not-ready', {
      ...body('Act'),
      metadata: { ...body('Act').metadata, resourceVersion: current.metadata.resourceVersion },
    });
    const second = await source.policies();
    expect(second).not.toBe(first);
    expect(second[0]!.spec.guardrails.mode).toBe('Act');
  });
});
