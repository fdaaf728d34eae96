import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryAlertSink,
  createAlertRuleController,
  registerAlertRuleAdmission,
  type AlertRuleKind,
} from '@gantry/alerts';
import { MemoryEventRecorder, TermScope, type Controller } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import {
  GantryError,
  KindRegistry,
  builtinKinds,
  type AlertRuleStatus,
  type NodeSummary,
  type ResourceInput,
} from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { Store } from '@gantry/store';

// Gantry's own alert rules over real data written through the store (SQLite): the shipped examples for
// a cluster unreachable, a node NotReady and an application unhealthy, evaluated on a fake clock.

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const T0 = Date.parse('2026-03-01T00:00:00Z');
const MIN = 60_000;
const EXAMPLES = join(import.meta.dirname, '../../examples/alerting');

let store: Store;
let resources: ResourceService;
let sink: MemoryAlertSink;
let events: MemoryEventRecorder;
let controllers: Record<AlertRuleKind, Controller>;
/** The term the controllers run in: a new leader (fresh controllers) starts a new one. */
let term = new TermScope();
let now = T0;

const example = (file: string) => parse(readFileSync(join(EXAMPLES, file), 'utf8')) as ResourceInput;

function newControllers(): Record<AlertRuleKind, Controller> {
  term.end();
  term = new TermScope();
  const deps = {
    resources,
    repository: store.resources,
    inventory: store.inventory,
    secrets: { reveal: () => Promise.reject(new Error('no secrets in this test')) },
    state: store.alertRuleState,
    sink,
    recorder: events,
  };
  const options = { externalUrl: 'https://gantry.example/' };
  return {
    AlertRule: createAlertRuleController('AlertRule', deps, options),
    GlobalAlertRule: createAlertRuleController('GlobalAlertRule', deps, options),
  };
}

/** One reconcile at `now`, as the controller runtime would call it. */
async function evaluate(kind: AlertRuleKind, team: string, name: string) {
  return controllers[kind].reconcile(
    {
      logger: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      now: () => now,
      term,
    },
    { team, name },
  );
}

async function status(kind: AlertRuleKind, team: string | undefined, name: string) {
  const rule = await resources.get(admin, kind, team, name);
  return {
    status: rule.status as AlertRuleStatus | undefined,
    resourceVersion: rule.metadata.resourceVersion,
  };
}

const node = (ready: boolean, since: number): NodeSummary => ({
  ready,
  unschedulable: false,
  conditions: [
    { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(since).toISOString() },
  ],
  labels: {},
  taints: [],
  capacity: {},
  allocatable: {},
});

async function putNode(cluster: string, name: string, summary: NodeSummary): Promise<void> {
  await store.inventory.apply(
    [
      {
        op: 'upsert',
        item: { cluster, kind: 'Node', namespace: '', name, uid: `uid-${name}`, data: summary },
      },
    ],
    new Date(now).toISOString(),
  );
}

async function setStatus(
  kind: string,
  team: string,
  name: string,
  body: Record<string, unknown>,
): Promise<void> {
  const current = await resources.get(admin, kind, team, name);
  await resources.replaceStatus(admin, kind, team, name, {
    apiVersion: current.apiVersion,
    kind,
    metadata: { name, resourceVersion: current.metadata.resourceVersion },
    status: body,
  });
}

beforeEach(async () => {
  now = T0;
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => now);
  registerAlertRuleAdmission(resources, createCelEngine());
  for (const team of ['shop', 'ops'])
    await resources.create(admin, 'Team', undefined, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Team',
      metadata: { name: team },
      spec: { members: [] },
    });
  for (const [team, name] of [
    ['shop', 'east'],
    ['ops', 'west'],
  ] as const)
    await resources.create(admin, 'Cluster', team, {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Cluster',
      metadata: { name },
      spec: { kubeconfigSecret: { name: `${name}-kubeconfig`, key: 'kubeconfig' } },
    });
  for (const file of ['cluster-unreachable.yaml', 'node-not-ready.yaml', 'application-unhealthy.yaml'])
    await resources.create(admin, 'AlertRule', 'shop', example(file));
  await resources.create(admin, 'GlobalAlertRule', undefined, example('global-node-not-ready.yaml'));
  sink = new MemoryAlertSink();
  events = new MemoryEventRecorder();
  controllers = newControllers();
});

