import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leaseTermCheck, MemoryEventRecorder, TermScope, type Controller } from '@gantry/controllers';
import { createCelEngine } from '@gantry/delivery';
import { SYSTEM_PRINCIPAL, type Caller } from '@gantry/identity';
import { KindRegistry, NotFoundError, builtinKinds, type AlertRuleStatus } from '@gantry/model';
import { ResourceService } from '@gantry/resources';
import { FencedWriteRefused, Store } from '@gantry/store';
import { registerAlertRuleAdmission } from './alert-rule-admission.ts';
import { createAlertRuleController, type AlertRuleKind } from './alert-rule-controller.ts';
import { MemoryAlertSink } from './alert-sink.ts';
import type { PrometheusQuerier, PromQueryOutcome, ResolvedMetricsSource } from './prometheus-client.ts';

// The evaluator's PromQL path and its failure reasons, with a scripted Prometheus and a fake clock.

const admin: Caller = { principal: SYSTEM_PRINCIPAL, source: 'test' };
const T0 = Date.parse('2026-03-01T00:00:00Z');

let store: Store;
let resources: ResourceService;
let sink: MemoryAlertSink;
let events: MemoryEventRecorder;
let secretValues: Record<string, Record<string, string>>;
let answer: PromQueryOutcome;
let queries: { source: ResolvedMetricsSource; expr: string; time: number }[];
let now = T0;
const controllers = {} as Record<AlertRuleKind, Controller>;

const prometheus: PrometheusQuerier = {
  query(source, expr, time) {
    queries.push({ source, expr, time });
    return Promise.resolve(answer);
  },
};

const evaluate = (kind: AlertRuleKind, team: string, name: string) =>
  controllers[kind].reconcile(
    {
      logger: pino({ level: 'silent' }),
      signal: new AbortController().signal,
      now: () => now,
      term: new TermScope(),
    },
    { team, name },
  );

async function evaluating(kind: AlertRuleKind, team: string | undefined, name: string) {
  const rule = await resources.get(admin, kind, team, name);
  return (rule.status as AlertRuleStatus | undefined)?.conditions?.find((c) => c.type === 'Evaluating');
}

const rule = (name: string, spec: Record<string, unknown>, kind: AlertRuleKind = 'AlertRule') => ({
  apiVersion: 'gantry.dev/v1alpha1',
  kind,
  metadata: { name },
  spec: { interval: '10s', ...spec },
});

beforeEach(async () => {
  now = T0;
  queries = [];
  answer = { ok: true, samples: [] };
  store = await Store.open({ url: ':memory:' });
  const kinds = new KindRegistry();
  for (const kind of builtinKinds) kinds.register(kind);
  resources = new ResourceService(kinds, store.resources, () => now);
  registerAlertRuleAdmission(resources, createCelEngine());
  await resources.create(admin, 'Team', undefined, {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'Team',
    metadata: { name: 'shop' },
    spec: { members: [] },
  });
  await resources.create(admin, 'MetricsSource', 'shop', {
    apiVersion: 'gantry.dev/v1alpha1',
    kind: 'MetricsSource',
    metadata: { name: 'prom' },
    spec: {
      url: 'http://prom.example:9090',
      auth: { bearerToken: { name: 'prom-token', key: 'token' } },
      timeoutSeconds: 3,
    },
  });
  secretValues = { 'shop/prom-token': { token: 't0ken' } };
  sink = new MemoryAlertSink();
  events = new MemoryEventRecorder();
  const deps = {
    resources,
    repository: store.resources,
    inventory: store.inventory,
    secrets: {
      reveal: (team: string, name: string) => {
        const found = secretValues[`${team}/${name}`];
        return found ? Promise.resolve(found) : Promise.reject(new NotFoundError(`secret ${name} not found`));
      },
    },
    state: store.alertRuleState,
    sink,
    recorder: events,
    prometheus,
  };
  for (const kind of ['AlertRule', 'GlobalAlertRule'] as const)
    controllers[kind] = createAlertRuleController(kind, deps, { externalUrl: 'http://gantry' });
});

afterEach(async () => {
  await store.close();
});

