import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusQuerier } from '@gantry/alerts';
import { MemoryEventRecorder } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import {
  createChangeActuator,
  createExceptionTriggerSource,
  createInventoryConditionSubjects,
  createInventoryDomainHealth,
  createInventoryEntityReader,
  createInventoryEntityResolver,
  createJobDiagnosticRunner,
  createResourceChangeSubmitter,
  createResourcePolicySource,
  createResourceSilenceCreator,
  createStoreEvidenceProviders,
  createStoreSignalHealth,
  HealingController,
  HealingPhase,
  registerHealingAdmission,
  type DiagnosticJobs,
  type HealingRunData,
  type InventoryDeps,
} from '@gantry/healing';
import { nodePolicyInput } from '@gantry/healing/testing';
import { SYSTEM_PRINCIPAL } from '@gantry/identity';
import {
  builtinKinds,
  KindRegistry,
  type ChangeSpec,
  type ExceptionRecord,
  type JobRunWithTargets,
  type NodeSummary,
} from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';

const ADMIN = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const TEAM = 'bigdata';
const T0 = Date.parse('2026-03-02T08:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The store-backed ports and the resource-backed actuator assembled around the controller, as the server
 * will: an open exception on a NotReady node of the inventory, its host online, a diagnostic job saying the
 * kubelet is inactive → a Change running the policy's JobTemplate on that host, made through the resource
 * API with the run's labels.
 */
describe('healing wired on the store and the resource API', () => {
  let store: Store;
  let resources: ResourceService;
  beforeAll(async () => {
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
    const summary: NodeSummary = {
      ready: false,
      unschedulable: false,
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: iso(T0 - 600_000) }],
      labels: { 'topology.gantry.dev/rack': 'r1' },
      taints: [],
      capacity: {},
      allocatable: {},
    };
    const ready = { ...summary, ready: true, conditions: [{ type: 'Ready', status: 'True' }] };
    await store.inventory.apply(
      ['n1', 'n2', 'n3', 'n4', 'n5'].map((name, i) => ({
        op: 'upsert' as const,
        item: {
          cluster: `${TEAM}/east`,
          kind: 'Node',
          namespace: '',
          name,
          uid: name,
          data: i === 0 ? summary : ready,
        },
      })),
      iso(T0),
    );
    await store.hosts.join(
      {
        team: TEAM,
        name: 'n1',
        status: 'Online',
        status_since: T0 - 3_600_000,
        connected_server: 's1',
        labels: '{}',
        facts: null,
        agent_version: '1',
        last_heartbeat: T0 - 5_000,
        credential_id: 'c1',
        created_at: T0 - 3_600_000,
      },
      {
        id: 'c1',
        team: TEAM,
        host: 'n1',
        secret_hash: 'x',
        created_at: T0,
        expires_at: null,
        revoked_at: null,
      },
    );
    const exception = {
      id: 'e1',
      team: TEAM,
      title: 'NodeNotReady on n1',
      severity: 'major',
      state: 'open',
      entities: [{ kind: 'Node', name: 'n1', cluster: 'east' }],
      origin: 'correlation',
      openedAt: iso(T0 - 300_000),
      episodeOpenedAt: iso(T0 - 300_000),
      levelRaisedAt: {},
      followUps: [],
      alertCount: 1,
      firingAlertCount: 1,
      reopenCount: 0,
      createdBy: 'correlation',
      changedAt: iso(T0 - 300_000),
      updatedAt: iso(T0 - 300_000),
    } as ExceptionRecord;
    await store.exceptions.insert(exception);
    await resources.create(ADMIN, 'HealingPolicy', TEAM, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'HealingPolicy',
      metadata: { name: 'node-not-ready', team: TEAM },
      spec: nodePolicyInput(),
    });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('turns the open exception into a Change that runs the JobTemplate on the node’s host', async () => {
    const cluster = {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name: 'east', team: TEAM },
      spec: {},
      status: { conditions: [{ type: 'Connected', status: 'True' }] },
    };
    const inventory: InventoryDeps = {
      inventory: store.inventory,
      hosts: store.hosts,
      resources: {
        list: () =>
          Promise.resolve({
            items: [{ team: TEAM, name: 'east', json: JSON.stringify(cluster) }],
            resourceVersion: 1,
          }),
      },
    };
    const jobs: DiagnosticJobs = {
      create: () => Promise.resolve({ id: 'diag-1' } as JobRunWithTargets),
      output: () => Promise.resolve({ chunks: [], cursor: 0, done: true }),
      get: () =>
        Promise.resolve({
          id: 'diag-1',
          state: 'Failed',
          targetList: [{ state: 'failed', exitCode: 3, message: '' }],
        } as unknown as JobRunWithTargets),
    };
    const unused: PrometheusQuerier = { query: () => Promise.reject(new Error('no PromQL in this tree')) };
    const recorder = new MemoryEventRecorder();
    const controller = new HealingController({
      runs: store.healing,
      policies: createResourcePolicySource({ repository: store.resources, engine: createCelEngine() }),
      triggers: createExceptionTriggerSource({
        exceptions: store.exceptions,
        entities: createInventoryEntityResolver(inventory),
      }),
      conditions: createInventoryConditionSubjects(inventory),
      evidence: createStoreEvidenceProviders({
        inventory: store.inventory,
        events: store.events,
        hosts: store.hosts,
        prometheus: unused,
        sources: { resolve: () => Promise.reject(new Error('no PromQL in this tree')) },
        jobs: createJobDiagnosticRunner(jobs, () => T0),
      }),
      actuator: createChangeActuator({
        changes: createResourceChangeSubmitter(resources),
        notifier: { enqueue: () => Promise.resolve({ id: 'n', created: true }) },
        silences: createResourceSilenceCreator(resources),
        now: () => T0,
        externalUrl: 'https://gantry.example',
      }),
      signals: createStoreSignalHealth({
        ...inventory,
        resourcesGet: {
          get: () => Promise.resolve(cluster as never),
          list: () => Promise.resolve({ items: [], resourceVersion: 1 }),
        },
        now: () => T0,
      }),
      domains: createInventoryDomainHealth(inventory),
      entities: createInventoryEntityReader(inventory),
      recorder,
      now: () => T0,
    });
    await controller.reconcile();

    const runs = (await store.healing.list({ team: TEAM, limit: 10 })).items;
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    const data = run.data as unknown as HealingRunData;
    expect(run).toMatchObject({ phase: HealingPhase.Acting, domain: 'r1', entity: 'Node/east/n1' });
    expect(data.diagnosis?.conclusion?.rootCause).toBe('KubeletDown');
    expect(data.diagnosis?.evidence.map((e) => [e.name, e.ok])).toEqual([
      ['node', true],
      ['agent', true],
      ['kubelet', true],
    ]);
    const changes = (await resources.list(ADMIN, 'Change', { team: TEAM })).items;
    expect(changes).toHaveLength(1);
    expect(changes[0]!.metadata.labels).toMatchObject({ 'healing.gantry.dev/run': run.id });
    expect(changes[0]!.spec as ChangeSpec).toMatchObject({
      jobRun: { template: 'restart-kubelet' },
      targets: { names: ['n1'] },
    });
    expect(recorder.events.find((e) => e.reason === 'HealingActionStarted')?.regarding).toEqual({
      kind: 'Node',
      name: 'n1',
      team: TEAM,
      cluster: 'east',
    });
  });
});