afterEach(async () => {
  await store.close();
});

describe('alert rules on write', () => {
  it('accepts every shipped example, the MetricsSource and PromQL rule included', async () => {
    const files = readdirSync(EXAMPLES).filter((file) => file.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const body = example(file);
      const team = body.kind === 'GlobalAlertRule' ? undefined : 'ops';
      // Dry runs under a fresh name: some examples are created in beforeEach already.
      await resources.create(
        admin,
        body.kind,
        team,
        { ...body, metadata: { name: 'example' } },
        { dryRun: true },
      );
    }
  });

  it('refuses a rule whose CEL does not compile, with the field paths, and stores nothing', async () => {
    const body = example('node-not-ready.yaml');
    const spec = body.spec as Record<string, unknown>;
    const bad = {
      ...body,
      metadata: { name: 'broken' },
      spec: {
        ...spec,
        cel: { over: 'nodes', condition: '!node.ready &&' },
        annotations: { summary: '${labels.node' },
      },
    };
    const error = await resources.create(admin, 'AlertRule', 'shop', bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GantryError);
    expect(error).toMatchObject({ status: 400, code: 'GANTRY_E_INVALID' });
    expect((error as GantryError).details.map((d) => d.path).sort()).toEqual([
      '/spec/annotations/summary',
      '/spec/cel/condition',
    ]);
    await expect(resources.get(admin, 'AlertRule', 'shop', 'broken')).rejects.toThrow(/not found/);
    const schema = await resources
      .create(admin, 'AlertRule', 'shop', { ...bad, spec: { ...spec, interval: 'soon' } })
      .catch((e: unknown) => e);
    expect((schema as GantryError).details.map((d) => d.path)).toContain('/spec/interval');
  });
});