describe('PromQL evaluation', () => {
  it('queries the source at the evaluation time with the bearer token from the secret store', async () => {
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('r', { promql: { expr: 'up == 0', source: { name: 'prom' } } }),
    );
    answer = { ok: true, samples: [{ labels: { job: 'api', instance: 'a:1' }, value: 0 }] };
    expect(await evaluate('AlertRule', 'shop', 'r')).toEqual({ requeueAfterMs: 10_000 });
    expect(queries).toEqual([
      {
        source: { url: 'http://prom.example:9090', authorization: 'Bearer t0ken', timeoutMs: 3000 },
        expr: 'up == 0',
        time: T0,
      },
    ]);
    expect(sink.last('shop')).toMatchObject([
      {
        labels: { alertname: 'r', job: 'api', instance: 'a:1', team: 'shop', severity: 'warning' },
        endsAt: new Date(T0 + 40_000).toISOString(),
      },
    ]);
    const condition = await evaluating('AlertRule', 'shop', 'r');
    expect(condition).toMatchObject({ status: 'True', reason: 'Evaluated', message: '1 firing, 0 pending' });
    expect(JSON.stringify(condition)).not.toContain('t0ken');
  });

  it('keeps firing series as they are while the source fails, and says why', async () => {
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('r', { promql: { expr: 'up == 0', source: { name: 'prom' } } }),
    );
    answer = { ok: true, samples: [{ labels: { job: 'api' }, value: 0 }] };
    await evaluate('AlertRule', 'shop', 'r');
    sink.clear();

    answer = { ok: false, reason: 'SourceUnreachable', message: 'cannot reach http://prom.example:9090' };
    now += 10_000;
    await evaluate('AlertRule', 'shop', 'r');
    expect(sink.posts).toEqual([]);
    expect(await evaluating('AlertRule', 'shop', 'r')).toMatchObject({
      status: 'False',
      reason: 'SourceUnreachable',
    });
    const stored = await store.alertRuleState.get({ kind: 'AlertRule', team: 'shop', name: 'r' });
    expect(stored?.series).toMatchObject([{ phase: 'firing' }]);

    answer = { ok: false, reason: 'QueryFailed', message: 'bad_data: parse error' };
    now += 10_000;
    await evaluate('AlertRule', 'shop', 'r');
    expect(await evaluating('AlertRule', 'shop', 'r')).toMatchObject({ reason: 'QueryFailed' });
    expect(events.reasons()).toEqual(['SourceUnreachable', 'QueryFailed']);
  });

  it('writes, posts and records nothing once the lease is lost during the query', async () => {
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('r', { promql: { expr: 'up == 0', source: { name: 'prom' } } }),
    );
    answer = { ok: true, samples: [{ labels: { job: 'api' }, value: 0 }] };
    const lost = new AbortController();
    lost.abort();
    await controllers.AlertRule.reconcile(
      { logger: pino({ level: 'silent' }), signal: lost.signal, now: () => now, term: new TermScope() },
      { team: 'shop', name: 'r' },
    );
    expect(queries).toHaveLength(1);
    expect(sink.posts).toEqual([]);
    expect(await store.alertRuleState.get({ kind: 'AlertRule', team: 'shop', name: 'r' })).toBeUndefined();
    expect(await evaluating('AlertRule', 'shop', 'r')).toBeUndefined();
  });

  it('posts nothing from a term that is over: the post is preceded by a check of the term (ADR 0028)', async () => {
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('r', { promql: { expr: 'up == 0', source: { name: 'prom' } } }),
    );
    answer = { ok: true, samples: [{ labels: { job: 'api' }, value: 0 }] };
    const LEASE = 'controller/alert-rule';
    expect(await store.leases.tryAcquire(LEASE, 'x', 10_000, now)).toBe(true);
    const fence = { lease: LEASE, holder: 'x', transitions: (await store.leases.get(LEASE))!.transitions };
    const term = new TermScope({ fence, check: leaseTermCheck(store.leases) });
    const inTerm = () =>
      controllers.AlertRule.reconcile(
        { logger: pino({ level: 'silent' }), signal: term.signal, now: () => now, term },
        { team: 'shop', name: 'r' },
      );
    expect(await inTerm()).toEqual({ requeueAfterMs: 10_000 });
    expect(sink.posts).toHaveLength(1);
    const status = await evaluating('AlertRule', 'shop', 'r');
    // y takes the lease over; x's next evaluation (still firing: no state to save) would post again.
    now += 11_000;
    expect(await store.leases.tryAcquire(LEASE, 'y', 10_000, now)).toBe(true);
    await expect(inTerm()).rejects.toBeInstanceOf(FencedWriteRefused);
    expect(sink.posts).toHaveLength(1);
    expect(await evaluating('AlertRule', 'shop', 'r')).toEqual(status);
  });

  it('says SourceNotFound and SecretMissing without querying', async () => {
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('nosource', { promql: { expr: 'up', source: { name: 'other' } } }),
    );
    await evaluate('AlertRule', 'shop', 'nosource');
    expect(await evaluating('AlertRule', 'shop', 'nosource')).toMatchObject({ reason: 'SourceNotFound' });
    secretValues = {};
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('nosecret', { promql: { expr: 'up', source: { name: 'prom' } } }),
    );
    await evaluate('AlertRule', 'shop', 'nosecret');
    expect(await evaluating('AlertRule', 'shop', 'nosecret')).toMatchObject({
      reason: 'SecretMissing',
      message: expect.stringContaining('prom-token'),
    });
    expect(queries).toEqual([]);
  });

  it('caps the series at maxSeries, keeping the first by label set', async () => {
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('many', { promql: { expr: 'up == 0', source: { name: 'prom' } }, maxSeries: 2 }),
    );
    answer = {
      ok: true,
      samples: ['d', 'b', 'c', 'a'].map((instance) => ({ labels: { instance }, value: 0 })),
    };
    await evaluate('AlertRule', 'shop', 'many');
    expect(sink.last('shop').map((alert) => alert.labels.instance)).toEqual(['a', 'b']);
    expect(await evaluating('AlertRule', 'shop', 'many')).toMatchObject({
      status: 'False',
      reason: 'TooManySeries',
      message: '4 series, more than maxSeries 2: 2 dropped',
    });
  });

  it('a failing sink is PostFailed; the state advances and the alerts go out next time', async () => {
    await resources.create(
      admin,
      'AlertRule',
      'shop',
      rule('r', { promql: { expr: 'up == 0', source: { name: 'prom' } } }),
    );
    answer = { ok: true, samples: [{ labels: { job: 'api' }, value: 0 }] };
    sink.failWith = new Error('ingest unavailable');
    await evaluate('AlertRule', 'shop', 'r');
    expect(await evaluating('AlertRule', 'shop', 'r')).toMatchObject({ reason: 'PostFailed' });
    sink.failWith = undefined;
    now += 10_000;
    await evaluate('AlertRule', 'shop', 'r');
    expect(sink.last('shop')).toMatchObject([{ startsAt: new Date(T0).toISOString() }]);
    expect(await evaluating('AlertRule', 'shop', 'r')).toMatchObject({ reason: 'Evaluated' });
  });

  it("a GlobalAlertRule posts each series to its `team` label's team and counts those without one", async () => {
    await resources.create(
      admin,
      'GlobalAlertRule',
      undefined,
      rule(
        'fleet',
        { promql: { expr: 'up == 0', source: { name: 'prom', team: 'shop' } } },
        'GlobalAlertRule',
      ),
    );
    answer = {
      ok: true,
      samples: [
        { labels: { team: 'shop', instance: 'a' }, value: 0 },
        { labels: { team: 'ops', instance: 'b' }, value: 0 },
        { labels: { instance: 'c' }, value: 0 },
      ],
    };
    await evaluate('GlobalAlertRule', '', 'fleet');
    const byTeam = Object.fromEntries(
      sink.posts.map((post) => [post.team, post.alerts.map((a) => a.labels.instance)]),
    );
    expect(byTeam).toEqual({ ops: ['b'], shop: ['a'] });
    expect(await evaluating('GlobalAlertRule', undefined, 'fleet')).toMatchObject({
      status: 'True',
      message: '2 firing, 0 pending; 1 series without a team label were dropped',
    });
  });
});