describe('a node NotReady (inventory)', () => {
  it('is pending, fires after `for` (also across a restart), and resolves when the node is Ready', async () => {
    await putNode('shop/east', 'n1', node(true, T0 - 60 * MIN));
    await putNode('shop/east', 'n2', node(false, T0 - 10 * MIN));
    await putNode('ops/west', 'w1', node(false, T0 - 10 * MIN)); // another team's: not this rule's

    expect(await evaluate('AlertRule', 'shop', 'node-not-ready')).toEqual({ requeueAfterMs: MIN });
    expect(sink.posts).toEqual([]);
    expect((await status('AlertRule', 'shop', 'node-not-ready')).status).toMatchObject({
      alerts: { pending: 1, firing: 0 },
      conditions: [{ type: 'Evaluating', status: 'True', reason: 'Evaluated' }],
    });

    // Too early: the rule is not due, nothing is evaluated.
    now = T0 + 20_000;
    expect(await evaluate('AlertRule', 'shop', 'node-not-ready')).toEqual({ requeueAfterMs: 40_000 });

    // A new leader (fresh controller) carries on from the stored state: `for` counts from T0.
    controllers = newControllers();
    now = T0 + 5 * MIN;
    await evaluate('AlertRule', 'shop', 'node-not-ready');
    expect(sink.posts.map((post) => post.team)).toEqual(['shop']);
    expect(sink.last('shop')).toEqual([
      {
        labels: {
          alertname: 'node-not-ready',
          severity: 'warning',
          team: 'shop',
          cluster: 'east',
          node: 'n2',
        },
        annotations: {
          summary: 'Node n2 in cluster east is not Ready',
          description: 'Not Ready for 15 minutes.',
        },
        startsAt: new Date(T0 + 5 * MIN).toISOString(),
        endsAt: new Date(T0 + 9 * MIN).toISOString(),
        generatorURL: 'https://gantry.example/apis/gantry.dev/v1alpha1/teams/shop/alertrules/node-not-ready',
      },
    ]);
    expect((await status('AlertRule', 'shop', 'node-not-ready')).status?.alerts).toEqual({
      pending: 0,
      firing: 1,
    });

    // Firing alerts are posted again on every evaluation, with endsAt moving on.
    now = T0 + 6 * MIN;
    await evaluate('AlertRule', 'shop', 'node-not-ready');
    expect(sink.last('shop')[0]?.endsAt).toBe(new Date(T0 + 10 * MIN).toISOString());

    await putNode('shop/east', 'n2', node(true, now));
    now = T0 + 7 * MIN;
    await evaluate('AlertRule', 'shop', 'node-not-ready');
    expect(sink.last('shop')).toMatchObject([
      {
        labels: { node: 'n2' },
        startsAt: new Date(T0 + 5 * MIN).toISOString(),
        endsAt: new Date(now).toISOString(),
      },
    ]);
    expect((await status('AlertRule', 'shop', 'node-not-ready')).status?.alerts).toEqual({
      pending: 0,
      firing: 0,
    });
  });

  it("a GlobalAlertRule sees every team's nodes and posts each alert to the node's team", async () => {
    await putNode('shop/east', 'n2', node(false, T0));
    await putNode('ops/west', 'w1', node(false, T0));
    await evaluate('GlobalAlertRule', '', 'node-not-ready');
    now = T0 + 15 * MIN;
    await evaluate('GlobalAlertRule', '', 'node-not-ready');
    expect(sink.posts.map((post) => post.team).sort()).toEqual(['ops', 'shop']);
    expect(sink.last('ops')[0]?.labels).toMatchObject({ team: 'ops', cluster: 'west', node: 'w1' });
    expect(sink.last('ops')[0]?.generatorURL).toBe(
      'https://gantry.example/apis/gantry.dev/v1alpha1/globalalertrules/node-not-ready',
    );
  });
});

describe('a cluster unreachable (Cluster conditions)', () => {
  it('fires a minute after the Connected condition went False, and not for a paused cluster', async () => {
    const since = new Date(T0).toISOString();
    await setStatus('Cluster', 'shop', 'east', {
      conditions: [
        {
          type: 'Connected',
          status: 'False',
          reason: 'Unreachable',
          message: 'connect ECONNREFUSED',
          lastTransitionTime: since,
        },
      ],
    });
    await evaluate('AlertRule', 'shop', 'cluster-unreachable');
    now = T0 + MIN;
    await evaluate('AlertRule', 'shop', 'cluster-unreachable');
    expect(sink.last('shop')).toMatchObject([
      {
        labels: { alertname: 'cluster-unreachable', severity: 'critical', cluster: 'east', team: 'shop' },
        annotations: { summary: 'Cluster east is unreachable' },
      },
    ]);

    const cluster = await resources.get(admin, 'Cluster', 'shop', 'east');
    await resources.replace(admin, 'Cluster', 'shop', 'east', {
      ...cluster,
      spec: { ...(cluster.spec as object), paused: true },
    } as ResourceInput);
    now = T0 + 2 * MIN;
    await evaluate('AlertRule', 'shop', 'cluster-unreachable');
    expect(sink.last('shop')).toMatchObject([{ endsAt: new Date(now).toISOString() }]);
  });
});

describe('an application unhealthy for five minutes (Application status)', () => {
  beforeEach(async () => {
    await resources.create(admin, 'Application', 'shop', {
      apiVersion: 'gantry.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'web' },
      spec: {
        components: [{ name: 'web', type: 'webservice', properties: { image: 'nginx' } }],
        topology: { clusters: ['east'], namespace: 'shop' },
      },
    });
  });

  it('fires after five minutes, keeps firing two more after it recovers, then resolves', async () => {
    await setStatus('Application', 'shop', 'web', { health: 'Unhealthy' });
    const times: [number, string | undefined][] = [];
    const phase = async (minute: number) => {
      now = T0 + minute * MIN;
      sink.clear();
      await evaluate('AlertRule', 'shop', 'application-unhealthy');
      const alert = sink.last('shop')[0];
      times.push([minute, alert ? (Date.parse(alert.endsAt) > now ? 'firing' : 'resolved') : undefined]);
    };
    for (const minute of [0, 1, 2, 3, 4, 5, 6]) await phase(minute);
    await setStatus('Application', 'shop', 'web', { health: 'Healthy' });
    for (const minute of [7, 8, 9]) await phase(minute);
    expect(times).toEqual([
      [0, undefined],
      [1, undefined],
      [2, undefined],
      [3, undefined],
      [4, undefined],
      [5, 'firing'],
      [6, 'firing'],
      [7, 'firing'],
      [8, 'firing'],
      [9, 'resolved'],
    ]);
    expect(sink.last('shop')[0]?.labels).toMatchObject({ application: 'web', page: 'no' });
  });
});

describe('failures and deletion', () => {
  it('a CEL condition failing on an object is a condition and one warning event, written on the transition only', async () => {
    const body = example('node-not-ready.yaml');
    await resources.create(admin, 'AlertRule', 'shop', {
      ...body,
      metadata: { name: 'strict' },
      spec: { ...(body.spec as object), cel: { over: 'nodes', condition: "node.labels['zone'] == 'a'" } },
    });
    await putNode('shop/east', 'n1', node(true, T0));
    await evaluate('AlertRule', 'shop', 'strict');
    const first = await status('AlertRule', 'shop', 'strict');
    expect(first.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'ConditionFailed' });
    expect(first.status?.conditions?.[0]?.message).toContain('node=n1');
    expect(events.events).toMatchObject([
      {
        type: 'Warning',
        reason: 'ConditionFailed',
        regarding: { kind: 'AlertRule', team: 'shop', name: 'strict' },
      },
    ]);

    now = T0 + MIN;
    await evaluate('AlertRule', 'shop', 'strict');
    expect((await status('AlertRule', 'shop', 'strict')).resourceVersion).toBe(first.resourceVersion);
    expect(events.events).toHaveLength(1);

    await putNode('shop/east', 'n1', { ...node(true, T0), labels: { zone: 'b' } });
    now = T0 + 2 * MIN;
    await evaluate('AlertRule', 'shop', 'strict');
    expect((await status('AlertRule', 'shop', 'strict')).status?.conditions?.[0]).toMatchObject({
      status: 'True',
      reason: 'Evaluated',
    });
    expect(events.reasons()).toEqual(['ConditionFailed', 'EvaluationRecovered']);
  });

  it('a deleted rule resolves what it had firing and forgets its state', async () => {
    await putNode('shop/east', 'n2', node(false, T0));
    const body = example('node-not-ready.yaml');
    await resources.create(admin, 'AlertRule', 'shop', {
      ...body,
      metadata: { name: 'now' },
      spec: { ...(body.spec as object), for: '0s' },
    });
    await evaluate('AlertRule', 'shop', 'now');
    expect(sink.last('shop')).toHaveLength(1);
    expect(await store.alertRuleState.get({ kind: 'AlertRule', team: 'shop', name: 'now' })).toBeDefined();

    await resources.delete(admin, 'AlertRule', 'shop', 'now');
    now = T0 + 10_000;
    expect(await evaluate('AlertRule', 'shop', 'now')).toEqual({});
    expect(sink.last('shop')).toMatchObject([
      { labels: { node: 'n2' }, endsAt: new Date(now).toISOString() },
    ]);
    expect(await store.alertRuleState.get({ kind: 'AlertRule', team: 'shop', name: 'now' })).toBeUndefined();
  });
});
